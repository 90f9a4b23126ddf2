"""CSV export: one file per analysis dataset and `dictionary.csv` describing every column."""

from __future__ import annotations

from pathlib import Path

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


def write_csv(data: TrialData, folder: Path) -> list[ExportedFile]:
    """`<dataset>.csv` for every dataset (read back by `TrialData.from_csv_dir`), then the
    dictionary."""
    files = [
        write_text(folder, f"{name}.csv", frame_csv(frame[columns(name)]), len(frame))
        for name, frame in data.frames().items()
    ]
    text, n = dictionary_csv()
    files.append(write_text(folder, "dictionary.csv", text, n))
    return files
