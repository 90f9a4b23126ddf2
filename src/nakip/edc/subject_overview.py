"""Many subjects at once with what listings and the data-quality dashboard need: records,
derived values, visit states, lock, end of study, signature and unresolved queries.

Loaded in a fixed number of queries whatever the number of subjects (the records through the
dataset snapshot, with the missed-visit declarations, then one query each for signatures
and queries).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from nakip.edc.datasets.snapshot import load_snapshot
from nakip.edc.derivations import SubjectDerivation, derive_subject
from nakip.edc.models import (
    END_OF_STUDY_FORM,
    FormRecord,
    Query,
    QueryStatus,
    Signature,
    Subject,
    study_state,
)
from nakip.edc.schedule import VisitState, planned_visits, visit_states, visits_until
from nakip.protocol import Protocol


@dataclass(frozen=True)
class SubjectOverview:
    """One subject with its active records, derivation, visits and casebook state."""

    subject: Subject
    records: tuple[FormRecord, ...]
    derivation: SubjectDerivation | None
    derive_error: str
    visits: tuple[VisitState, ...]
    locked: bool
    signed: bool
    unresolved_queries: int

    @property
    def ended(self) -> bool:
        """An active end-of-study record exists."""
        return any(r.form_code == END_OF_STUDY_FORM for r in self.records)

    @property
    def state(self) -> str:
        """Study state by the one rule (models.study_state): locked, off study or on study."""
        return study_state(self.locked, self.ended)


def load_overviews(
    subjects: Iterable[Subject], protocol: Protocol, today: date
) -> list[SubjectOverview]:
    """Every given subject's overview on `today`, in subject-number order."""
    snap = load_snapshot(protocol, subjects=subjects)
    ids = [s.pk for s in snap.subjects]
    signed = set(
        Signature.objects.filter(subject_id__in=ids, invalidated_at__isnull=True).values_list(
            "subject_id", flat=True
        )
    )
    unresolved = dict(
        Query.objects.filter(record__subject_id__in=ids)
        .filter(~Q(status=QueryStatus.CLOSED))
        .values_list("record__subject_id")
        .annotate(n=Count("id"))
    )
    schedules = {}
    out = []
    for s in snap.subjects:
        records = snap.records_of(s)
        entered: dict[str, set[str]] = defaultdict(set)
        for r in records:
            entered[r.visit_code].add(r.form_code)
        if s.cohort not in schedules:
            schedules[s.cohort] = planned_visits(s.cohort, protocol)
        try:
            derivation, error = derive_subject(s, protocol, records), ""
        except ValueError as exc:  # bad source data must not hide the subject from a listing
            derivation, error = None, str(exc)
        states = visit_states(
            schedules[s.cohort], s.enrolment_date, today, entered, snap.missed_of(s)
        )
        out.append(
            SubjectOverview(
                subject=s,
                records=records,
                derivation=derivation,
                derive_error=error,
                visits=tuple(
                    visits_until(states, derivation.left_study_date if derivation else None)
                ),
                locked=s.pk in snap.locked,
                signed=s.pk in signed,
                unresolved_queries=unresolved.get(s.pk, 0),
            )
        )
    return out
