"""Exceptions raised by the EDC services; each maps to one HTTP status in the API and pages.

FormValidationError -> 400, EDCPermissionDenied -> 403, StaleRecordError / InvalidStateError /
LockedError -> 409, NotFoundError -> 404, SigningLockedError -> 429, BusyError -> 503.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import PermissionDenied


class EDCError(Exception):
    """Base of every error a service raises on purpose; `message` is for people."""

    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class FormValidationError(EDCError):
    """Hard edit-check failures: `errors` maps a field name to its messages (HTTP 400)."""

    status_code = 400

    def __init__(self, errors: Mapping[str, Sequence[str]], message: str | None = None):
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        text = message or "; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items())
        super().__init__(text)


class ReasonRequiredError(FormValidationError):
    """A change after first entry was submitted without a reason for change (HTTP 400)."""

    def __init__(self) -> None:
        super().__init__({"reason": ["a reason for change is required"]})


class StaleRecordError(EDCError):
    """Optimistic locking: the record changed since the caller read it (HTTP 409)."""

    status_code = 409

    def __init__(self, expected: int, actual: int):
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"the record was changed by someone else (you edited version {expected}, "
            f"it is now version {actual}); reload and apply your change again"
        )


class InvalidStateError(EDCError):
    """The operation does not fit the object's state (e.g. answering a closed query) (409)."""

    status_code = 409


class LockedError(InvalidStateError):
    """The subject's data are locked: every write is refused until a data manager unlocks."""


class OpenQueriesError(InvalidStateError):
    """A subject with open queries cannot be locked."""


class NotEligibleError(InvalidStateError):
    """Enrolment refused: the screening record is not eligible (reasons attached; `headline` is
    the message without them, for a page that lists the reasons one by one)."""

    def __init__(self, message: str, reasons: Sequence[str] = (), headline: str = ""):
        super().__init__(message)
        self.reasons = list(reasons)
        self.headline = headline or message


class IncompleteCasebookError(InvalidStateError):
    """A signature or lock refused by the completeness check (findings attached, HTTP 409)."""

    def __init__(self, message: str, findings: Sequence[str] = ()):
        super().__init__(message)
        self.findings = list(findings)


class InvalidPasswordError(EDCError):
    """The password re-entered for an electronic signature is wrong (HTTP 403)."""

    status_code = 403


class SigningLockedError(EDCError):
    """Too many wrong signature (or login) passwords: signing is refused until the lockout
    ends (HTTP 429 with Retry-After, like the login lockout)."""

    status_code = 429

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        minutes = max(1, round(retry_after / 60))
        super().__init__(
            "too many wrong passwords: signing and login are locked for this account; "
            f"try again in {minutes} minutes"
        )


class BusyError(EDCError):
    """The database stayed busy with other writes past the busy timeout (HTTP 503 with
    Retry-After): nothing was written; the same request can simply be sent again."""

    status_code = 503

    def __init__(self, retry_after: int = 2):
        self.retry_after = retry_after
        super().__init__(
            f"the database is busy with other saves; nothing was written, retry in {retry_after} s"
        )


class NotFoundError(EDCError):
    """A referenced site, user, form or visit does not exist (HTTP 404)."""

    status_code = 404


class EDCPermissionDenied(PermissionDenied):
    """The user's role at this site does not allow the action (HTTP 403)."""

    status_code = 403

    def __init__(self, action: str, target: str = ""):
        self.action = action
        self.message = f"not allowed to {action.replace('_', ' ')}" + (
            f" for {target}" if target else ""
        )
        super().__init__(self.message)
