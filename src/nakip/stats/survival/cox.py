"""Cox proportional-hazards regression where a protocol or a reader asks for it.

A thin layer over lifelines' CoxPHFitter (Efron's method for ties, as R `survival::coxph`'s
default): checked input, hazard ratios with Wald limits and p-values in a frozen result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd

from nakip.stats.survival.event_counts import check_durations, check_status
from nakip.stats.survival.kaplan_meier import normal_quantile


@dataclass(frozen=True)
class HazardRatio:
    """One covariate's hazard ratio, its Wald confidence limits and p-value."""

    covariate: str
    coef: float
    se: float
    hazard_ratio: float
    lower: float
    upper: float
    p: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return dict(self.__dict__)


class CoxPH:
    """Cox model, lifelines-style: `CoxPH().fit(df, "days", "event", ["x"])`, then attributes
    `hazard_ratios` (by covariate), `summary`, `n`, `n_events`."""

    def __init__(self, alpha: float = 0.05) -> None:
        normal_quantile(alpha)
        self.alpha = alpha
        self.hazard_ratios: dict[str, HazardRatio] = {}
        self.n = 0
        self.n_events = 0

    def fit(
        self, df: pd.DataFrame, duration_col: str, event_col: str, covariates: Sequence[str]
    ) -> Self:
        """Fit on the rows of `df`; ValueError naming a missing column or a bad value."""
        from lifelines import CoxPHFitter

        covariates = list(covariates)
        if not covariates:
            raise ValueError("covariates: give at least one covariate")
        for col in (duration_col, event_col, *covariates):
            if col not in df.columns:
                raise ValueError(
                    f"column {col!r} not found (have: {', '.join(map(str, df.columns))})"
                )
        t = check_durations(df[duration_col].to_numpy(), duration_col)
        e = check_status(df[event_col].to_numpy(), t.shape[0], event_col)
        data = pd.DataFrame({"_t": t, "_e": e})
        for col in covariates:
            x = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
            bad = np.flatnonzero(np.isnan(x))
            if bad.size:
                raise ValueError(f"{col}: missing or non-numeric value at row {int(bad[0])}")
            data[col] = x
        if e.sum() == 0:
            raise ValueError(f"{event_col}: no events, the Cox model is not estimable")
        fitter = CoxPHFitter(alpha=self.alpha).fit(data, "_t", "_e")
        z = normal_quantile(self.alpha)
        table = fitter.summary
        self.hazard_ratios = {
            col: HazardRatio(
                covariate=col,
                coef=float(table.loc[col, "coef"]),
                se=float(table.loc[col, "se(coef)"]),
                hazard_ratio=float(np.exp(table.loc[col, "coef"])),
                lower=float(np.exp(table.loc[col, "coef"] - z * table.loc[col, "se(coef)"])),
                upper=float(np.exp(table.loc[col, "coef"] + z * table.loc[col, "se(coef)"])),
                p=float(table.loc[col, "p"]),
            )
            for col in covariates
        }
        self.n, self.n_events = int(t.shape[0]), int(e.sum())
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """One row per covariate: coef, se, hazard ratio, limits, p."""
        return pd.DataFrame([hr.to_dict() for hr in self.hazard_ratios.values()])

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return {
            "n": self.n,
            "events": self.n_events,
            "conf_level": 1.0 - self.alpha,
            "hazard_ratios": [hr.to_dict() for hr in self.hazard_ratios.values()],
        }
