"""The investigator's signature of a casebook and the data manager's lock and unlock of a
subject or a whole cohort.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from nakip.edc import permissions, reauthentication
from nakip.edc.exceptions import (
    InvalidPasswordError,
    InvalidStateError,
    NotFoundError,
    OpenQueriesError,
    SigningLockedError,
)
from nakip.edc.models import FormRecord, Lock, RecordStatus, Signature, SignatureFailure, Subject
from nakip.edc.permissions import require
from nakip.edc.protocol_forms import get_protocol
from nakip.edc.services.common import (
    audited_save,
    clean_text,
    display_name,
    locked_subject,
    need_reason,
    refuse_if_locked,
)
from nakip.edc.services.queries import unresolved_queries
from nakip.wording import count

SIGNATURE_STATEMENT = (
    "I confirm that I have reviewed the data of this casebook and that they are accurate and "
    "complete to the best of my knowledge."
)


def invalidate_signatures(subject: Subject, user: Any, why: str) -> None:
    if subject.__dict__.get("signed_now") is False:
        return  # known from locked_subject: nothing to invalidate
    for sig in Signature.objects.filter(subject=subject, invalidated_at__isnull=True):
        sig.invalidated_at = timezone.now()
        sig.invalidated_reason = why
        audited_save(sig, user, f"signature invalidated: {why}")


def current_signature(subject: Subject) -> Signature | None:
    """The latest signature still valid (no data changed since), or None."""
    return (
        Signature.objects.filter(subject=subject, invalidated_at__isnull=True)
        .order_by("-id")
        .first()
    )


def _set_record_status(subject: Subject, status: str, user: Any, why: str) -> None:
    for rec in FormRecord.objects.filter(subject=subject, withdrawn=False).exclude(status=status):
        rec.status = status
        audited_save(rec, user, why)


def sign_casebook(
    user: Any,
    subject: Subject,
    password: str,
    statement: str = SIGNATURE_STATEMENT,
    request: Any = None,
    precondition: Callable[[], str] | None = None,
) -> Signature:
    """The investigator signs the subject's casebook, re-entering their password.

    A wrong password is written to the audit trail (SignatureFailure) and, with the `request`,
    counted as a failed login by django-axes: signing locks with login (see reauthentication).
    The failure is committed even though the signature is refused, so callers must not wrap
    this call in a transaction they roll back.
    """
    require(user, "sign", subject)
    reauthentication.refuse_if_locked_out(user, request)
    try:
        reauthentication.verify_password(user, password)
    except InvalidPasswordError:
        locked = reauthentication.count_failure(user, request)
        with transaction.atomic():
            failure = SignatureFailure(
                subject=subject,
                user=user,
                client_ip=reauthentication.client_ip(request),
                locked_out=locked,
            )
            audited_save(failure, user, "e-signature refused: wrong password")
        if locked:
            raise SigningLockedError(reauthentication.cooloff_seconds()) from None
        raise
    # after the password, so a wrong one is always counted; its note joins the audit trail
    audit_note = precondition() if precondition is not None else ""
    return _sign(user, subject, statement, audit_note)


@transaction.atomic
def _sign(user: Any, subject: Subject, statement: str, audit_note: str = "") -> Signature:
    subject = locked_subject(subject)
    refuse_if_locked(subject)
    sig = Signature(subject=subject, signed_by=user, statement=statement)
    audited_save(sig, user, "; ".join(filter(None, ["casebook signed", audit_note])))
    _set_record_status(
        subject, RecordStatus.SIGNED, user, f"casebook signed by {display_name(user)}"
    )
    return sig


def _lock_one(user: Any, subject: Subject, reason: str, cohort: str = "") -> Lock:
    refuse_if_locked(subject)
    n = unresolved_queries(subject).count()
    if n:
        raise OpenQueriesError(
            f"subject {subject.subject_number} has "
            f"{count(n, 'unresolved query', 'unresolved queries')}; close them before locking"
        )
    reason = clean_text("reason", reason)
    lock = Lock(subject=subject, cohort=cohort, locked_by=user, reason=reason)
    audited_save(lock, user, reason or "locked")
    _set_record_status(subject, RecordStatus.LOCKED, user, "subject locked")
    return lock


@transaction.atomic
def lock_subject(
    user: Any, subject: Subject, reason: str = "", precondition: Callable[[], str] | None = None
) -> Lock:
    """Lock a subject's data (data manager); refused while queries are unresolved.

    `precondition` runs with the subject's row locked and may refuse, or return an audit note
    added to the lock reason: the pages and the API pass completeness.require_complete."""
    require(user, "lock", subject)
    subject = locked_subject(subject)
    note = precondition() if precondition is not None else ""
    return _lock_one(user, subject, "; ".join(filter(None, [reason, note])))


@transaction.atomic
def lock_cohort(
    user: Any,
    cohort: str,
    reason: str = "",
    precondition: Callable[[Sequence[Subject]], Mapping[int, str]] | None = None,
) -> list[Lock]:
    """Lock every not-yet-locked subject of a cohort the user may lock; all or nothing.

    `precondition` sees the subjects about to be locked (rows locked, after the open-query
    check) and may refuse them all or return an audit note per subject pk for its lock reason:
    the pages and the API pass completeness.require_complete_cohort, as a single lock checks
    completeness.require_complete first."""
    try:
        get_protocol().cohort(cohort)
    except KeyError as exc:
        raise NotFoundError(str(exc.args[0])) from None
    subjects = list(
        permissions.visible_subjects(user, "lock")
        .filter(cohort=cohort)
        .select_for_update()
        .order_by("subject_number")
    )
    if not subjects:
        require(user, "lock")  # a clearer 403 for users with no lock right at all
    todo = [s for s in subjects if not s.is_locked]
    blocked = [s.subject_number for s in todo if unresolved_queries(s).exists()]
    if blocked:
        raise OpenQueriesError(
            f"cohort {cohort} cannot be locked: unresolved queries for {', '.join(blocked)}"
        )
    notes = precondition(todo) if precondition is not None else {}
    base = reason or f"cohort {cohort} locked"
    return [
        _lock_one(user, s, "; ".join(filter(None, [base, notes.get(s.pk, "")])), cohort)
        for s in todo
    ]


@transaction.atomic
def unlock_subject(user: Any, subject: Subject, reason: str) -> Lock:
    """Lift a subject's lock (reason required); records go back to signed or entered."""
    require(user, "lock", subject)
    subject = locked_subject(subject)
    reason = need_reason(reason)
    lock = Lock.objects.filter(subject=subject, unlocked_at__isnull=True).first()
    if lock is None:
        raise InvalidStateError(f"subject {subject.subject_number} is not locked")
    lock.unlocked_by, lock.unlocked_at, lock.unlock_reason = user, timezone.now(), reason
    audited_save(lock, user, reason)
    status = RecordStatus.SIGNED if current_signature(subject) else RecordStatus.ENTERED
    _set_record_status(subject, status, user, f"subject unlocked: {reason}")
    return lock


@transaction.atomic
def unlock_cohort(user: Any, cohort: str, reason: str) -> list[Lock]:
    """Unlock every locked subject of the cohort the user may lock (reason required).

    The permission is checked before anything else; an unknown cohort is NotFoundError."""
    require(user, "lock")
    try:
        get_protocol().cohort(cohort)
    except KeyError as exc:
        raise NotFoundError(str(exc.args[0])) from None
    reason = need_reason(reason)
    subjects = permissions.visible_subjects(user, "lock").filter(cohort=cohort)
    return [unlock_subject(user, s, reason) for s in subjects if s.is_locked]
