"""CONSORT flow counts from the screening log and ADSL: screened -> not eligible (with reasons)
-> enrolled per cohort -> treated -> response-evaluable -> analysed (CONSORT 2010, item 13a).

Analysed for the primary endpoint = treated (ITT, docs/clinical-rules.md); a screened patient
who is neither enrolled nor found not eligible is still in screening.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Self

import pandas as pd

from nakip.analysis.data import TrialData
from nakip.analysis.fitter import Fitter
from nakip.analysis.populations import flag, is_false
from nakip.protocol.model import Protocol


@dataclass(frozen=True)
class CohortFlow:
    """The boxes of one cohort's arm of the CONSORT diagram."""

    cohort: str
    screened: int
    not_eligible: int
    enrolled: int
    not_treated: int
    treated: int
    response_evaluable: int
    analysed: int
    dlt_evaluable: int
    discontinued: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return asdict(self)


class ConsortCounts(Fitter):
    """CONSORT counts, lifelines-style: `ConsortCounts(protocol).fit(data)`; then `screened`,
    `not_eligible`, `in_screening`, `reasons` (criterion code -> patients), `cohorts`
    (code -> CohortFlow), `summary` and `to_dict()`."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.screened = 0
        self.not_eligible = 0
        self.in_screening = 0
        self.enrolled = 0
        self.reasons: dict[str, int] = {}
        self.cohorts: dict[str, CohortFlow] = {}

    def fit(self, data: TrialData) -> Self:
        """Count the screening log and ADSL of `data`."""
        scr = data.screening
        enrolled = flag(scr["enrolled"])
        ineligible = scr["eligible"].map(is_false).astype(bool) & ~enrolled
        self.screened = len(scr)
        self.not_eligible = int(ineligible.sum())
        self.in_screening = int((~enrolled & ~ineligible).sum())
        self.enrolled = int(flag(data.adsl["enrolled_fl"]).sum()) if len(data.adsl) else 0
        reasons: Counter[str] = Counter()
        for text in scr.loc[ineligible, "failed_criteria"]:
            codes = [c.strip() for c in str(text or "").split(";") if c.strip()]
            reasons.update(codes or ["not stated"])
        self.reasons = dict(sorted(reasons.items(), key=lambda t: (-t[1], t[0])))
        for c in self.protocol.cohorts:
            adsl = data.adsl[data.adsl["cohort"] == c.code]
            enr = adsl[flag(adsl["enrolled_fl"])]
            trt = enr[flag(enr["treated_fl"])]
            off = trt["disposition"].dropna()
            self.cohorts[c.code] = CohortFlow(
                cohort=c.code,
                screened=int((scr["cohort"] == c.code).sum()),
                not_eligible=int((ineligible & (scr["cohort"] == c.code)).sum()),
                enrolled=len(enr),
                not_treated=len(enr) - len(trt),
                treated=len(trt),
                response_evaluable=int(flag(trt["response_evaluable_fl"]).sum()),
                analysed=len(trt),
                dlt_evaluable=int(flag(trt["dlt_evaluable_fl"]).sum()),
                discontinued=dict(Counter(str(d) for d in off if d != "ongoing")),
            )
        self._fitted = True
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """One row per cohort with every box of the flow."""
        self._check_fitted()
        return pd.DataFrame(
            [
                {k: v for k, v in f.to_dict().items() if k != "discontinued"}
                for f in self.cohorts.values()
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        self._check_fitted()
        return {
            "screened": self.screened,
            "not_eligible": self.not_eligible,
            "in_screening": self.in_screening,
            "enrolled": self.enrolled,
            "reasons": dict(self.reasons),
            "cohorts": {k: v.to_dict() for k, v in self.cohorts.items()},
        }
