"""Account administration for the trial administrator: create accounts, grant roles, reset
passwords, deactivate and reactivate, and read an account's login history.

Creating sites, users and memberships is `nakip.edc.services` (the command line calls the same
functions); this module adds the remaining use cases. Each checks `manage_users` over every site
of the account, runs in one transaction and leaves an AccountEvent (who, when, what, why).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axes.models import AccessFailureLog, AccessLog
from axes.utils import reset as reset_lockouts
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from nakip.edc import permissions, services
from nakip.edc.exceptions import (
    EDCPermissionDenied,
    FormValidationError,
    InvalidStateError,
    NotFoundError,
)
from nakip.edc.models import AccountAction, AccountEvent, Membership, Role, Site

#: Login-history rows shown per account (most recent first).
HISTORY_LIMIT = 50


def _need_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise FormValidationError({"reason": ["a reason is required"]})
    return text


def _record(actor: Any, user: Any, action: str, reason: str = "", detail: str = "") -> None:
    AccountEvent.objects.create(
        user=user, actor=actor, action=action, reason=reason, detail=detail[:200]
    )


def _role_at(role: str, site: Site | None) -> str:
    """ "Study nurse (data entry) @ S01" for the administration history."""
    return f"{Role(role).label} @ {site.code if site else 'all sites'}"


def administered_users(actor: Any) -> QuerySet[Any]:
    """Accounts the actor may administer: all for a trial-wide administrator, else those with
    a membership at one of the actor's sites."""
    q = permissions.site_filter(actor, "manage_users", "memberships__site")
    User = get_user_model()
    if q is None:
        return User.objects.none()
    if not q.children:
        return User.objects.all().order_by("username")
    return User.objects.filter(q).distinct().order_by("username")


def is_trial_wide(actor: Any) -> bool:
    """True when the actor administers every site (a manage_users membership without site)."""
    return permissions.is_trial_wide(actor, "manage_users")


def _require_scope(actor: Any, site: Site | None) -> None:
    """manage_users at `site`; for a role at every site (site None), at every site."""
    permissions.require_at(actor, "manage_users", site)


def require_over(actor: Any, user: Any) -> None:
    """EDCPermissionDenied unless the actor holds manage_users at every site of the account
    (a trial-wide membership of the account needs a trial-wide administrator)."""
    permissions.require(actor, "manage_users")
    if user == actor or is_trial_wide(actor):
        return
    for m in Membership.objects.filter(user=user).select_related("site"):
        if m.site is None or not permissions.can(actor, "manage_users", m.site):
            raise EDCPermissionDenied("manage_users", user.username)


def get_account(actor: Any, username: str) -> Any:
    """The account with this username, if the actor may administer it (NotFoundError else)."""
    user = administered_users(actor).filter(username=username).first()
    if user is None:
        raise NotFoundError(f"no account {username!r} you administer")
    return user


def create_site(actor: Any, code: str, name: str) -> Site:
    """Create a site (services.create_site); only a trial-wide administrator may."""
    if not is_trial_wide(actor):
        raise EDCPermissionDenied("manage_users", "all sites")
    return services.create_site(actor, code, name)


@transaction.atomic
def create_account(
    actor: Any, username: str, password: str, role: str, site: Site | None, email: str = ""
) -> Any:
    """Create an account with one role (services.create_user) and record who created it."""
    _require_scope(actor, site)
    user = services.create_user(actor, username, password, role, site, email=email)
    _record(actor, user, AccountAction.CREATED, detail=_role_at(role, site))
    return user


@transaction.atomic
def grant_role(actor: Any, user: Any, role: str, site: Site | None) -> Membership:
    """Give an existing account one more role (services.add_membership) and record it."""
    _require_scope(actor, site)
    require_over(actor, user)
    m = services.add_membership(actor, user, role, site)
    _record(actor, user, AccountAction.ROLE_GRANTED, detail=_role_at(role, site))
    return m


@transaction.atomic
def reset_password(actor: Any, user: Any, new_password: str, reason: str) -> Any:
    """Set a new password (checked by the password validators), lift login lockouts, record it."""
    require_over(actor, user)
    reason = _need_reason(reason)
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise FormValidationError({"password": list(exc.messages)}) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    reset_lockouts(username=user.username)
    _record(actor, user, AccountAction.PASSWORD_RESET, reason)
    return user


@transaction.atomic
def set_active(actor: Any, user: Any, active: bool, reason: str) -> Any:
    """Deactivate (no login, no API token) or reactivate an account; never one's own."""
    require_over(actor, user)
    reason = _need_reason(reason)
    if user == actor:
        raise InvalidStateError("you cannot deactivate or reactivate your own account")
    if user.is_active == active:
        raise InvalidStateError(f"{user.username} is already {'active' if active else 'inactive'}")
    user.is_active = active
    user.save(update_fields=["is_active"])
    action = AccountAction.REACTIVATED if active else AccountAction.DEACTIVATED
    _record(actor, user, action, reason)
    return user


@dataclass(frozen=True)
class LoginEntry:
    """One login attempt of an account: when, from where, and whether it succeeded."""

    when: datetime
    succeeded: bool
    ip_address: str
    user_agent: str
    logout: datetime | None
    locked_out: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "when": self.when.isoformat(),
            "succeeded": self.succeeded,
            "ip_address": self.ip_address,
            "user_agent": self.user_agent,
            "logout": self.logout.isoformat() if self.logout else None,
            "locked_out": self.locked_out,
        }


def login_history(actor: Any, user: Any, limit: int = HISTORY_LIMIT) -> list[LoginEntry]:
    """The account's latest logins and failed attempts (django-axes logs), newest first."""
    require_over(actor, user)
    name = Q(username=user.username)
    ok = [
        LoginEntry(a.attempt_time, True, a.ip_address or "", a.user_agent, a.logout_time, False)
        for a in AccessLog.objects.filter(name).order_by("-attempt_time")[:limit]
    ]
    failed = [
        LoginEntry(a.attempt_time, False, a.ip_address or "", a.user_agent, None, a.locked_out)
        for a in AccessFailureLog.objects.filter(name).order_by("-attempt_time")[:limit]
    ]
    return sorted(ok + failed, key=lambda e: e.when, reverse=True)[:limit]


def account_events(actor: Any, user: Any) -> QuerySet[AccountEvent]:
    """The account's administration history, newest first."""
    require_over(actor, user)
    return AccountEvent.objects.filter(user=user).select_related("actor").order_by("-id")
