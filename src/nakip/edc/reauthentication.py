"""Password re-entry for an electronic signature, throttled like a login (21 CFR 11.200(a),
11.300(d)): every wrong password is a failed login for django-axes, so signing locks after as
many failures as login does (AXES_FAILURE_LIMIT) and for as long (AXES_COOLOFF_TIME).

Without a request (command line, virtual patients) only the password is checked.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest

from nakip.edc.exceptions import InvalidPasswordError, SigningLockedError


def _http_request(request: Any) -> HttpRequest | None:
    """The Django request behind a DRF request (axes keeps its state on the Django one)."""
    return getattr(request, "_request", request)


def _credentials(user: Any) -> dict[str, str]:
    return {getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"): user.get_username()}


def cooloff_seconds() -> int:
    """How long a lockout lasts, in whole seconds (the Retry-After of a refused signature)."""
    hours = float(getattr(settings, "AXES_COOLOFF_TIME", 0) or 0)
    return max(1, int(hours * 3600))


def _axes_on() -> bool:
    return bool(getattr(settings, "AXES_ENABLED", False))


def refuse_if_locked_out(user: Any, request: Any) -> None:
    """SigningLockedError while axes holds this user (from this client) locked out."""
    http = _http_request(request)
    if http is None or not _axes_on():
        return
    from axes.handlers.proxy import AxesProxyHandler

    if AxesProxyHandler.is_locked(http, _credentials(user)):
        raise SigningLockedError(cooloff_seconds())


def client_ip(request: Any) -> str | None:
    """The client address axes uses for this request (None without a request)."""
    http = _http_request(request)
    if http is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(http)


def count_failure(user: Any, request: Any) -> bool:
    """Tell axes about a wrong signature password; True when this failure locks the user out.

    The lockout is reported by the caller as a refused signature, not as axes' login page.
    """
    http = _http_request(request)
    if http is None or not _axes_on():
        return False
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=http)
    locked = bool(getattr(http, "axes_locked_out", False))
    http.axes_locked_out = False  # the EDC answers the lockout itself (429, JSON or a message)
    return locked


def verify_password(user: Any, password: str) -> None:
    """InvalidPasswordError unless `password` is the user's current password."""
    if not password or not user.check_password(password):
        raise InvalidPasswordError("the password is not correct; the casebook was not signed")
