"""The EDC's data at a data cut-off, loaded in a fixed number of queries whatever the trial size.

A data cut-off keeps what was known on that date: screenings consented and subjects enrolled on
or before it, and records whose clinical date (the first date field of their form, e.g. a
sample, aspirate, onset or infusion date) is on or before it. Inside a kept record, a later date
(an adverse event resolved after the cut-off) is blanked, because it was not yet known. The
active missed-visit declarations are loaded whole; ADSV keeps those of visits whose window
opened on or before the cut-off (a visit's clinical date is its window).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet

from nakip.edc.models import FormRecord, Lock, MissedVisit, ScreeningRecord, Subject
from nakip.protocol import Protocol

_CHUNK = 500  # ids per IN (...) list: below SQLite's bound on query parameters
#: the record fields the derivations and the data-quality figures (SDV, entry lag) read; the
#: rest is not loaded (a deferred field read later costs one query per record)
_FIELDS = (
    "id", "subject_id", "visit_code", "form_code", "form_version", "values", "withdrawn", "status",
    "sdv_at", "created_at",
)  # fmt: skip


class CutoffError(ValueError):
    """The data cut-off leaves no enrolled subject although subjects exist."""


@dataclass(frozen=True)
class EDCSnapshot:
    """Subjects, their active records, screenings and active locks at the cut-off."""

    protocol: Protocol
    cutoff: date | None
    subjects: tuple[Subject, ...]
    records: dict[int, tuple[FormRecord, ...]]  # subject id -> records, in id order
    screenings: tuple[ScreeningRecord, ...]
    locked: frozenset[int]  # ids of subjects with an active lock
    #: subject id -> visit code -> reason, for the visits declared missed (active declarations)
    missed: dict[int, dict[str, str]] = field(default_factory=dict)

    @property
    def as_of(self) -> date:
        """The date the data describe: the cut-off, or today without one."""
        return self.cutoff or date.today()

    def records_of(self, subject: Subject) -> tuple[FormRecord, ...]:
        return self.records.get(subject.pk, ())

    def missed_of(self, subject: Subject) -> dict[str, str]:
        """The subject's visits declared missed, with the reasons, by visit code."""
        return self.missed.get(subject.pk, {})


def date_part(value: Any) -> date | None:
    """The date of a stored ISO date or date-time text; None when absent or not a date."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def record_date_fields(protocol: Protocol, form_code: str, version: int) -> list[str]:
    """The date fields of a form version, its clinical date first (empty if unknown)."""
    try:
        form = protocol.form(form_code, version)
    except KeyError:
        return []
    return [f.name for f in form.fields if f.type in ("date", "datetime")]


def record_date(protocol: Protocol, record: FormRecord) -> date | None:
    """The clinical date of a record: its form's first date field (None if blank or unknown);
    the date a visit's window is judged by and the data cut-off applies to."""
    fields = record_date_fields(protocol, record.form_code, record.form_version)
    return date_part(record.values.get(fields[0])) if fields else None


def cut_record(record: FormRecord, fields: Sequence[str], cutoff: date) -> FormRecord | None:
    """The record as known at `cutoff`: None if its clinical date (first date field) is later;
    otherwise a copy with later dates blanked (the stored record is never changed)."""
    if not fields:
        return record
    first = date_part(record.values.get(fields[0]))
    if first is not None and first > cutoff:
        return None
    later = [f for f in fields[1:] if (d := date_part(record.values.get(f))) and d > cutoff]
    if not later:
        return record
    cut = copy.copy(record)
    cut.values = {k: v for k, v in record.values.items() if k not in later}
    return cut


def ids_in_chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    """`ids` in slices short enough for one IN (...) list."""
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def load_snapshot(
    protocol: Protocol,
    cutoff: date | None = None,
    subjects: Iterable[Subject] | None = None,
    screenings: Iterable[ScreeningRecord] | None = None,
) -> EDCSnapshot:
    """Load the data at `cutoff` (None: everything) for `subjects` (default all) and
    `screenings` (default all, or the screenings of the given subjects).

    Raises CutoffError when subjects exist but every one was enrolled after the cut-off."""
    every_subject = subjects is None
    if subjects is None:
        subjects = Subject.objects.all()
    if isinstance(subjects, QuerySet):
        subjects = subjects.select_related("site", "screening")
    else:  # reload a list with its sites and screenings, a slice of ids per query
        loaded = Subject.objects.select_related("site", "screening")
        ids = [s.pk for s in subjects]
        subjects = [s for chunk in ids_in_chunks(ids) for s in loaded.filter(id__in=chunk)]
    chosen = sorted(subjects, key=lambda s: s.subject_number)
    if cutoff is not None and chosen:
        kept = [s for s in chosen if s.enrolment_date <= cutoff]
        if not kept:
            first = min(s.enrolment_date for s in chosen)
            raise CutoffError(
                f"data cut-off {cutoff.isoformat()} is before the first enrolment "
                f"({first.isoformat()})"
            )
        chosen = kept
    if screenings is None and every_subject:
        screenings = ScreeningRecord.objects.all()
    elif screenings is None:  # the given subjects' own screenings, loaded with their sites
        own = ScreeningRecord.objects.select_related("site", "subject")
        screenings = [
            scr
            for chunk in ids_in_chunks([s.screening_id for s in chosen])
            for scr in own.filter(id__in=chunk)
        ]
    if isinstance(screenings, QuerySet):
        screenings = screenings.select_related("site", "subject")
    scr = sorted(
        (s for s in screenings if cutoff is None or s.consent_date <= cutoff),
        key=lambda s: s.screening_number,
    )

    ids = [s.pk for s in chosen]
    subject_of = {s.pk: s for s in chosen}
    by_subject: dict[int, list[FormRecord]] = defaultdict(list)
    locked: set[int] = set()
    missed: dict[int, dict[str, str]] = defaultdict(dict)
    fields: dict[tuple[str, int], list[str]] = {}
    for chunk in ids_in_chunks(ids):
        active = FormRecord.objects.filter(subject_id__in=chunk, withdrawn=False).only(*_FIELDS)
        for rec in active.order_by("id"):
            if cutoff is not None:
                key = (rec.form_code, rec.form_version)
                if key not in fields:
                    fields[key] = record_date_fields(protocol, *key)
                rec = cut_record(rec, fields[key], cutoff)
                if rec is None:
                    continue
            rec.subject = subject_of[rec.subject_id]  # no query per record reading its subject
            by_subject[rec.subject_id].append(rec)
        for m in MissedVisit.objects.filter(subject_id__in=chunk, active=True).only(
            "subject_id", "visit_code", "reason"
        ):
            missed[m.subject_id][m.visit_code] = m.reason
        locked |= set(
            Lock.objects.filter(subject_id__in=chunk, unlocked_at__isnull=True).values_list(
                "subject_id", flat=True
            )
        )
    return EDCSnapshot(
        protocol=protocol,
        cutoff=cutoff,
        subjects=tuple(chosen),
        records={k: tuple(v) for k, v in by_subject.items()},
        screenings=tuple(scr),
        locked=frozenset(locked),
        missed=dict(missed),
    )
