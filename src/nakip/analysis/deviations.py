"""Protocol deviations that the analysis datasets show (ICH E3 section 10.2 listing).

The EDC keeps no deviation log, so only deviations visible in the data are found: enrolment of
a patient the screening log marks not eligible, study treatment before informed consent, and a
response assessment outside its visit window (protocol schedule: day - window_before to
day + window_after, study day 1 = enrolment). Each is one row of `DeviationLog.table`.
"""

from __future__ import annotations

from typing import Any, Self

import pandas as pd

from nakip.analysis.data import TrialData
from nakip.analysis.fitter import Fitter
from nakip.analysis.populations import flag, is_false
from nakip.protocol.model import Protocol

COLUMNS = ["usubjid", "cohort", "category", "description"]


def _not_eligible_enrolled(data: TrialData) -> list[dict[str, Any]]:
    scr = data.screening
    rows = scr[flag(scr["enrolled"]) & scr["eligible"].map(is_false).astype(bool)]
    subjects = data.adsl.set_index("subject_number")
    out = []
    for _, row in rows.iterrows():
        number = row["subject_number"]
        usubjid = subjects["usubjid"].get(number, number) if number in subjects.index else number
        out.append(
            {
                "usubjid": usubjid,
                "cohort": row["cohort"],
                "category": "eligibility",
                "description": f"enrolled although not eligible ({row['failed_criteria']})",
            }
        )
    return out


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce")


def _treated_before_consent(data: TrialData) -> list[dict[str, Any]]:
    adsl = data.adsl
    early = adsl[_dates(adsl["treatment_start_date"]) < _dates(adsl["consent_date"])]
    return [
        {
            "usubjid": row["usubjid"],
            "cohort": row["cohort"],
            "category": "consent",
            "description": (
                f"study treatment on {row['treatment_start_date']} before consent on "
                f"{row['consent_date']}"
            ),
        }
        for _, row in early.iterrows()
    ]


def _out_of_window(data: TrialData, protocol: Protocol) -> list[dict[str, Any]]:
    visits = [v for v in protocol.schedule.visits if v.response_assessment]
    low = {v.code: v.day - v.window_before for v in visits}
    high = {v.code: v.day + v.window_after for v in visits}
    adrs = data.adrs[data.adrs["visit_code"].isin(list(low))]
    day = pd.to_numeric(adrs["study_day"], errors="coerce")
    outside = (day < adrs["visit_code"].map(low)) | (day > adrs["visit_code"].map(high))
    return [
        {
            "usubjid": row["usubjid"],
            "cohort": row["cohort"],
            "category": "visit window",
            "description": (
                f"{row['visit_code']} ({row['paramcd']}) on study day {int(row['study_day'])}; "
                f"window day {low[row['visit_code']]} to {high[row['visit_code']]}"
            ),
        }
        for _, row in adrs[outside].iterrows()
    ]


class DeviationLog(Fitter):
    """Deviations found in the datasets, lifelines-style: `DeviationLog(protocol).fit(data)`;
    then `table` (usubjid, cohort, category, description), `counts` and `to_dict()`."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.table = pd.DataFrame(columns=COLUMNS)

    def fit(self, data: TrialData) -> Self:
        """Check `data` against the protocol."""
        rows = (
            _not_eligible_enrolled(data)
            + _treated_before_consent(data)
            + _out_of_window(data, self.protocol)
        )
        self.table = pd.DataFrame(rows, columns=COLUMNS)
        self._fitted = True
        return self

    @property
    def counts(self) -> dict[str, int]:
        """Deviations per category."""
        self._check_fitted()
        return {str(k): int(v) for k, v in self.table["category"].value_counts().items()}

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        self._check_fitted()
        return {"counts": self.counts, "deviations": self.table.to_dict(orient="records")}
