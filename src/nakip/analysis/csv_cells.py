"""Text cells of every CSV file NAKIP writes, made safe against spreadsheet formula injection.

A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@` as a formula
(`=HYPERLINK(...)` in an adverse-event term), and tab or carriage return can hide such a start
(OWASP "CSV Injection"). Every text cell starting with one of these, or with a single quote, is
written with one more single quote in front; `restore` removes it again, so reading an export
back gives the text that was entered. Numbers, dates and flags are never text cells, so a
negative number stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value: Any) -> Any:
    """`value` with a single quote in front if it is text a spreadsheet could run; else as is."""
    if isinstance(value, str) and value.startswith((*FORMULA_STARTS, QUOTE)):
        return QUOTE + value
    return value


def restore(value: Any) -> Any:
    """The text `neutralise` was given: one leading single quote removed from a text cell."""
    if isinstance(value, str) and value.startswith(QUOTE):
        return value[1:]
    return value


_RISKY_FIRST = frozenset((*FORMULA_STARTS, QUOTE))


def neutralised_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its text cells neutralised (object columns only): a copy when a cell
    changes, else `frame` itself. Each column is scanned once in plain Python (most hold no
    risky cell, and `Series.map` per cell was most of a large export's time)."""
    out = frame
    for name in frame.columns:
        col = frame[name]
        if col.dtype != object:
            continue
        values = col.tolist()
        if _RISKY_FIRST.isdisjoint({v[:1] for v in values if isinstance(v, str)}):
            continue
        if out is frame:
            out = frame.copy()
        out[name] = pd.Series([neutralise(v) for v in values], index=col.index, dtype=object)
    return out


def frame_csv(frame: pd.DataFrame) -> str:
    """CSV text of `frame` (header first, no index, empty cell for a missing value)."""
    return neutralised_frame(frame).to_csv(index=False, lineterminator="\n")


def rows_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text of a header and rows of cell values, text cells neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return buf.getvalue()
