"""Expedited reporting of serious adverse events per cohort from ADSAE: how many SAEs, in how
many patients, how many initial notices reached the sponsor within the protocol's deadline
(`safety.sae_notice_hours`, ICH E6(R2) 4.11.1), late, or not yet, and the follow-ups filed.

Whether a notice was on time is decided once, by `nakip.edc.sae` when the dataset is built;
this module only counts. The listing is ADSAE sorted by subject and onset.
"""

from __future__ import annotations

from typing import Any, Self

import pandas as pd

from nakip.analysis.data import TrialData
from nakip.analysis.fitter import Fitter
from nakip.analysis.populations import flag, is_false

ALL = "all"
#: notice states of `nakip.edc.sae.SAECase.status` still waiting for an initial notice
PENDING = ("awaiting notice", "notice missing", "overdue")


class SAEReporting(Fitter):
    """SAE counts and notice timeliness per cohort and overall, lifelines-style.

    `SAEReporting().fit(data)`; then `summary` (one row per cohort and "all": SAEs, patients,
    on time, late, pending, overdue, follow-ups, median hours to notice), `listing` (ADSAE
    rows by subject and onset) and `to_dict()`.
    """

    def __init__(self) -> None:
        self.summary = pd.DataFrame()
        self.listing = pd.DataFrame()

    def fit(self, data: TrialData) -> Self:
        """Count the SAEs of `data.adsae`."""
        sae = data.adsae
        self.listing = sae.sort_values(
            ["usubjid", "onset_date"], kind="stable", na_position="last", ignore_index=True
        )
        cohorts = sorted(data.adsl["cohort"].dropna().unique())
        scopes = [(c, sae[sae["cohort"] == c]) for c in cohorts] + [(ALL, sae)]
        self.summary = pd.DataFrame([_row(scope, part) for scope, part in scopes])
        self._fitted = True
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view (a median of no notices is None)."""
        self._check_fitted()
        rows = self.summary.astype(object).where(self.summary.notna(), None)
        return {"summary": rows.to_dict(orient="records")}


def _row(scope: str, sae: pd.DataFrame) -> dict[str, Any]:
    hours = pd.to_numeric(sae["hours_to_notice"], errors="coerce").dropna()
    status = sae["notice_status"]
    return {
        "cohort": scope,
        "saes": len(sae),
        "patients": int(sae["usubjid"].nunique()),
        "on_time": int(flag(sae["notice_on_time"]).sum()),
        "late": int(sae["notice_on_time"].map(is_false).astype(bool).sum()),
        "pending": int(status.isin(PENDING).sum()),
        "overdue": int((status == "overdue").sum()),
        "follow_ups": int(pd.to_numeric(sae["follow_ups"], errors="coerce").fillna(0).sum()),
        "median_hours": float(hours.median()) if len(hours) else None,
    }
