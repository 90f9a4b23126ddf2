"""Analysis populations and the primary outcome of each patient, read from ADSL.

One definition for every fitter: the treated (ITT) population, enrolment order (Simon's stages
and the monitoring rules count patients in that order), and whether a patient's primary outcome
is known at the data cut-off. A treated patient whose endpoint can no longer be assessed counts
as a non-responder (docs/clinical-rules.md, ELN-MRD 2021: not evaluable = non-responder, all
treated patients in the denominator); a non-response is settled only when no further
assessment can change it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from nakip.protocol.model import Cohort, Protocol


def is_true(value: Any) -> bool:
    """True for a present, true value (numpy and pandas booleans included); missing is False."""
    return not _missing(value) and bool(value)


def is_false(value: Any) -> bool:
    """True for a present, false value; missing is not false."""
    return not _missing(value) and not bool(value)


def flag(values: pd.Series) -> pd.Series:
    """A boolean column with missing values as False."""
    return values.map(is_true).astype(bool)


def known(values: pd.Series) -> pd.Series:
    """True where a value is present (not None/NaN/NA)."""
    return values.map(lambda v: not _missing(v)).astype(bool)


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def enrolment_order(adsl: pd.DataFrame) -> pd.DataFrame:
    """ADSL rows by enrolment date then subject number (missing dates last)."""
    key = adsl["enrolment_date"].map(lambda d: d if isinstance(d, date) else date.max)
    return (
        adsl.assign(_key=key)
        .sort_values(["_key", "subject_number"], kind="stable")
        .drop(columns="_key")
        .reset_index(drop=True)
    )


def treated(adsl: pd.DataFrame) -> pd.DataFrame:
    """The treated (ITT) population in enrolment order: any study treatment given."""
    return enrolment_order(adsl[flag(adsl["treated_fl"])])


def assessment_deadline(protocol: Protocol, cohort: Cohort, enrolment: date) -> date:
    """The last day the primary endpoint can be assessed: the assessment visit's window end."""
    day = cohort.primary_endpoint.assessment_day
    after = next(
        (
            v.window_after
            for v in protocol.schedule.visits
            if v.day == day and v.response_assessment
        ),
        0,
    )
    return enrolment + timedelta(days=day - 1 + after)


def outcome_known(
    row: pd.Series, protocol: Protocol, cohort: Cohort, cutoff: date | None, column: str
) -> bool:
    """Whether a patient's outcome under responder `column` is settled at `cutoff`: a response
    was seen, or the patient is off study or dead, or the primary assessment window has closed.
    A non-response before the window closes can still turn into a response, so it is pending.
    Without a cut-off (data read back without one) a derived value counts as settled."""
    if is_true(row[column]):
        return True
    if not _missing(row["death_date"]) or not _missing(row["end_of_study_date"]):
        return True
    enrolled = row["enrolment_date"]
    if cutoff is None or not isinstance(enrolled, date):
        return not _missing(row[column])
    return cutoff > assessment_deadline(protocol, cohort, enrolled)


def primary_outcomes(
    adsl: pd.DataFrame, protocol: Protocol, cohort: Cohort, cutoff: date | None, column: str
) -> list[bool | None]:
    """Outcome under responder `column` of each treated patient of `adsl` in enrolment order:
    True responder, False non-responder (including not evaluable), None not known yet."""
    rows = treated(adsl)
    return [
        is_true(row[column]) if outcome_known(row, protocol, cohort, cutoff, column) else None
        for _, row in rows.iterrows()
    ]
