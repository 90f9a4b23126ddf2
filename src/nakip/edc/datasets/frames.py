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


def _none(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and value != value) else value


def typed_frame(name: str, rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Dataset `name` as a DataFrame in dictionary column order and types."""
    variables = DICTIONARY[name]
    rows = list(rows)
    data: dict[str, pd.Series] = {}
    for v in variables:
        values = [_none(r.get(v.name)) for r in rows]
        if v.type == "int":
            data[v.name] = pd.Series(values, dtype="Int64")
        elif v.type == "float":
            data[v.name] = pd.Series(
                [float("nan") if x is None else float(x) for x in values], dtype="float64"
            )
        elif v.type == "bool":
            data[v.name] = pd.Series([None if x is None else bool(x) for x in values], dtype=object)
        else:
            data[v.name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, columns=[v.name for v in variables])
