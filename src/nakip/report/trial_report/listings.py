"""Report section: patient listings (ICH E3 section 16.2) of subjects, responses and adverse
events. The closed DSMB report lists the first rows and the notable adverse events (grade >= 3,
serious or DLT); the final report lists everything."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd

from nakip.analysis.data import TrialData
from nakip.report.trial_report.model import DASH, ReportSection, Table

__all__ = ["cell", "listing_table", "listings_section"]

SUBJECT_COLUMNS = {
    "usubjid": "Subject", "cohort": "Cohort", "site": "Site", "enrolment_date": "Enrolled",
    "treated_fl": "Treated", "best_response": "Best response", "responder": "Responder",
    "disposition": "Disposition", "death_date": "Death",
}  # fmt: skip
RESPONSE_COLUMNS = {
    "usubjid": "Subject", "cohort": "Cohort", "paramcd": "Parameter", "visit_code": "Visit",
    "assessment_date": "Date", "study_day": "Day", "category": "Category",
    "log10_change": "MRD log10 change", "responder": "Responder",
}  # fmt: skip
AE_COLUMNS = {
    "usubjid": "Subject", "cohort": "Cohort", "term": "Term", "grade": "Grade",
    "serious": "Serious", "related": "Related", "is_dlt": "DLT", "onset_date": "Onset",
    "outcome": "Outcome",
}  # fmt: skip


def cell(value: Any) -> str:
    """A listing cell: dates in ISO form, booleans yes/no, a dash for a missing value."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def listing_table(key: str, title: str, frame: pd.DataFrame, columns: dict[str, str],
                  limit: int | None, note: str) -> Table:  # fmt: skip
    """`columns` of `frame` as a listing table, the first `limit` rows (None: all)."""
    total = len(frame)
    shown = frame if limit is None else frame.head(limit)
    rows = tuple(
        tuple(cell(v) for v in values)
        for values in shown[list(columns)].itertuples(index=False, name=None)
    )
    if limit is not None and total > limit:
        note = f"{note} First {limit} of {total} rows; the final report lists all.".strip()
    return Table(key, title, tuple(columns.values()), rows, note=note, total=total)


def listings_section(data: TrialData, limit: int | None) -> ReportSection:
    """Subjects, responses and adverse events; `limit` rows each (None: all, every AE)."""
    subjects = data.adsl.sort_values(["cohort", "usubjid"], kind="stable")
    responses = data.adrs.sort_values(["usubjid", "study_day"], kind="stable")
    ae = data.adae.sort_values(["usubjid", "onset_date"], kind="stable", na_position="last")
    ae_note = ""
    if limit is not None:
        grade = pd.to_numeric(ae["grade"], errors="coerce")
        notable = (grade >= 3) | (ae["serious"] == True) | (ae["is_dlt"] == True)  # noqa: E712
        ae = ae[notable]
        ae_note = "Adverse events of grade >= 3, serious or DLT."
    tables = (
        listing_table("listing-subjects", "Subjects", subjects, SUBJECT_COLUMNS, limit, ""),
        listing_table(
            "listing-responses", "Response assessments", responses, RESPONSE_COLUMNS, limit, ""
        ),  # fmt: skip
        listing_table("listing-ae", "Adverse events", ae, AE_COLUMNS, limit, ae_note),
    )
    return ReportSection("listings", "Listings", tables=tables)
