"""What screening eligibility reports: each criterion's status, cohort fit and the verdict.

The criteria come from NCT05319249 inclusion criteria 1-7 and the cohort entry blocks from the
protocol file (docs/clinical-rules.md); one dataclass per result that crosses into the EDC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

DECIMALS = 9
Status = Literal["eligible", "not_eligible", "undetermined"]
CriterionStatus = Literal["met", "failed", "missing", "not_applicable"]
STATUSES: tuple[str, ...] = ("eligible", "not_eligible", "undetermined")

# Cohort-entry fields of the screening record (clinical-api.md) and their kinds.
COHORT_FIELDS: dict[str, str] = {
    "relapsed_or_refractory": "boolean",
    "bm_blasts_pct": "number",
    "pb_blasts_pct": "number",
    "in_haematological_remission": "boolean",
    "mrd_assay": "text",
    "mrd_material": "text",
    "mrd_reference_assay": "text",
    "mrd_reference_material": "text",
    "mrd_reference_value": "number",
    "mrd_current_value": "number",
}
_PERCENT_FIELDS = ("bm_blasts_pct", "pb_blasts_pct")


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's outcome; `reason` says why in words a monitor can read."""

    id: str
    text: str
    kind: Literal["inclusion", "exclusion"]
    status: CriterionStatus
    reason: str
    missing_fields: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "status": self.status,
            "reason": self.reason,
            "missing_fields": list(self.missing_fields),
        }


@dataclass(frozen=True)
class CohortFit:
    """Whether the record fits one cohort's entry block: True, False or None (undecided)."""

    cohort: str
    fits: bool | None
    reason: str
    missing_fields: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "cohort": self.cohort,
            "fits": self.fits,
            "reason": self.reason,
            "missing_fields": list(self.missing_fields),
        }


@dataclass(frozen=True)
class EligibilityResult:
    """The screening decision: status, the cohort (only when eligible), every criterion's outcome
    and the reasons behind a non-eligible or undetermined status."""

    status: Status
    cohort: str | None
    criteria: tuple[CriterionResult, ...]
    reasons: tuple[str, ...]
    cohort_fits: tuple[CohortFit, ...] = ()
    missing_fields: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "cohort": self.cohort,
            "criteria": [c.to_dict() for c in self.criteria],
            "reasons": list(self.reasons),
            "cohort_fits": [c.to_dict() for c in self.cohort_fits],
            "missing_fields": list(self.missing_fields),
        }


@dataclass(frozen=True)
class ScreeningField:
    """A field the screening record may carry, its kind and the criteria that read it."""

    name: str
    kind: Literal["boolean", "number", "text"]
    choices: tuple[str, ...] = ()
    used_by: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "choices": list(self.choices),
            "used_by": list(self.used_by),
        }
