"""Contract-shaped analysis datasets for tests: small TrialData built row by row.

Every frame has exactly the dictionary's columns (nakip.analysis.dictionary), so a fitter that
passes here reads the EDC's datasets the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd

from nakip.analysis.data import TrialData
from nakip.analysis.dictionary import columns

CUTOFF = date(2026, 11, 1)
START = date(2025, 1, 6)


def frame(name: str, rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """A dataset frame: the rows (missing columns None) in dictionary column order."""
    cols = columns(name)
    unknown = {k for r in rows for k in r} - set(cols)
    if unknown:
        raise KeyError(f"not in dataset {name}: {sorted(unknown)}")
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)


def subject(number: int, cohort: str = "overt", site: str = "S1", **values: Any) -> dict[str, Any]:
    """One ADSL row: enrolled and treated on enrolment day, enrolled a week after the previous
    subject; `values` override any column."""
    prefix = "A" if cohort == "overt" else "B"
    enrolled = START + timedelta(days=7 * number)
    row: dict[str, Any] = {
        "usubjid": f"NAKIP-AML-{prefix}{number:03d}",
        "subject_number": f"{prefix}{number:03d}",
        "site": site,
        "cohort": cohort,
        "enrolment_date": enrolled,
        "treatment_start_date": enrolled,
        "enrolled_fl": True,
        "treated_fl": True,
        "response_evaluable_fl": True,
        "dlt_evaluable_fl": True,
        "has_dlt": False,
        "feasibility_failure": False,
        "disposition": "ongoing",
        "data_cutoff": CUTOFF,
    }
    row.update(values)
    return row


def responders(outcomes: Sequence[bool | None], cohort: str = "overt", first: int = 1,
               **values: Any) -> list[dict[str, Any]]:  # fmt: skip
    """ADSL rows in enrolment order with the primary responder flag as given (None: unknown)."""
    return [subject(first + i, cohort, responder=o, **values) for i, o in enumerate(outcomes)]


def adverse_event(
    subj: dict[str, Any], term: str, grade: int | None, **values: Any
) -> dict[str, Any]:
    """One ADAE row of a subject (an ADSL row)."""
    row = {k: subj[k] for k in ("usubjid", "subject_number", "site", "cohort")}
    row.update(
        source="adverse_event",
        term=term,
        soc="General disorders",
        grade=grade,
        serious=False,
        related=False,
        is_dlt=False,
    )
    row.update(values)
    return row


def screened(
    number: int,
    cohort: str = "overt",
    eligible: bool | None = True,
    enrolled: bool = False,
    failed: str | None = None,
    site: str = "S1",
) -> dict[str, Any]:
    """One screening-log row."""
    return {
        "screening_number": f"SCR-{number:03d}",
        "site": site,
        "cohort": cohort,
        "consent_date": START,
        "eligible": eligible,
        "failed_criteria": failed,
        "enrolled": enrolled,
    }


def trial_data(
    adsl: Sequence[dict[str, Any]] = (),
    adae: Sequence[dict[str, Any]] = (),
    screening: Sequence[dict[str, Any]] = (),
    cutoff: date | None = CUTOFF,
) -> TrialData:
    """A TrialData of the given rows (other datasets empty)."""
    return TrialData(
        adsl=frame("adsl", adsl),
        adae=frame("adae", adae),
        screening=frame("screening", screening),
        cutoff=cutoff,
    )
