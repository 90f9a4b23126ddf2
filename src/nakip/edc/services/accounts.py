"""Sites, users, their role memberships and REST API tokens (the trial's administration)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction

from nakip.edc import permissions
from nakip.edc.exceptions import FormValidationError, InvalidStateError, NotFoundError
from nakip.edc.models import Membership, Role, Site
from nakip.edc.permissions import require
from nakip.edc.services.common import audited_save, clean_text

#: Roles that only make sense at a particular site (a membership without site is refused).
SITE_BOUND_ROLES = frozenset({Role.INVESTIGATOR, Role.STUDY_NURSE})


@transaction.atomic
def create_site(actor: Any, code: str, name: str) -> Site:
    """Create a site. `actor` None is the command line (system); otherwise needs manage_users
    at every site (a site-level administrator cannot add sites)."""
    if actor is not None:
        permissions.require_at(actor, "manage_users", None)
    code = clean_text("code", code, 16).upper()
    name = clean_text("name", name, 200)
    site = Site(code=code, name=name)
    try:
        site.full_clean()
    except ValidationError as exc:
        raise FormValidationError(exc.message_dict) from None
    audited_save(site, actor, "site created")
    return site


def get_site(code: str) -> Site:
    """The site with this code; NotFoundError naming it otherwise."""
    try:
        return Site.objects.get(code=(code or "").strip().upper())
    except Site.DoesNotExist:
        raise NotFoundError(f"unknown site {code!r}") from None


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise FormValidationError(
            {"role": [f"unknown role {role!r}; known: {', '.join(Role.values)}"]}
        )
    return role


@transaction.atomic
def add_membership(actor: Any, user: Any, role: str, site: Site | None) -> Membership:
    """Give `user` a role at `site` (None = every site; not allowed for site-bound roles)."""
    if actor is not None:
        permissions.require_at(actor, "manage_users", site)
    _check_role(role)
    if site is None and role in SITE_BOUND_ROLES:
        raise FormValidationError({"site": [f"the role {role} needs a site"]})
    if Membership.objects.filter(user=user, role=role, site=site).exists():
        raise InvalidStateError(f"{user.username} already has role {role} there")
    m = Membership(user=user, role=role, site=site)
    audited_save(m, actor, "membership granted")
    permissions.forget_memberships(user)
    return m


@transaction.atomic
def create_user(
    actor: Any,
    username: str,
    password: str,
    role: str,
    site: Site | None,
    email: str = "",
    validate_password: bool = True,
) -> Any:
    """Create a user with one membership; duplicate usernames and weak passwords are refused."""
    if actor is not None:
        permissions.require_at(actor, "manage_users", site)
    User = get_user_model()
    username = clean_text("username", username, 150)
    email = clean_text("email", email, 254)
    _check_role(role)
    if not username:
        raise FormValidationError({"username": ["a username is required"]})
    if User.objects.filter(username__iexact=username).exists():
        raise FormValidationError({"username": [f"user {username!r} already exists"]})
    user = User(username=username, email=email or "")
    if validate_password:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise FormValidationError({"password": list(exc.messages)}) from None
    elif not password:
        raise FormValidationError({"password": ["a password is required"]})
    user.set_password(password)
    user.save()
    add_membership(None, user, role, site)
    return user


def api_token(actor: Any, user: Any) -> str:
    """The user's REST API token (created on first request); `actor` None = command line."""
    from rest_framework.authtoken.models import Token

    if actor is not None and actor != user:
        require(actor, "manage_users")
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
