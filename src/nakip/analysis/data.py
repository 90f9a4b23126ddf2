"""The trial's analysis datasets as one object: what every fitter in `nakip.analysis` reads.

Built from the EDC by `nakip.edc.datasets.build_trial_data` or read back from exported CSV files
with `TrialData.from_csv_dir`, so an analysis gives the same answer on the live database and on
an export. Columns follow `nakip.analysis.dictionary`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from nakip.analysis.csv_cells import restore
from nakip.analysis.dictionary import DICTIONARY, columns


class DatasetError(ValueError):
    """A dataset does not follow the dictionary (missing column, unreadable file)."""


def _check(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in columns(name) if c not in frame.columns]
    if missing:
        raise DatasetError(f"dataset {name}: missing column(s) {', '.join(missing)}")
    return frame


def empty_frame(name: str) -> pd.DataFrame:
    """An empty DataFrame with the columns of dataset `name`."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns(name)})


@dataclass(frozen=True)
class TrialData:
    """ADSL, ADRS, ADTTE, ADAE, ADLB, the screening log, ADDV (protocol deviations recorded
    on the deviation form), ADSAE (expedited reporting of serious adverse events) and ADSV
    (visit dates of the records and missed visits) at one data cut-off."""

    adsl: pd.DataFrame = field(default_factory=lambda: empty_frame("adsl"))
    adrs: pd.DataFrame = field(default_factory=lambda: empty_frame("adrs"))
    adtte: pd.DataFrame = field(default_factory=lambda: empty_frame("adtte"))
    adae: pd.DataFrame = field(default_factory=lambda: empty_frame("adae"))
    adlb: pd.DataFrame = field(default_factory=lambda: empty_frame("adlb"))
    screening: pd.DataFrame = field(default_factory=lambda: empty_frame("screening"))
    addv: pd.DataFrame = field(default_factory=lambda: empty_frame("addv"))
    adsae: pd.DataFrame = field(default_factory=lambda: empty_frame("adsae"))
    adsv: pd.DataFrame = field(default_factory=lambda: empty_frame("adsv"))
    cutoff: date | None = None

    def __post_init__(self) -> None:
        for name in DICTIONARY:
            _check(name, getattr(self, name))

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every dataset by name, in dictionary order."""
        return {name: getattr(self, name) for name in DICTIONARY}

    def cohort(self, code: str) -> TrialData:
        """The same datasets restricted to one cohort (screening rows screened for it)."""
        return TrialData(
            **{
                name: f[f["cohort"] == code].reset_index(drop=True)
                for name, f in self.frames().items()
            },
            cutoff=self.cutoff,
        )

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the datasets' CSV text: the same data give the same fingerprint."""
        h = hashlib.sha256()
        for name, frame in self.frames().items():
            h.update(name.encode())
            h.update(frame[columns(name)].to_csv(index=False, lineterminator="\n").encode())
        h.update(str(self.cutoff).encode())
        return h.hexdigest()

    @classmethod
    def from_csv_dir(cls, folder: str | Path, cutoff: date | None = None) -> TrialData:
        """Read `<name>.csv` for every dataset in `folder` (missing files give empty datasets)."""
        folder = Path(folder)
        frames: dict[str, pd.DataFrame] = {}
        for name, variables in DICTIONARY.items():
            path = folder / f"{name}.csv"
            if not path.exists():
                frames[name] = empty_frame(name)
                continue
            try:
                frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
                raise DatasetError(f"{path}: cannot read it as CSV ({exc})") from exc
            frames[name] = _typed(_check(name, frame), variables)
        return cls(**frames, cutoff=cutoff)


def _typed(frame: pd.DataFrame, variables) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Convert CSV text columns to the dictionary's types (empty cell = missing)."""
    out = frame.copy()
    for v in variables:
        text = out[v.name].replace("", None)
        if v.type == "int":
            out[v.name] = pd.to_numeric(text, errors="raise").astype("Int64")
        elif v.type == "float":
            out[v.name] = pd.to_numeric(text, errors="raise")
        elif v.type == "bool":
            out[v.name] = text.map({"True": True, "False": False, "true": True, "false": False})
        elif v.type == "date":
            out[v.name] = text.map(lambda s: None if s is None else date.fromisoformat(s))
        else:
            out[v.name] = text.map(restore)  # undo the formula neutralisation of the export
    return out
