"""Account and site administration pages for the trial administrator (manage_users): the
account list, new accounts and sites, and per account its roles, login history, password
reset, deactivation and administration history. Every change goes through
`nakip.edc.administration` (which calls the same services as `nakip site/user create`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from nakip.edc import administration, services
from nakip.edc.exceptions import EDCError, NotFoundError
from nakip.edc.models import Membership, Role, Site
from nakip.edc.web.views.common import need, report_error, run_action, sites_for

ALL_SITES = ""


class AccountForm(forms.Form):
    """A new account with its first role; an empty site means every site."""

    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    password = forms.CharField(widget=forms.PasswordInput, help_text="at least 10 characters")
    role = forms.ChoiceField(choices=Role.choices)
    site = forms.ChoiceField(required=False)

    def __init__(self, sites: list[Site], trial_wide: bool, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [(s.code, f"{s.code} {s.name}") for s in sites]
        if trial_wide:
            choices.insert(0, (ALL_SITES, "all sites"))
        self.fields["site"].choices = choices


class SiteForm(forms.Form):
    code = forms.CharField(max_length=16, help_text="upper-case letters and digits, e.g. S03")
    name = forms.CharField(max_length=200)


def _site(code: str) -> Site | None:
    return None if code == ALL_SITES else services.get_site(code)


@login_required
def accounts(request: HttpRequest) -> HttpResponse:
    """The accounts the administrator manages, with their roles, state and last login."""
    need(request.user, "manage_users")
    users = administration.administered_users(request.user).prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("site"))
    )
    sites = list(sites_for(request.user, "manage_users"))
    trial_wide = administration.is_trial_wide(request.user)
    ctx = {
        "users": users,
        "form": AccountForm(sites, trial_wide),
        "site_form": SiteForm(),
        "can_add_site": trial_wide,
        "sites": Site.objects.order_by("code") if trial_wide else sites,
    }
    return render(request, "edc/accounts.html", ctx)


@login_required
@require_POST
def account_new(request: HttpRequest) -> HttpResponse:
    """Create an account with one role (errors come back as messages on the list)."""
    need(request.user, "manage_users")
    form = AccountForm(list(sites_for(request.user, "manage_users")), True, request.POST)
    back = reverse("edc-web:accounts")
    if not form.is_valid():
        for field, errs in form.errors.items():
            for e in errs:
                report_error(request, EDCError(f"{field}: {e}"))
        return redirect(back)
    d = form.cleaned_data

    def run() -> str:
        user = administration.create_account(
            request.user, d["username"], d["password"], d["role"], _site(d["site"]), d["email"]
        )
        return f"Account {user.username} created."

    return run_action(request, back, run)


@login_required
@require_POST
def site_new(request: HttpRequest) -> HttpResponse:
    """Create a site (trial-wide administrators)."""
    need(request.user, "manage_users")
    form = SiteForm(request.POST)
    back = reverse("edc-web:accounts")
    if not form.is_valid():
        for field, errs in form.errors.items():
            for e in errs:
                report_error(request, EDCError(f"{field}: {e}"))
        return redirect(back)

    def run() -> str:
        site = administration.create_site(
            request.user, form.cleaned_data["code"], form.cleaned_data["name"]
        )
        return f"Site {site.code} created."

    return run_action(request, back, run)


def _account_or_404(request: HttpRequest, username: str) -> Any:
    need(request.user, "manage_users")
    try:
        return administration.get_account(request.user, username)
    except NotFoundError as exc:
        raise Http404(exc.message) from None


@login_required
def account(request: HttpRequest, username: str) -> HttpResponse:
    """One account: roles, actions, login history and administration history."""
    user = _account_or_404(request, username)
    sites = list(sites_for(request.user, "manage_users"))
    ctx = {
        "account": user,
        "memberships": user.memberships.select_related("site").order_by("id"),
        "logins": administration.login_history(request.user, user),
        "events": administration.account_events(request.user, user),
        "roles": Role.choices,
        "sites": sites,
        "trial_wide": administration.is_trial_wide(request.user),
        "is_self": user == request.user,
    }
    return render(request, "edc/account.html", ctx)


ACTIONS = ("reset-password", "deactivate", "reactivate", "grant-role")


@login_required
@require_POST
def account_action(request: HttpRequest, username: str, action: str) -> HttpResponse:
    """Reset the password, deactivate or reactivate, or grant one more role."""
    user = _account_or_404(request, username)
    if action not in ACTIONS:
        raise Http404(f"no account action {action!r}")
    back = reverse("edc-web:account", args=[user.username])
    post = request.POST

    def run() -> str:
        if action == "reset-password":
            administration.reset_password(
                request.user, user, post.get("password", ""), post.get("reason", "")
            )
            return f"Password of {user.username} reset."
        if action in ("deactivate", "reactivate"):
            active = action == "reactivate"
            administration.set_active(request.user, user, active, post.get("reason", ""))
            return f"Account {user.username} {'reactivated' if active else 'deactivated'}."
        site = _site(post.get("site", ALL_SITES))
        administration.grant_role(request.user, user, post.get("role", ""), site)
        return f"{user.username} now also has the role {post.get('role')}."

    return run_action(request, back, run)
