"""Datasets as the REST API serves them: the analysis datasets by name (adsl, adrs, adtte, adae,
adlb, screening) and the three first API datasets (subjects, responses, adverse_events), which
are now views of the same `TrialData` so the API and the exports always agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from nakip.analysis.csv_cells import frame_csv
from nakip.analysis.data import TrialData
from nakip.analysis.dictionary import DICTIONARY
from nakip.edc.models import ScreeningRecord, Subject
from nakip.edc.protocol_forms import get_protocol
from nakip.protocol import Protocol


@dataclass(frozen=True)
class Dataset:
    """An analysis dataset: its name, column order and rows (plain JSON values)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]

    def to_frame(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame with the dataset's column order."""
        return pd.DataFrame(list(self.rows), columns=list(self.columns))

    def to_csv(self) -> str:
        """CSV text (header first; empty cells for missing values; formulas neutralised)."""
        return frame_csv(self.to_frame())

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.name, "columns": list(self.columns), "rows": list(self.rows)}


def json_value(v: Any) -> Any:
    """A DataFrame cell as a plain JSON value (ISO date, None for missing, Python numbers)."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, date):
        return v.isoformat()
    return v.item() if hasattr(v, "item") else v


def _records(frame: pd.DataFrame, columns: Iterable[str]) -> tuple[dict[str, Any], ...]:
    cols = list(columns)
    return tuple(
        {c: json_value(v) for c, v in zip(cols, row, strict=True)}
        for row in frame[cols].itertuples(index=False, name=None)
    )


def _whole(v: Any) -> Any:
    return int(v) if isinstance(v, float) and v.is_integer() else v


SUBJECT_COLUMNS: tuple[str, ...] = (
    "subject_number", "site", "cohort", "screening_number", "consent_date", "enrolment_date",
    "best_response", "responder", "eln_responder", "mrd_responder", "relapse_date",
    "has_dlt", "feasibility_failure", "death_date", "last_known_alive_date",
    "end_of_study_date", "end_of_study_reason",
    "efs_days", "efs_event", "efs_date", "efs_reason",
    "os_days", "os_event", "os_date", "os_reason", "locked",
)  # fmt: skip
RESPONSE_COLUMNS: tuple[str, ...] = (
    "subject_number", "site", "cohort", "parameter", "visit_code", "assessment_date",
    "study_day", "category", "log10_change", "responder", "response_assessment", "rule",
)  # fmt: skip
AE_COLUMNS: tuple[str, ...] = (
    "subject_number", "site", "cohort", "record_id", "term", "ctcae_grade", "onset_date",
    "onset_study_day", "resolution_date", "serious", "category", "attribution_talazoparib",
    "attribution_nk", "outcome", "is_dlt", "in_dlt_window", "dlt_rule",
)  # fmt: skip


def _subjects(data: TrialData, protocol: Protocol) -> tuple[dict[str, Any], ...]:
    tte: dict[tuple[str, str], dict[str, Any]] = {}
    for row in _records(data.adtte, data.adtte.columns):
        tte[(row["subject_number"], row["paramcd"])] = row
    out = []
    for row in _records(data.adsl, data.adsl.columns):
        eln = protocol.cohort(row["cohort"]).primary_endpoint.kind == "eln2022_response"
        item = {c: row.get(c) for c in SUBJECT_COLUMNS}
        item["eln_responder"] = row["responder"] if eln else None
        for code in ("efs", "os"):
            t = tte.get((row["subject_number"], code.upper()), {})
            item[f"{code}_days"] = _whole(t.get("days"))
            item[f"{code}_event"] = t.get("event")
            item[f"{code}_date"] = t.get("date")
            item[f"{code}_reason"] = t.get("reason")
        out.append(item)
    return tuple(out)


_PARAMETERS = {"ELNRESP": "eln2022_response", "MRDCHG": "mrd_log10_change"}


def _responses(data: TrialData, protocol: Protocol) -> tuple[dict[str, Any], ...]:
    out = []
    for row in _records(data.adrs, data.adrs.columns):
        if row["paramcd"] in _PARAMETERS:
            item = {c: row.get(c) for c in RESPONSE_COLUMNS}
            item["parameter"] = _PARAMETERS[row["paramcd"]]
            out.append(item)
    return tuple(out)


def _adverse_events(data: TrialData, protocol: Protocol) -> tuple[dict[str, Any], ...]:
    out = []
    for row in _records(data.adae, data.adae.columns):
        if row["source"] == "adverse_event":
            item = {c: row.get(c) for c in AE_COLUMNS}
            item["ctcae_grade"] = row["grade"]
            out.append(item)
    return tuple(out)


View = Callable[[TrialData, Protocol], tuple[dict[str, Any], ...]]


def _analysis(name: str) -> View:
    return lambda data, protocol: _records(getattr(data, name), DATASETS[name])


DATASETS: dict[str, tuple[str, ...]] = {
    **{name: tuple(v.name for v in variables) for name, variables in DICTIONARY.items()},
    "subjects": SUBJECT_COLUMNS,
    "responses": RESPONSE_COLUMNS,
    "adverse_events": AE_COLUMNS,
}
"""Every dataset the API serves, with its columns."""

_VIEWS: dict[str, View] = {
    **{name: _analysis(name) for name in DICTIONARY},
    "subjects": _subjects,
    "responses": _responses,
    "adverse_events": _adverse_events,
}


def dataset_of(data: TrialData, name: str, protocol: Protocol) -> Dataset:
    """Dataset `name` (one of DATASETS) of already-built analysis datasets."""
    return Dataset(name, DATASETS[name], _VIEWS[name](data, protocol))


def build_dataset(
    name: str,
    subjects: Iterable[Subject],
    protocol: Protocol | None = None,
    screenings: Iterable[ScreeningRecord] | None = None,
    cutoff: date | None = None,
) -> Dataset:
    """Dataset `name` (one of DATASETS) over `subjects`, in subject-number order."""
    if name not in DATASETS:
        raise KeyError(name)
    from nakip.edc.datasets.build import build_trial_data

    if protocol is None:
        protocol = get_protocol()
    data = build_trial_data(protocol, cutoff, subjects, screenings)
    return dataset_of(data, name, protocol)
