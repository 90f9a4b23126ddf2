"""SAS transport (XPT version 5) files of the ADaM-like datasets, written with pyreadstat.

Version 5 limits (SAS TS-140; FDA study data specifications): names of at most 8 characters
(the dictionary's `cdisc` names), labels of at most 40, text of at most 200 bytes (longer text,
only the `rule` explanations in practice, is cut at 200 bytes). Flags are "Y"/"N" text as in
ADaM, dates numeric SAS dates with the DATE9. format, integers and decimals numbers.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from nakip.analysis.data import TrialData
from nakip.analysis.dictionary import DICTIONARY, Variable
from nakip.edc.exports.files import ExportedFile, described

XPT_DATASETS: dict[str, str] = {
    "adsl": "Subject-Level Analysis Dataset",
    "adrs": "Response Analysis Dataset",
    "adtte": "Time-to-Event Analysis Dataset",
    "adae": "Adverse Events Analysis Dataset",
    "adlb": "Laboratory Analysis Dataset",
}
MAX_NAME, MAX_LABEL, MAX_TEXT = 8, 40, 200
SAS_EPOCH = date(1960, 1, 1)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    data = str(value).encode("utf-8")[:MAX_TEXT]
    return data.decode("utf-8", errors="ignore")


def _flag(value: Any) -> str:
    return "" if value is None or value != value else ("Y" if value else "N")


def xpt_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Dataset `name` with CDISC-style names and XPT v5 types."""
    out: dict[str, pd.Series] = {}
    for v in DICTIONARY[name]:
        col = frame[v.name]
        if v.type == "bool":
            out[v.cdisc] = col.map(_flag).astype(object)
        elif v.type in ("int", "float"):
            out[v.cdisc] = pd.to_numeric(col, errors="raise").astype("float64")
        elif v.type == "date":
            out[v.cdisc] = col.map(_sas_date).astype("float64")
        else:
            out[v.cdisc] = col.map(_text).astype(object)
    return pd.DataFrame(out)


def _sas_date(value: Any) -> float:
    """Days since 1960-01-01 (a SAS date; NaN when missing)."""
    return float((value - SAS_EPOCH).days) if isinstance(value, date) else float("nan")


def _check_names(name: str, variables: tuple[Variable, ...]) -> None:
    names = [v.cdisc for v in variables]
    bad = [n for n in names if not n or len(n) > MAX_NAME]
    if bad or len(set(names)) != len(names):
        raise ValueError(f"{name}: XPT names must be unique and <= 8 characters ({names})")


def write_table(
    folder: Path,
    table: str,
    title: str,
    frame: pd.DataFrame,
    labels: list[str],
    date_columns: tuple[str, ...] = (),
) -> ExportedFile:
    """Write `frame` (XPT-ready names and types) as `<table>.xpt` in version 5."""
    import pyreadstat

    name = f"{table.lower()}.xpt"
    pyreadstat.write_xport(
        frame,
        str(folder / name),
        file_label=title[:MAX_LABEL],
        column_labels=[label[:MAX_LABEL].rstrip() for label in labels],
        table_name=table.upper()[:MAX_NAME],
        file_format_version=5,
        variable_format={c: "DATE9" for c in date_columns},
    )
    return described(folder, name, len(frame))


def write_xpt(data: TrialData, folder: Path) -> list[ExportedFile]:
    """`<dataset>.xpt` for ADSL, ADRS, ADTTE, ADAE and ADLB."""
    files = []
    for name, title in XPT_DATASETS.items():
        variables = DICTIONARY[name]
        _check_names(name, variables)
        files.append(
            write_table(
                folder,
                name,
                title,
                xpt_frame(name, getattr(data, name)),
                [v.label for v in variables],
                tuple(v.cdisc for v in variables if v.type == "date"),
            )
        )
    return files


def read_xpt(path: str | Path, name: str) -> pd.DataFrame:
    """An XPT file written by `write_xpt` back as dataset `name` (dictionary names and types)."""
    import pyreadstat

    raw, _ = pyreadstat.read_xport(str(path), encoding="utf-8")
    out: dict[str, pd.Series] = {}
    for v in DICTIONARY[name]:
        col = raw[v.cdisc]
        if v.type == "bool":
            out[v.name] = col.map({"Y": True, "N": False, "": None}).astype(object)
        elif v.type == "int":
            out[v.name] = col.astype("Int64")
        elif v.type == "float":
            out[v.name] = col.astype("float64")
        elif v.type == "date":
            out[v.name] = col.map(lambda d: d if isinstance(d, date) else None).astype(object)
        else:
            out[v.name] = col.map(lambda s: s or None).astype(object)
    return pd.DataFrame(out)
