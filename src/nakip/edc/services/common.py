"""What every write service shares: the audited save, text and reason checks, the version
guard, the row-locked subject with its lock state, and the protocol's date limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db.models import Exists, Model, OuterRef
from django.utils import timezone

from nakip.edc.checks import (
    CheckResult,
    check_plausible_dates,
    plausible_date_problem,
    validate_values,
)
from nakip.edc.death_dates import DEATH_FORMS
from nakip.edc.exceptions import (
    FormValidationError,
    LockedError,
    ReasonRequiredError,
    StaleRecordError,
)
from nakip.edc.models import FormRecord, Signature, Subject
from nakip.edc.protocol_forms import get_protocol
from nakip.edc.text_safety import text_problem
from nakip.protocol.model import FormDefinition

#: Longest reason for change, query text or answer accepted (longer is refused, never cut).
MAX_REASON_LENGTH = 2000


def audited_save(obj: Model, user: Any, reason: str) -> None:
    """Save with the history row attributed to `user` and carrying `reason`."""
    obj._history_user = user if getattr(user, "is_authenticated", False) else None
    obj._change_reason = reason or None  # stored whole (a text column in the history)
    obj.save()


def clean_text(field: str, value: Any, max_length: int = MAX_REASON_LENGTH) -> str:
    """`value` stripped; FormValidationError naming `field` for non-text, invalid Unicode (a
    lone surrogate, NUL) or more than `max_length` characters: never cut silently."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FormValidationError({field: ["expected text"]})
    problem = text_problem(value)
    if problem:
        raise FormValidationError({field: [problem]})
    text = value.strip()
    if len(text) > max_length:
        raise FormValidationError({field: [f"at most {max_length} characters ({len(text)} given)"]})
    return text


def need_reason(reason: str | None, field: str = "reason") -> str:
    """The cleaned reason for a change; ReasonRequiredError when it is empty."""
    text = clean_text(field, reason)
    if not text:
        raise ReasonRequiredError()
    return text


def check_version(obj: Any, expected_version: int | None) -> None:
    """StaleRecordError when the caller read another version of `obj` (optimistic locking)."""
    if expected_version is None:
        return
    if int(expected_version) != obj.version:
        raise StaleRecordError(int(expected_version), obj.version)


def locked_subject(subject: Subject, **facts: Any) -> Subject:
    """Re-read the subject with a row lock (serialises writes to one casebook), annotated in
    the same query with its lock state, whether a valid signature exists (`signed_now`),
    whether a death date may be recorded (`has_death_record`) and any other `facts`
    (expressions over the subject's pk): a save costs one query here instead of one each."""
    qs = (
        Subject.objects.select_for_update(of=("self",))
        .select_related("site", "screening")
        .with_lock_state()
    ).annotate(
        signed_now=Exists(
            Signature.objects.filter(subject=OuterRef("pk"), invalidated_at__isnull=True)
        ),
        has_death_record=Exists(
            FormRecord.objects.filter(
                subject=OuterRef("pk"), withdrawn=False, form_code__in=DEATH_FORMS
            )
        ),
        **facts,
    )
    return qs.get(pk=subject.pk)


def refuse_if_locked(subject: Subject) -> None:
    """LockedError while the subject's data are locked (every write service asks)."""
    if subject.is_locked:
        raise LockedError(f"subject {subject.subject_number} is locked; data are read-only")


def display_name(user: Any) -> str:
    """The user's name for audit notes ("system" for the command line)."""
    return getattr(user, "username", "") or "system"


def check_date_input(**dates: date | None) -> None:
    """FormValidationError naming each implausible date argument (consent, enrolment, ...),
    against the protocol's date_limits."""
    limits, today = get_protocol().date_limits, timezone.localdate()
    errors = {}
    for name, d in dates.items():
        problem = plausible_date_problem(d, limits, today) if isinstance(d, date) else None
        if problem:
            errors[name] = [problem]
    if errors:
        raise FormValidationError(errors)


def validated(form: FormDefinition, values: Mapping[str, Any] | None) -> CheckResult:
    """Edit checks of `values` plus the date plausibility limits; FormValidationError if any."""
    result = validate_values(form, values)
    errors = {k: list(v) for k, v in result.errors.items()}
    dated = check_plausible_dates(
        form, result.values, get_protocol().date_limits, timezone.localdate()
    )
    for k, v in dated.items():
        errors.setdefault(k, []).extend(v)
    if errors:
        raise FormValidationError(errors)
    return result
