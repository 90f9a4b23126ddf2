"""Protocol deviations for the DSMB and final reports (ICH E3 section 10.2 listing).

Two sources, one table: the deviations the sites record on the deviation form (dataset ADDV:
late visit, missed dose, eligibility waiver, other; severity major/minor), and the deviations
the data themselves show: enrolment of a patient the screening log marks not eligible, study
treatment before informed consent, and a response assessment outside its visit window
(protocol schedule: day - window_before to day + window_after, study day 1 = enrolment). A
window deviation the site already recorded as a late visit of the same visit is listed once.
Each is one row of `DeviationLog.table` (`source`: "form" or "data check").
"""

from __future__ import annotations

from typing import Any, Self

import pandas as pd

from nakip.analysis.data import TrialData
from nakip.analysis.fitter import Fitter
from nakip.analysis.populations import flag, is_false
from nakip.protocol.model import Protocol

COLUMNS = ["usubjid", "cohort", "category", "description", "severity", "source"]
CHECKS = (
    "enrolment of a patient the screening log marks not eligible, study treatment before "
    "informed consent, and response assessments outside their visit window"
)


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


def _recorded(data: TrialData) -> list[dict[str, Any]]:
    """The deviations recorded on the deviation form (ADDV)."""
    return [
        {
            "usubjid": row["usubjid"],
            "cohort": row["cohort"],
            "category": str(row["category"]).replace("_", " "),
            "description": str(row["description"])
            + (f" ({row['visit_code']})" if row["visit_code"] else ""),
            "severity": row["severity"],
            "source": "form",
        }
        for _, row in data.addv.iterrows()
    ]


def _out_of_window(data: TrialData, protocol: Protocol) -> list[dict[str, Any]]:
    visits = [v for v in protocol.schedule.visits if v.response_assessment]
    low = {v.code: v.day - v.window_before for v in visits}
    high = {v.code: v.day + v.window_after for v in visits}
    adrs = data.adrs[data.adrs["visit_code"].isin(list(low))]
    late = data.addv[data.addv["category"] == "late_visit"]
    recorded = set(zip(late["usubjid"], late["visit_code"], strict=True))
    day = pd.to_numeric(adrs["study_day"], errors="coerce")
    outside = (day < adrs["visit_code"].map(low)) | (day > adrs["visit_code"].map(high))
    not_recorded = pd.Series(
        [(u, v) not in recorded for u, v in zip(adrs["usubjid"], adrs["visit_code"], strict=True)],
        index=adrs.index,
        dtype=bool,
    )
    outside &= not_recorded
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
        found = (
            _not_eligible_enrolled(data)
            + _treated_before_consent(data)
            + _out_of_window(data, self.protocol)
        )
        rows = _recorded(data) + [{"severity": "", "source": "data check", **r} for r in found]
        self.table = pd.DataFrame(rows, columns=COLUMNS)
        self._fitted = True
        return self

    @property
    def severity_counts(self) -> dict[str, int]:
        """Recorded deviations per severity (major, minor); data-check findings are unjudged."""
        self._check_fitted()
        form = self.table[self.table["source"] == "form"]
        return {str(k): int(v) for k, v in form["severity"].value_counts().items()}

    @property
    def counts(self) -> dict[str, int]:
        """Deviations per category."""
        self._check_fitted()
        return {str(k): int(v) for k, v in self.table["category"].value_counts().items()}

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        self._check_fitted()
        return {
            "counts": self.counts,
            "severity_counts": self.severity_counts,
            "deviations": self.table.to_dict(orient="records"),
        }
