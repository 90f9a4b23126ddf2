"""Permission glue of the API: fetch an object only when the user may see it.

Objects of sites the user cannot view are answered like objects that do not exist (404), so
the API never reveals another site's subjects; an action the user's role does not allow on a
visible object is a 403 (raised by the services or by `permissions.require`).
"""

from __future__ import annotations

from typing import Any

from nakip.edc import permissions
from nakip.edc.exceptions import NotFoundError
from nakip.edc.models import FormRecord, Query, ScreeningRecord, Subject, with_lock_state


def subject_for(user: Any, subject_number: str) -> Subject:
    """The subject with this number among those the user may view; NotFoundError otherwise."""
    subject = (
        with_lock_state(permissions.visible_subjects(user))
        .select_related("site", "screening")
        .filter(subject_number=subject_number)
        .first()
    )
    if subject is None:
        raise NotFoundError(f"no subject {subject_number!r}")
    return subject


def screening_for(user: Any, pk: int) -> ScreeningRecord:
    """The screening record `pk` if the user may view it; NotFoundError otherwise."""
    scr = permissions.visible_screenings(user).select_related("site").filter(pk=pk).first()
    if scr is None:
        raise NotFoundError(f"no screening record {pk}")
    return scr


def record_for(user: Any, pk: int) -> FormRecord:
    """The form record `pk` if the user may view its subject; NotFoundError otherwise."""
    rec = (
        permissions.visible_records(user)
        .select_related("subject", "subject__site", "created_by", "updated_by", "sdv_by")
        .filter(pk=pk)
        .first()
    )
    if rec is None:
        raise NotFoundError(f"no record {pk}")
    return rec


def query_for(user: Any, pk: int) -> Query:
    """The query `pk` if the user may view its record or screening; NotFoundError otherwise."""
    q = query_queryset(user).filter(pk=pk).first()
    if q is None:
        raise NotFoundError(f"no query {pk}")
    return q


def query_queryset(user: Any) -> Any:
    """The queries the user may view, with what their serialisation needs."""
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
