"""The protocol's eligibility section: criteria, their conditions and the cohort entry blocks.

A criterion is data (conditions on screening fields) or a judgement (a confirmed flag); the
cohort entry blocks give the overt and MRD cohorts' thresholds (read by nakip.clinical.eligibility).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from nakip.protocol.model.base import Strict


class Condition(Strict):
    """One machine-checkable condition on a screening or assessment field.

    `op` compares the field's value with `value`; `in`/`not_in` take a list.
    """

    field: str
    op: Literal["<", "<=", ">", ">=", "==", "!=", "in", "not_in"]
    value: Any
    times: str | None = Field(
        None,
        description="another field of the record: compare with value x that field "
        "(e.g. washout >= 5 x the drug's half-life)",
    )

    @model_validator(mode="after")
    def _list_for_membership(self) -> Condition:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} needs a list value")
        if self.times is not None and (
            self.op not in ("<", "<=", ">", ">=")
            or isinstance(self.value, bool)
            or not isinstance(self.value, int | float)
        ):
            raise ValueError("'times' needs an ordering op (<, <=, >, >=) and a numeric value")
        return self


class Criterion(Strict):
    """An inclusion or exclusion criterion.

    `kind: data` criteria are decided from the screening record by `check` (all conditions must
    hold, after `applies_if`) and `any_of` (at least one of these must hold as well);
    `kind: judgement` criteria need the investigator's confirmation, recorded in the boolean
    screening field `confirm_field`.
    """

    id: str = Field(pattern=r"^[A-Z]{2,3}[0-9]{1,2}[a-z]?$")
    text: str
    kind: Literal["data", "judgement"]
    check: list[Condition] = Field(default_factory=list)
    any_of: list[Condition] = Field(default_factory=list)
    applies_if: list[Condition] = Field(default_factory=list)
    confirm_field: str | None = None
    source: str

    @model_validator(mode="after")
    def _consistent_kind(self) -> Criterion:
        if self.kind == "data" and not (self.check or self.any_of):
            raise ValueError("a 'data' criterion needs a condition in 'check' or 'any_of'")
        if self.kind == "judgement" and not self.confirm_field:
            raise ValueError("a 'judgement' criterion needs 'confirm_field'")
        return self


class OvertEntry(Strict):
    """Cohort A entry: relapsed/refractory AML with blasts below a ceiling (exclusive)."""

    bm_blasts_below_pct: float = Field(gt=0, le=100)
    pb_blasts_below_pct: float = Field(gt=0, le=100)
    requires_relapsed_or_refractory: bool = True


class MRDEntry(Strict):
    """Cohort B entry: MRD rising by more than `rise_fold` while in haematological remission."""

    rise_fold_above: float = Field(gt=1)
    rise_reference: Literal["previous", "nadir"]
    assays: list[Literal["qPCR", "flow", "NGS", "ddPCR"]] = Field(min_length=1)
    remission_bm_blasts_below_pct: float = Field(gt=0, le=100)


class Eligibility(Strict):
    """Inclusion and exclusion criteria (cohort entry criteria live with the cohorts)."""

    inclusion: list[Criterion] = Field(min_length=1)
    exclusion: list[Criterion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Eligibility:
        ids = [c.id for c in [*self.inclusion, *self.exclusion]]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate criterion ids: {', '.join(dupes)}")
        return self
