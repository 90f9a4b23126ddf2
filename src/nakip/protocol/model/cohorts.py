"""The trial, its cohorts, their primary endpoints, responder definitions and statistical designs.

One cohort block per cohort (overt, mrd): entry, primary endpoint and the planned Simon design
that nakip.stats checks against the exact search.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from nakip.protocol.model.base import CohortCode, Probability, Strict
from nakip.protocol.model.eligibility import MRDEntry, OvertEntry


class Trial(Strict):
    """Identification of the trial as registered."""

    acronym: str
    title: str
    registry_id: str
    study_id: str
    sponsor: str
    phase: str
    protocol_version: str
    protocol_date: date
    planned_sites: int = Field(ge=1)


#: Responder definitions of the overt cohort (docs/clinical-rules.md "Responder"):
#: `cr_cri_registered` = CR family (marrow < 5 %, no blood blasts, no EMD) with ANC >= 1.0 or
#: platelets >= 100 (the registered CR/CRi, whatever ELN 2022 label); `cr_only` = CR;
#: `cr_crh_cri` = the ELN 2022 composite (Döhner 2022, Table 6).
ResponderDefinition = Literal["cr_cri_registered", "cr_only", "cr_crh_cri"]
RESPONDER_DEFINITIONS: tuple[str, ...] = ("cr_cri_registered", "cr_only", "cr_crh_cri")


class PrimaryEndpoint(Strict):
    """The response endpoint of a cohort; an ELN 2022 endpoint names its primary responder
    definition (the other two are reported beside it as sensitivity analyses)."""

    kind: Literal["eln2022_response", "mrd_log10_decrease"]
    description: str
    responder_definition: ResponderDefinition | None = None
    assessment_day: int = Field(ge=1)

    @model_validator(mode="after")
    def _definition_for_eln(self) -> PrimaryEndpoint:
        if self.kind == "eln2022_response" and self.responder_definition is None:
            raise ValueError(
                "an ELN 2022 endpoint needs 'responder_definition' (one of "
                f"{', '.join(RESPONDER_DEFINITIONS)})"
            )
        if self.kind != "eln2022_response" and self.responder_definition is not None:
            raise ValueError("'responder_definition' applies to an ELN 2022 endpoint only")
        return self

    @property
    def responder_categories(self) -> tuple[str, ...]:
        """ELN 2022 categories that can count as response under the primary definition (for
        display; under `cr_cri_registered` a CRh counts only with ANC >= 1.0 or platelets >= 100,
        which the rule in `nakip.clinical.eln2022.responder_flags` decides)."""
        if self.responder_definition == "cr_only":
            return ("CR",)
        if self.responder_definition is None:
            return ()
        return ("CR", "CRh", "CRi")


class PlannedSimonDesign(Strict):
    """A fixed two-stage design: stop after stage 1 if X1 <= r1; success if X > r."""

    r1: int = Field(ge=0)
    n1: int = Field(ge=1)
    r: int = Field(ge=0)
    n: int = Field(ge=2)

    @model_validator(mode="after")
    def _ordered(self) -> PlannedSimonDesign:
        if not (self.r1 < self.n1 < self.n and self.r1 <= self.r < self.n):
            raise ValueError("need r1 < n1 < n and r1 <= r < n")
        return self


class DesignSpec(Strict):
    """Statistical design of a cohort's response endpoint (exact binomial framework)."""

    type: Literal["simon_optimal", "simon_minimax", "single_stage"]
    p0: Probability
    p1: Probability
    alpha: Probability
    power: Probability
    sided: Literal["one-sided"] = "one-sided"
    nmax: int = Field(ge=2, le=500)
    planned: PlannedSimonDesign | None = None

    @model_validator(mode="after")
    def _p0_below_p1(self) -> DesignSpec:
        if self.p0 >= self.p1:
            raise ValueError(f"p0 ({self.p0}) must be below p1 ({self.p1})")
        return self


class Cohort(Strict):
    """One independently analysed cohort."""

    code: CohortCode
    name: str
    description: str
    subject_prefix: str = Field(pattern=r"^[A-Z]{1,4}$")
    overt_entry: OvertEntry | None = None
    mrd_entry: MRDEntry | None = None
    primary_endpoint: PrimaryEndpoint
    design: DesignSpec

    @model_validator(mode="after")
    def _entry_matches_code(self) -> Cohort:
        if self.code == "overt" and self.overt_entry is None:
            raise ValueError("the overt cohort needs 'overt_entry'")
        if self.code == "mrd" and self.mrd_entry is None:
            raise ValueError("the mrd cohort needs 'mrd_entry'")
        return self
