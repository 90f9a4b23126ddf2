"""Visits: a subject's schedule with each visit's computed status, and missed visits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from nakip.edc.exceptions import InvalidStateError, NotFoundError
from nakip.edc.models import FormRecord, MissedVisit, Subject
from nakip.edc.permissions import require
from nakip.edc.protocol_forms import get_protocol
from nakip.edc.schedule import PlannedVisit, VisitState, find_visit, planned_visits, visit_states
from nakip.edc.services.common import audited_save, locked_subject, need_reason, refuse_if_locked
from nakip.edc.services.form_records import records
from nakip.edc.services.signoff import invalidate_signatures


def subject_visits(subject: Subject, today: date | None = None) -> list[VisitState]:
    """The subject's schedule with each visit's dates and computed status on `today`."""
    return visits_by_subject([subject], today)[subject.pk]


def visits_by_subject(
    subjects: Sequence[Subject], today: date | None = None
) -> dict[int, list[VisitState]]:
    """`subject_visits` of many subjects in two queries (dashboards list every subject)."""
    today = today or timezone.localdate()
    ids = [s.pk for s in subjects]
    entered: dict[int, dict[str, set[str]]] = {pk: {} for pk in ids}
    rows = FormRecord.objects.filter(subject_id__in=ids, withdrawn=False).values_list(
        "subject_id", "visit_code", "form_code"
    )
    for pk, code, form in rows:
        entered[pk].setdefault(code, set()).add(form)
    missed: dict[int, dict[str, str]] = {pk: {} for pk in ids}
    for m in MissedVisit.objects.filter(subject_id__in=ids, active=True).only(
        "subject_id", "visit_code", "reason"
    ):
        missed[m.subject_id][m.visit_code] = m.reason
    proto = get_protocol()
    schedules: dict[str, list[PlannedVisit]] = {}
    out: dict[int, list[VisitState]] = {}
    for subject in subjects:
        if subject.cohort not in schedules:
            schedules[subject.cohort] = planned_visits(subject.cohort, proto)
        out[subject.pk] = visit_states(
            schedules[subject.cohort],
            subject.enrolment_date,
            today,
            entered[subject.pk],
            missed[subject.pk],
        )
    return out


@transaction.atomic
def mark_visit_missed(user: Any, subject: Subject, visit_code: str, reason: str) -> MissedVisit:
    """Declare a scheduled visit missed (reason required); refused once it has data."""
    require(user, "enter_data", subject)
    subject = locked_subject(subject)
    refuse_if_locked(subject)
    reason = need_reason(reason)
    if find_visit(subject.cohort, visit_code, get_protocol()) is None:
        raise NotFoundError(f"no visit {visit_code!r} in the {subject.cohort} schedule")
    if records(subject, visit_code=visit_code).exists():
        raise InvalidStateError(f"visit {visit_code} has data; withdraw them first")
    if MissedVisit.objects.filter(subject=subject, visit_code=visit_code, active=True).exists():
        raise InvalidStateError(f"visit {visit_code} is already marked missed")
    m = MissedVisit(subject=subject, visit_code=visit_code, reason=reason, marked_by=user)
    audited_save(m, user, reason)
    invalidate_signatures(subject, user, f"visit {visit_code} marked missed")
    return m


@transaction.atomic
def unmark_visit_missed(user: Any, subject: Subject, visit_code: str, reason: str) -> MissedVisit:
    """Revoke a 'missed' mark (reason required)."""
    require(user, "enter_data", subject)
    subject = locked_subject(subject)
    refuse_if_locked(subject)
    reason = need_reason(reason)
    m = MissedVisit.objects.filter(subject=subject, visit_code=visit_code, active=True).first()
    if m is None:
        raise NotFoundError(f"visit {visit_code} is not marked missed")
    m.active = False
    audited_save(m, user, reason)
    return m
