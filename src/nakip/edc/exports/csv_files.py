"""CSV export: one file per analysis dataset, `dictionary.csv` describing every column, and the
raw per-form tables (`form_<code>.csv`, values as entered)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nakip.analysis.csv_cells import frame_csv, rows_csv
from nakip.analysis.data import TrialData
from nakip.analysis.dictionary import DICTIONARY, columns
from nakip.edc.exports.files import ExportedFile, write_text

DICTIONARY_COLUMNS = ("dataset", "name", "label", "type", "unit", "source")


def dictionary_csv() -> tuple[str, int]:
    """The data dictionary as CSV text and its number of rows."""
    rows = [
        (name, v.name, v.label, v.type, v.unit, v.source)
        for name, variables in DICTIONARY.items()
        for v in variables
    ]
    return rows_csv(DICTIONARY_COLUMNS, rows), len(rows)


def write_csv(
    data: TrialData, folder: Path, raw_forms: dict[str, pd.DataFrame] | None = None
) -> list[ExportedFile]:
    """`<dataset>.csv` for every dataset (read back by `TrialData.from_csv_dir`), the
    dictionary, then `form_<code>.csv` for every raw form table given."""
    files = [
        write_text(folder, f"{name}.csv", frame_csv(frame[columns(name)]), len(frame))
        for name, frame in data.frames().items()
    ]
    text, n = dictionary_csv()
    files.append(write_text(folder, "dictionary.csv", text, n))
    for code, frame in (raw_forms or {}).items():
        files.append(write_text(folder, f"form_{code}.csv", frame_csv(frame), len(frame)))
    return files
