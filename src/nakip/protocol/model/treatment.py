"""The protocol's treatment section: talazoparib dosing and the NK-cell infusion plan.

Kept as data so that dose levels and infusion days are read, never written into code.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from nakip.protocol.model.base import Strict


class Talazoparib(Strict):
    """Talazoparib dosing (registry: 1 mg orally; the rest are protocol parameters)."""

    dose_mg: float = Field(gt=0)
    route: Literal["oral"]
    frequency: str
    start_day: int
    cycle_length_days: int = Field(ge=1)
    dosing_days_per_cycle: int = Field(ge=1)
    max_cycles: int = Field(ge=1)
    dose_levels_mg: list[float] = Field(min_length=1)

    @field_validator("dose_levels_mg")
    @classmethod
    def _descending(cls, v: list[float]) -> list[float]:
        if any(b >= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError("dose levels must strictly decrease")
        return v


class NKInfusionPlan(Strict):
    """Allogeneic NK-cell product: target dose, infusion days, conditioning and cytokines."""

    source: str
    target_dose_per_kg: float = Field(gt=0, description="viable NK cells per kg body weight")
    min_dose_per_kg: float = Field(gt=0)
    min_viability_pct: float = Field(gt=0, le=100)
    infusion_days: list[int] = Field(min_length=1)
    lymphodepletion: str
    cytokine_support: str

    @model_validator(mode="after")
    def _min_below_target(self) -> NKInfusionPlan:
        if self.min_dose_per_kg > self.target_dose_per_kg:
            raise ValueError("min_dose_per_kg exceeds target_dose_per_kg")
        return self


class Treatment(Strict):
    """The treatment plan; study day 1 is the first day of talazoparib. Washout before study
    treatment: `washout_days` after cytotoxic therapy, `washout_half_lives` of the drug's
    half-life after non-cytotoxic or investigational drugs (eligibility criteria IN4a/IN4b)."""

    talazoparib: Talazoparib
    nk_cells: NKInfusionPlan
    washout_days: int = Field(ge=0)
    washout_half_lives: float = Field(5.0, gt=0)
