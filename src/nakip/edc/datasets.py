"""Analysis datasets built from the derived values of each subject (modelled on CDISC ADaM).

- `subjects` (ADSL-like): one row per subject — site, cohort, dates, best response, responder,
  DLT, feasibility, death, and EFS/OS times (days) with their event flags.
- `responses` (ADRS-like): one row per assessment — ELN 2022 response at each
  response-assessment visit and MRD log10 change at each post-baseline MRD sample.
- `adverse_events` (ADAE-like): one row per adverse-event record with its DLT verdict.

Values come from `nakip.edc.derivations.derive_subject` (which applies `nakip.clinical`); this
module only lays them out. Dates are ISO strings so that JSON and CSV carry the same text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from nakip.edc.derivations import SubjectDerivation, derive_subject
from nakip.edc.models import FormRecord, Subject
from nakip.protocol import Protocol

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
        """CSV text (header line first; empty cells for missing values)."""
        return self.to_frame().to_csv(index=False, lineterminator="\n")

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.name, "columns": list(self.columns), "rows": list(self.rows)}


def _iso(d: date | str | None) -> str | None:
    if d is None:
        return None
    return d if isinstance(d, str) else d.isoformat()


def _study_day(day1: date, when: date | None) -> int | None:
    """Study day of `when` with day 1 = enrolment and no day 0 (CDISC convention)."""
    if when is None:
        return None
    delta = (when - day1).days
    return delta + 1 if delta >= 0 else delta


def _subject_row(subject: Subject, d: SubjectDerivation) -> dict[str, Any]:
    tte = d.time_to_event or {}
    return {
        "subject_number": subject.subject_number,
        "site": subject.site.code,
        "cohort": subject.cohort,
        "screening_number": subject.screening.screening_number,
        "consent_date": _iso(subject.screening.consent_date),
        "enrolment_date": _iso(subject.enrolment_date),
        "best_response": d.best_response,
        "responder": d.responder,
        "eln_responder": d.eln_responder,
        "mrd_responder": d.mrd_responder,
        "relapse_date": _iso(d.relapse_date),
        "has_dlt": d.has_dlt,
        "feasibility_failure": d.feasibility_failure,
        "death_date": _iso(d.death_date),
        "last_known_alive_date": _iso(d.last_known_alive_date),
        "end_of_study_date": _iso(d.end_of_study_date),
        "end_of_study_reason": d.end_of_study_reason,
        "efs_days": tte.get("efs_days"),
        "efs_event": tte.get("efs_event"),
        "efs_date": tte.get("efs_date"),
        "efs_reason": tte.get("efs_reason"),
        "os_days": tte.get("os_days"),
        "os_event": tte.get("os_event"),
        "os_date": tte.get("os_date"),
        "os_reason": tte.get("os_reason"),
        "locked": subject.is_locked,
    }


def _response_rows(
    subject: Subject, d: SubjectDerivation, protocol: Protocol | None
) -> list[dict[str, Any]]:
    base = {"subject_number": subject.subject_number, "site": subject.site.code}
    base["cohort"] = subject.cohort
    categories: set[str] | None = None
    if protocol is not None:
        endpoint = protocol.cohort(subject.cohort).primary_endpoint
        if endpoint.kind == "eln2022_response":
            categories = set(endpoint.responder_categories)
    rows = []
    for r in d.responses:
        rows.append(
            {
                **base,
                "parameter": "eln2022_response",
                "visit_code": r.visit_code,
                "assessment_date": _iso(r.assessment_date),
                "study_day": _study_day(subject.enrolment_date, r.assessment_date),
                "category": r.category,
                "log10_change": None,
                "responder": None if categories is None else r.category in categories,
                "response_assessment": True,
                "rule": r.rule,
            }
        )
    for p in d.mrd:
        rows.append(
            {
                **base,
                "parameter": "mrd_log10_change",
                "visit_code": p.visit_code,
                "assessment_date": _iso(p.sample_date),
                "study_day": _study_day(subject.enrolment_date, p.sample_date),
                "category": None,
                "log10_change": p.log10_change,
                "responder": p.responder,
                "response_assessment": p.response_assessment,
                "rule": p.rule,
            }
        )
    return rows


def _ae_rows(subject: Subject, d: SubjectDerivation) -> list[dict[str, Any]]:
    derived = {a.record_id: a for a in d.adverse_events}
    rows = []
    for rec in FormRecord.objects.filter(
        subject=subject, form_code="adverse_event", withdrawn=False
    ).order_by("id"):
        v = rec.values
        a = derived.get(rec.pk)
        onset = date.fromisoformat(v["onset_date"]) if v.get("onset_date") else None
        rows.append(
            {
                "subject_number": subject.subject_number,
                "site": subject.site.code,
                "cohort": subject.cohort,
                "record_id": rec.pk,
                "term": v.get("term"),
                "ctcae_grade": v.get("ctcae_grade"),
                "onset_date": v.get("onset_date"),
                "onset_study_day": _study_day(subject.enrolment_date, onset),
                "resolution_date": v.get("resolution_date"),
                "serious": v.get("serious"),
                "category": v.get("category"),
                "attribution_talazoparib": v.get("attribution_talazoparib"),
                "attribution_nk": v.get("attribution_nk"),
                "outcome": v.get("outcome"),
                "is_dlt": a.is_dlt if a else None,
                "in_dlt_window": a.in_window if a else None,
                "dlt_rule": a.rule if a else "not derived: see the subject's derivation problems",
            }
        )
    return rows


def build_dataset(
    name: str, subjects: Iterable[Subject], protocol: Protocol | None = None
) -> Dataset:
    """Dataset `name` (one of DATASETS) over `subjects`, in subject-number order."""
    if name not in DATASETS:
        raise KeyError(name)
    if protocol is None:
        from nakip.edc.services import get_protocol

        protocol = get_protocol()
    columns, rows_of = DATASETS[name]
    rows: list[dict[str, Any]] = []
    for subject in sorted(subjects, key=lambda s: s.subject_number):
        d = derive_subject(subject, protocol)
        rows += rows_of(subject, d, protocol)
    return Dataset(name, columns, tuple(rows))


Builder = Callable[[Subject, SubjectDerivation, Protocol | None], list[dict[str, Any]]]

DATASETS: dict[str, tuple[tuple[str, ...], Builder]] = {
    "subjects": (SUBJECT_COLUMNS, lambda s, d, p: [_subject_row(s, d)]),
    "responses": (RESPONSE_COLUMNS, _response_rows),
    "adverse_events": (AE_COLUMNS, lambda s, d, p: _ae_rows(s, d)),
}
