"""Data queries: manual queries (raise, answer, close, re-open) and the automatic ones the soft
edit checks and the cross-form checks open and close as the data change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from nakip.edc.checks import SoftFinding
from nakip.edc.exceptions import FormValidationError, InvalidStateError
from nakip.edc.models import FormRecord, Query, QueryStatus, ScreeningRecord, Subject
from nakip.edc.permissions import require
from nakip.edc.protocol_forms import SCREENING_FORM, form_definition
from nakip.edc.services.common import audited_save, clean_text, refuse_if_locked


def _query_subject(q: Query) -> Subject | None:
    if q.record_id:
        return q.record.subject
    return getattr(q.screening, "subject", None)


def _field_names(target: FormRecord | ScreeningRecord) -> set[str]:
    if isinstance(target, ScreeningRecord):
        return {f.name for f in form_definition(SCREENING_FORM, target.form_version).fields}
    return {f.name for f in form_definition(target.form_code, target.form_version).fields}


def _new_query(
    target: FormRecord | ScreeningRecord,
    field_name: str,
    text: str,
    raised_by: Any,
    check_code: str = "",
    actor: Any = None,
) -> Query:
    q = Query(field_name=field_name, text=text, raised_by=raised_by, check_code=check_code)
    if isinstance(target, FormRecord):
        q.record = target
    else:
        q.screening = target
    audited_save(q, actor if actor is not None else raised_by, "query raised")
    return q


def mark_closed(q: Query, user: Any, note: str, by: Any = None) -> None:
    q.status = QueryStatus.CLOSED
    q.closed_by = by
    q.closed_at = timezone.now()
    q.close_note = note
    audited_save(q, user, note)


@transaction.atomic
def raise_query(
    user: Any, target: FormRecord | ScreeningRecord, field_name: str, text: str
) -> Query:
    """Raise a manual query on a field ("" = the whole record) of a record or screening."""
    require(user, "raise_query", target)
    subject = target.subject if isinstance(target, FormRecord) else getattr(target, "subject", None)
    if subject is not None:
        refuse_if_locked(subject)
    text = clean_text("text", text)
    if not text:
        raise FormValidationError({"text": ["the query needs a text"]})
    if field_name and field_name not in _field_names(target):
        raise FormValidationError({"field_name": [f"no field {field_name!r} on this form"]})
    if isinstance(target, FormRecord) and target.withdrawn:
        raise InvalidStateError("the record is withdrawn")
    return _new_query(target, field_name or "", text, user)


def _get_query_for_update(query: Query) -> Query:
    q = Query.objects.select_for_update().get(pk=query.pk)
    subject = _query_subject(q)
    if subject is not None:
        refuse_if_locked(subject)
    return q


@transaction.atomic
def answer_query(user: Any, query: Query, answer: str) -> Query:
    """Answer an open query (site staff)."""
    require(user, "answer_query", query)
    q = _get_query_for_update(query)
    if q.status != QueryStatus.OPEN:
        raise InvalidStateError(f"query {q.pk} is {q.status}; only open queries can be answered")
    answer = clean_text("answer", answer)
    if not answer:
        raise FormValidationError({"answer": ["the answer needs a text"]})
    q.status = QueryStatus.ANSWERED
    q.answer = answer
    q.answered_by = user
    q.answered_at = timezone.now()
    audited_save(q, user, "query answered")
    return q


@transaction.atomic
def close_query(user: Any, query: Query, note: str = "") -> Query:
    """Close an open or answered query (monitor or data manager)."""
    require(user, "close_query", query)
    q = _get_query_for_update(query)
    if q.status == QueryStatus.CLOSED:
        raise InvalidStateError(f"query {q.pk} is already closed")
    mark_closed(q, user, clean_text("note", note) or "query closed", by=user)
    return q


@transaction.atomic
def reopen_query(user: Any, query: Query, text: str) -> Query:
    """Re-open an answered or closed query with a new question."""
    require(user, "raise_query", query)
    q = _get_query_for_update(query)
    if q.status == QueryStatus.OPEN:
        raise InvalidStateError(f"query {q.pk} is already open")
    text = clean_text("text", text)
    if not text:
        raise FormValidationError({"text": ["say why the query is re-opened"]})
    q.status = QueryStatus.OPEN
    q.text = text
    q.closed_by, q.closed_at, q.close_note = None, None, ""
    audited_save(q, user, "query re-opened")
    return q


def sync_soft_queries(
    user: Any,
    target: FormRecord | ScreeningRecord,
    findings: Iterable[SoftFinding],
    keep_codes: Sequence[str] = (),
    new: bool = False,
    existing: list[Query] | None = None,
) -> list[Query]:
    """Open a query per new soft finding; close automatic queries whose finding has gone.

    A finding already queried with the same text (any status) is not raised again, so a value
    confirmed once does not re-open its query on every save.
    """
    findings = list(findings)
    if new and not findings:
        return []  # a record saved just now has no queries to close
    if existing is None:
        existing = (
            []
            if new
            else list(
                target.queries.exclude(check_code="").exclude(check_code__startswith="cross:")
            )
        )
    opened = []
    for f in findings:
        if any(q.check_code == f.check_code and q.text == f.message for q in existing):
            continue
        opened.append(_new_query(target, f.field, f.message, None, f.check_code, actor=user))
    current = {f.check_code for f in findings} | set(keep_codes)
    for q in existing:
        if q.status != QueryStatus.CLOSED and q.check_code not in current:
            mark_closed(q, user, "resolved automatically: the data no longer trigger the check")
    return opened


def sync_cross_form_queries(
    user: Any,
    subject: Subject,
    findings: Sequence[tuple[FormRecord, SoftFinding]],
    existing: list[Query] | None = None,
) -> list[Query]:
    """Open a query per new cross-form finding (form_records.cross_form_findings); close the
    automatic cross-form queries whose finding has gone."""
    if existing is None:
        existing = list(
            Query.objects.filter(record__subject=subject, check_code__startswith="cross:")
        )
    opened = []
    for rec, f in findings:
        if any(q.record_id == rec.pk and q.check_code == f.check_code for q in existing):
            continue
        opened.append(_new_query(rec, f.field, f.message, None, f.check_code, actor=user))
    live = {(rec.pk, f.check_code) for rec, f in findings}
    for q in existing:
        if q.status != QueryStatus.CLOSED and (q.record_id, q.check_code) not in live:
            mark_closed(q, user, "resolved automatically: the data no longer trigger the check")
    return opened


def unresolved_queries(subject: Subject) -> QuerySet[Query]:
    """Open or answered queries on a subject's records and its screening record."""
    return Query.objects.filter(
        Q(record__subject=subject) | Q(screening=subject.screening)
    ).exclude(status=QueryStatus.CLOSED)
