"""Fetch one subject, screening, record or query only when the user may see it at its site.

Pages and the REST API both ask here: an object of a site the user cannot view is answered
like one that does not exist (NotFoundError; a page turns it into a 404, the API into its 404
body), so neither reveals another site's subjects. Rights to act are checked by the services.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from nakip.edc import permissions
from nakip.edc.exceptions import NotFoundError
from nakip.edc.models import FormRecord, Query, ScreeningRecord, Subject


def visible_subject(user: Any, subject_number: str) -> Subject:
    """The subject with this number among those the user may view, annotated with its study
    state (Subject.state); NotFoundError otherwise."""
    subject = (
        permissions.visible_subjects(user)
        .with_state()
        .select_related("site", "screening")
        .filter(subject_number=subject_number)
        .first()
    )
    if subject is None:
        raise NotFoundError(f"no subject {subject_number!r}")
    return subject


def visible_screening(
    user: Any, *, pk: int | None = None, number: str | None = None
) -> ScreeningRecord:
    """The screening record with this id or screening number if the user may view it;
    NotFoundError otherwise."""
    qs = permissions.visible_screenings(user).select_related("site")
    scr = (qs.filter(pk=pk) if number is None else qs.filter(screening_number=number)).first()
    if scr is None:
        raise NotFoundError(f"no screening record {number if number is not None else pk}")
    return scr


def visible_record(user: Any, pk: int) -> FormRecord:
    """The form record `pk` if the user may view its subject; NotFoundError otherwise."""
    rec = (
        permissions.visible_records(user)
        .select_related(
            "subject",
            "subject__site",
            "subject__screening",
            "created_by",
            "updated_by",
            "sdv_by",
        )
        .filter(pk=pk)
        .first()
    )
    if rec is None:
        raise NotFoundError(f"no record {pk}")
    return rec


def visible_query(user: Any, pk: int) -> Query:
    """The query `pk` if the user may view its record or screening; NotFoundError otherwise."""
    q = visible_queries(user).filter(pk=pk).first()
    if q is None:
        raise NotFoundError(f"no query {pk}")
    return q


def visible_queries(user: Any) -> QuerySet[Query]:
    """The queries the user may view, with what their pages and serialisation need."""
    return permissions.visible_queries(user).select_related(
        "record",
        "record__subject",
        "record__subject__site",
        "screening",
        "screening__site",
        "screening__subject",
        "raised_by",
        "answered_by",
        "closed_by",
    )
