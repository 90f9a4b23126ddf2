"""Protocol deviations for the DSMB and final reports (ICH E3 section 10.2 listing).

What counts as a deviation is decided once, in `nakip.clinical.deviations` (the EDC's listing
and deviation page use the same rule): the deviations sites record on the deviation form
(dataset ADDV) and those the data show: enrolment of a patient the screening log marks not
eligible, study treatment before informed consent, a visit the site declared missed (ADSV) and
a visit assessed outside its window (the clinical dates of every form record of ADSV, with the
response assessments of ADRS and the samples of ADLB). A window finding of a visit the site
recorded as a late visit is listed once. Each is one row of `DeviationLog.table` (`source`:
"form" or "data check").
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, Self

import pandas as pd

from nakip.analysis.data import TrialData
from nakip.analysis.fitter import Fitter
from nakip.analysis.populations import is_false, is_true
from nakip.clinical.deviations import (
    Deviation,
    RecordedEntry,
    enrolled_not_eligible,
    schedule_windows,
    subject_deviations,
)
from nakip.protocol.model import Protocol

COLUMNS = ["usubjid", "cohort", "category", "description", "severity", "source"]
CHECKS = (
    "enrolment of a patient the screening log marks not eligible, study treatment before "
    "informed consent, visits declared missed and visits assessed outside their window"
)
ASSESSMENT_DATES = {"adsv": "visit_date", "adrs": "assessment_date", "adlb": "sample_date"}
"""The dated, visit-bound records of the datasets: where a visit's date shows (ADSV holds every
form record's date; ADRS and ADLB add nothing new to it, but keep exports without ADSV
checked)."""


def _date(value: Any) -> date | None:
    when = pd.to_datetime(value, errors="coerce")
    return None if pd.isna(when) else when.date()


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _assessed(data: TrialData) -> dict[str, dict[str, list[date]]]:
    out: dict[str, dict[str, list[date]]] = defaultdict(lambda: defaultdict(list))
    for name, column in ASSESSMENT_DATES.items():
        frame = getattr(data, name)
        for u, v, d in zip(frame["usubjid"], frame["visit_code"], frame[column], strict=True):
            when = _date(d)
            if when is not None and _text(v):
                out[u][v].append(when)
    return out


def _missed(data: TrialData) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = defaultdict(dict)
    sv = data.adsv
    for u, v, m, why in zip(sv["usubjid"], sv["visit_code"], sv["missed"], sv["missed_reason"],
                            strict=True):  # fmt: skip
        if is_true(m) and _text(v):
            out[u][v] = _text(why)
    return out


def _recorded(data: TrialData) -> dict[str, list[RecordedEntry]]:
    out: dict[str, list[RecordedEntry]] = defaultdict(list)
    for _, r in data.addv.iterrows():
        out[r["usubjid"]].append(
            RecordedEntry(
                str(r["category"]),
                _text(r["severity"]),
                _text(r["description"]),
                _text(r["visit_code"]),
            )  # fmt: skip
        )
    return out


def subject_log(data: TrialData, protocol: Protocol) -> dict[str, list[Deviation]]:
    """Every subject's deviations by USUBJID (subjects of ADSL, then enrolled screening
    entries without an ADSL row), by the rule of `nakip.clinical.deviations`."""
    screening = {
        row["subject_number"]: row
        for _, row in data.screening.iterrows()
        if is_true(row["enrolled"]) and _text(row["subject_number"])
    }
    assessed, missed, recorded = _assessed(data), _missed(data), _recorded(data)
    out: dict[str, list[Deviation]] = {}
    for _, s in data.adsl.iterrows():
        scr = screening.pop(s["subject_number"], None)
        out[s["usubjid"]] = subject_deviations(
            day1=_date(s["enrolment_date"]),
            visits=schedule_windows(protocol, s["cohort"]),
            assessed=assessed.get(s["usubjid"], {}),
            missed=missed.get(s["usubjid"], {}),
            recorded=recorded.get(s["usubjid"], []),
            eligible=None if scr is None or not is_false(scr["eligible"]) else False,
            failed_criteria=None if scr is None else _text(scr["failed_criteria"]),
            consent=_date(s["consent_date"]),
            treatment_start=_date(s["treatment_start_date"]),
        )
    for number, scr in screening.items():
        found = enrolled_not_eligible(True, False if is_false(scr["eligible"]) else None,
                                      _text(scr["failed_criteria"]))  # fmt: skip
        if found is not None:
            out[number] = [found]
    return out


class DeviationLog(Fitter):
    """Deviations found in the datasets, lifelines-style: `DeviationLog(protocol).fit(data)`;
    then `table` (usubjid, cohort, category, description, severity, source), `by_subject`
    (the `Deviation` objects per USUBJID), `counts` and `to_dict()`."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.table = pd.DataFrame(columns=COLUMNS)
        self.by_subject: dict[str, list[Deviation]] = {}

    def fit(self, data: TrialData) -> Self:
        """Check `data` against the protocol."""
        cohorts = dict(zip(data.adsl["usubjid"], data.adsl["cohort"], strict=True))
        cohorts |= {
            n: c for n, c in zip(data.screening["subject_number"], data.screening["cohort"],
                                 strict=True)
            if n not in cohorts
        }  # fmt: skip
        self.by_subject = subject_log(data, self.protocol)
        rows = [
            {"usubjid": u, "cohort": cohorts.get(u, ""), "category": d.category,
             "description": d.description, "severity": d.severity, "source": d.source}
            for u, found in self.by_subject.items()
            for d in found
        ]  # fmt: skip
        self.table = pd.DataFrame(rows, columns=COLUMNS)
        self._fitted = True
        return self

    @property
    def severity_counts(self) -> dict[str, int]:
        """Recorded deviations per severity (major, minor); data-check findings are unjudged."""
        self._check_fitted()
        form = self.table[self.table["source"] == "form"]
        return {str(k): int(v) for k, v in form["severity"].value_counts().items()}

    @property
    def counts(self) -> dict[str, int]:
        """Deviations per category."""
        self._check_fitted()
        return {str(k): int(v) for k, v in self.table["category"].value_counts().items()}

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        self._check_fitted()
        return {
            "counts": self.counts,
            "severity_counts": self.severity_counts,
            "deviations": self.table.to_dict(orient="records"),
        }
