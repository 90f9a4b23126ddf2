"""One response assessment of the overt cohort (the input) and its ELN 2022 result.

The fields are those ELN 2022 Table 6 (Döhner et al., Blood 2022;140:1345) needs: marrow and blood
blasts, counts, extramedullary disease, transfusion; thresholds come from the protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from nakip.clinical.eln2022.categories import _RANK, REMISSIONS, Category
from nakip.clinical.thresholds import (
    check_flag,
    check_number,
)


@dataclass(frozen=True)
class Assessment:
    """Source data of one response assessment (all optional; blasts in %, counts in 10^9/L = /nL).

    Validated on construction: negative, > 100 % blasts, NaN or infinite values raise ValueError
    naming the field, so bad data can never be classified silently.
    """

    bm_blasts_pct: float | None = None
    pb_blasts_pct: float | None = None
    extramedullary_disease: bool | None = None
    baseline_extramedullary_disease: bool | None = None
    anc_per_nl: float | None = None
    platelets_per_nl: float | None = None
    transfusion_independent: bool | None = None
    baseline_bm_blasts_pct: float | None = None
    auer_rods: bool | None = None
    baseline_anc_per_nl: float | None = None
    baseline_platelets_per_nl: float | None = None
    assessment_date: date | None = None
    wbc_per_nl: float | None = None
    baseline_wbc_per_nl: float | None = None
    baseline_pb_blasts_pct: float | None = None
    bm_cellularity_pct: float | None = None

    def __post_init__(self) -> None:
        for name in ("bm_blasts_pct", "pb_blasts_pct", "baseline_bm_blasts_pct",
                     "baseline_pb_blasts_pct", "bm_cellularity_pct"):  # fmt: skip
            v = check_number(name, getattr(self, name), minimum=0.0, maximum=100.0)
            object.__setattr__(self, name, v)
        for name in ("anc_per_nl", "platelets_per_nl", "baseline_anc_per_nl",
                     "baseline_platelets_per_nl", "wbc_per_nl", "baseline_wbc_per_nl"):  # fmt: skip
            object.__setattr__(self, name, check_number(name, getattr(self, name), minimum=0.0))
        for name in ("extramedullary_disease", "baseline_extramedullary_disease",
                     "transfusion_independent", "auer_rods"):  # fmt: skip
            check_flag(name, getattr(self, name))
        if self.assessment_date is not None and not isinstance(self.assessment_date, date):
            raise ValueError(
                f"assessment_date: expected a date, got {type(self.assessment_date).__name__}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready fields (dates as ISO strings)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        if self.assessment_date is not None:
            out["assessment_date"] = self.assessment_date.isoformat()
        return out


@dataclass(frozen=True)
class ResponseResult:
    """The response category at one assessment, the rule that decided it, and missing fields.

    `missing` names the fields whose absence made the assessment NE, or (for SD/MLFS) kept it
    from a better category it might otherwise have reached (e.g. ANC missing in the PR window).
    """

    category: Category
    rule: str
    missing: tuple[str, ...] = ()
    assessment_date: date | None = None
    cr_level_lineage: bool = False
    notes: tuple[str, ...] = ()
    query: str | None = None

    @property
    def rank(self) -> int:
        """Order used for best response: CR 8 > CRh > CRi > MLFS > PR > SD > PD > NE 1."""
        return _RANK[self.category]

    @property
    def responder_cr(self) -> bool:
        """CR only (the registered endpoint's wording)."""
        return self.category == "CR"

    @property
    def responder_cr_cri(self) -> bool:
        """CR or CRi as registered: CR/CRh/CRi with ANC >= 1.0 or platelets >= 100 (a CRh with
        neither does not meet CRi; docs/clinical-rules.md "Responder")."""
        return self.category in REMISSIONS and self.cr_level_lineage

    @property
    def responder_cr_crh_cri(self) -> bool:
        """The ELN 2022 composite CR/CRh/CRi (Döhner 2022, Table 6)."""
        return self.category in REMISSIONS

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "rule": self.rule,
            "missing": list(self.missing),
            "assessment_date": (
                self.assessment_date.isoformat() if self.assessment_date is not None else None
            ),
            "responder_cr": self.responder_cr,
            "responder_cr_cri": self.responder_cr_cri,
            "responder_cr_crh_cri": self.responder_cr_crh_cri,
            "notes": list(self.notes),
            "query": self.query,
        }
