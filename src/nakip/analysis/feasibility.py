"""Feasibility per cohort and overall: NK-cell product failures among patients whose product
outcome is known, with an exact Clopper–Pearson interval, beside the protocol's limit.

A failure is the protocol's feasibility rule (ADSL `feasibility_failure`, derived in the EDC);
patients with no product outcome yet are not in the denominator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import pandas as pd

from nakip.analysis.data import TrialData
from nakip.analysis.fitter import Fitter
from nakip.analysis.populations import flag, known
from nakip.analysis.proportion import Proportion
from nakip.protocol.model import Protocol


@dataclass(frozen=True)
class FeasibilityRate:
    """Failures of one scope (a cohort or "all") with the protocol's unacceptable rate."""

    scope: str
    rate: Proportion
    limit: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return {"scope": self.scope, "limit": self.limit, **self.rate.to_dict()}


class FeasibilityAnalysis(Fitter):
    """NK-cell product failure rate, lifelines-style.

    `FeasibilityAnalysis(protocol).fit(data)`; then `rates` (scope -> FeasibilityRate, the
    cohorts then "all"), `summary` and `to_dict()`.
    """

    def __init__(self, protocol: Protocol, conf_level: float = 0.95) -> None:
        self.protocol = protocol
        self.conf_level = conf_level
        self.rates: dict[str, FeasibilityRate] = {}

    def fit(self, data: TrialData) -> Self:
        """Count failures per cohort and over all cohorts."""
        rule = next((r for r in self.protocol.monitoring if r.event == "feasibility_failure"), None)
        limit = None if rule is None else rule.limit
        scopes = [(c.code, data.adsl[data.adsl["cohort"] == c.code]) for c in self.protocol.cohorts]
        scopes.append(("all", data.adsl))
        for scope, adsl in scopes:
            outcome = adsl[known(adsl["feasibility_failure"])]
            rate = Proportion.exact(
                int(flag(outcome["feasibility_failure"]).sum()),
                len(outcome),
                conf_level=self.conf_level,
                what="patient with a known NK-cell product outcome",
            )
            self.rates[scope] = FeasibilityRate(scope, rate, limit)
        self._fitted = True
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """Failures, patients, rate and exact CI per scope."""
        self._check_fitted()
        return pd.DataFrame([r.to_dict() for r in self.rates.values()])

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        self._check_fitted()
        return {k: v.to_dict() for k, v in self.rates.items()}
