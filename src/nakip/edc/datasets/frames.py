"""Rows to DataFrames with the dictionary's columns and types, and the shared keys of a row.

Types match what `TrialData.from_csv_dir` reads back (Int64 for integers, float64, objects of
bool/date/str with None for missing), so a dataset and its CSV export have one fingerprint.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd

from nakip.analysis.dictionary import DICTIONARY
from nakip.edc.models import Subject


def keys(subject: Subject, usubjid: str) -> dict[str, Any]:
    """The key columns every subject-level and record-level dataset starts with."""
    return {
        "usubjid": usubjid,
        "subject_number": subject.subject_number,
        "site": subject.site.code,
        "cohort": subject.cohort,
    }


def study_day(day1: date, when: date | None) -> int | None:
    """Study day of `when` with day 1 = enrolment and no day 0 (CDISC convention)."""
    if when is None:
        return None
    delta = (when - day1).days
    return delta + 1 if delta >= 0 else delta


def typed_frame(name: str, rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Dataset `name` as a DataFrame in dictionary column order and types."""
    variables = DICTIONARY[name]
    names = [v.name for v in variables]
    frame = pd.DataFrame.from_records(list(rows), columns=names)
    for v in variables:
        col = frame[v.name]
        if v.type == "int":
            frame[v.name] = pd.array(col.astype(object).where(col.notna(), None), dtype="Int64")
        elif v.type == "float":
            frame[v.name] = pd.to_numeric(col, errors="raise").astype("float64")
        else:  # bool, date, str: Python objects, None for missing
            frame[v.name] = col.astype(object).where(col.notna(), None)
    return frame
