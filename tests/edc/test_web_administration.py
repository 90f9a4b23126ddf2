"""Account and site administration in the browser: who may use it (role, own and other site,
anonymous), creating accounts and sites through the same services as the command line,
password reset, deactivation, login history and the administration history (who/when/why)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from nakip.edc import administration
from nakip.edc.exceptions import EDCPermissionDenied, FormValidationError, InvalidStateError
from nakip.edc.models import AccountEvent, Membership, Site
from tests.edc.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Pa55word-42"


@pytest.fixture
def admin(make_user: Callable[..., Any], site_a: Site) -> Any:
    """The trial administrator (every site)."""
    return make_user("admin", None, "trial_admin")


@pytest.fixture
def nurse_b(make_user: Callable[..., Any], site_b: Site) -> Any:
    return make_user("study_nurse", site_b, "nurse_b")


def test_administration_needs_login() -> None:
    for url in ("/administration/", "/administration/users/x/"):
        r = Client().get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/?next=")
    r = Client().post("/administration/users/new/", {"username": "x"})
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=")


@pytest.mark.parametrize(
    "role", ("investigator", "study_nurse", "monitor", "data_manager", "statistician", "dsmb")
)
def test_only_administrators(role: str, staff: dict[str, Any]) -> None:
    c = client_for(staff[role])
    assert c.get("/administration/").status_code == 403
    assert c.get(f"/administration/users/{staff['investigator'].username}/").status_code == 403
    r = c.post("/administration/users/new/", {"username": "intruder", "password": NEW_PASSWORD,
                                               "role": "admin", "site": ""})  # fmt: skip
    assert r.status_code == 403
    assert not get_user_model().objects.filter(username="intruder").exists()


def test_admin_creates_account_and_site(admin: Any, site_a: Site) -> None:
    c = client_for(admin)
    assert b"investigator_a" not in c.get("/administration/").content  # nobody else yet
    r = c.post(
        "/administration/users/new/",
        {"username": "nurse_new", "password": NEW_PASSWORD, "role": "study_nurse", "site": "S01",
         "email": "n@example.org"},
    )  # fmt: skip
    assert r.status_code == 302
    user = get_user_model().objects.get(username="nurse_new")
    assert [(m.role, m.site.code) for m in user.memberships.all()] == [("study_nurse", "S01")]
    event = AccountEvent.objects.get(user=user)
    assert (event.action, event.actor, event.detail) == (
        "created",
        admin,
        "Study nurse (data entry) @ S01",
    )
    assert b"nurse_new" in c.get("/administration/").content
    weak_form = {"username": "weak", "password": "123", "role": "monitor", "site": "S01"}
    weak = c.post("/administration/users/new/", weak_form, follow=True)
    assert (
        b"password" in weak.content
        and not get_user_model().objects.filter(username="weak").exists()
    )
    r = c.post("/administration/sites/new/", {"code": "s03", "name": "Leipzig"})
    assert r.status_code == 302 and Site.objects.get(code="S03").name == "Leipzig"


def test_site_admin_is_limited_to_the_site(
    make_user: Callable[..., Any], site_a: Site, nurse_b: Any, investigator: Any
) -> None:
    site_admin = make_user("admin", site_a, "admin_s01")
    c = client_for(site_admin)
    page = c.get("/administration/").content
    assert b"investigator_a" in page and b"nurse_b" not in page
    assert c.get("/administration/users/nurse_b/").status_code == 404
    assert c.post("/administration/users/nurse_b/deactivate/", {"reason": "x"}).status_code == 404
    c.post("/administration/users/new/", {"username": "everywhere", "password": NEW_PASSWORD,
                                          "role": "monitor", "site": ""})  # fmt: skip
    assert not get_user_model().objects.filter(username="everywhere").exists()
    with pytest.raises(EDCPermissionDenied):
        administration.create_account(
            site_admin, "dm_b", NEW_PASSWORD, "data_manager", Site.objects.get(code="S02")
        )
    assert c.post("/administration/sites/new/", {"code": "S09", "name": "x"}).status_code == 403
    assert not Site.objects.filter(code="S09").exists()


def test_password_reset(admin: Any, investigator: Any) -> None:
    c = client_for(admin)
    url = "/administration/users/investigator_a/reset-password/"
    no_reason = c.post(url, {"password": NEW_PASSWORD, "reason": " "}, follow=True)
    assert b"reason: a reason is required" in no_reason.content
    weak = c.post(url, {"password": "short", "reason": "forgotten"}, follow=True)
    assert b"too short" in weak.content
    assert not AccountEvent.objects.filter(user=investigator).exists()
    c.post(url, {"password": NEW_PASSWORD, "reason": "forgotten at the site visit"})
    investigator.refresh_from_db()
    assert investigator.check_password(NEW_PASSWORD)
    event = AccountEvent.objects.get(user=investigator)
    assert (event.action, event.actor, event.reason) == (
        "password_reset",
        admin,
        "forgotten at the site visit",
    )
    page = c.get("/administration/users/investigator_a/").content.decode()
    assert "Password reset" in page and "forgotten at the site visit" in page
    assert NEW_PASSWORD not in page


def test_deactivate_and_reactivate(admin: Any, investigator: Any) -> None:
    c = client_for(admin)
    c.post("/administration/users/investigator_a/deactivate/", {"reason": "left the site"})
    investigator.refresh_from_db()
    assert not investigator.is_active
    login = Client().post("/login/", {"username": "investigator_a", "password": PASSWORD})
    assert login.status_code == 200  # the login form again: inactive accounts cannot log in
    again = c.post("/administration/users/investigator_a/deactivate/", {"reason": "x"}, follow=True)
    assert b"already inactive" in again.content
    c.post("/administration/users/investigator_a/reactivate/", {"reason": "back from leave"})
    investigator.refresh_from_db()
    assert investigator.is_active
    actions = list(AccountEvent.objects.filter(user=investigator).values_list("action", "reason"))
    assert actions == [("deactivated", "left the site"), ("reactivated", "back from leave")]
    with pytest.raises(InvalidStateError):
        administration.set_active(admin, admin, False, "oops")
    with pytest.raises(FormValidationError):
        administration.set_active(admin, investigator, False, "")


def test_grant_role(admin: Any, investigator: Any, site_b: Site) -> None:
    c = client_for(admin)
    c.post(
        "/administration/users/investigator_a/grant-role/", {"role": "investigator", "site": "S02"}
    )
    assert Membership.objects.filter(user=investigator, site=site_b, role="investigator").exists()
    twice = c.post(
        "/administration/users/investigator_a/grant-role/",
        {"role": "investigator", "site": "S02"},
        follow=True,
    )
    assert b"already has role investigator" in twice.content
    assert c.post("/administration/users/investigator_a/promote/", {}).status_code == 404


def test_login_history(admin: Any, investigator: Any) -> None:
    Client().post("/login/", {"username": "investigator_a", "password": "wrong-password"})
    Client().post("/login/", {"username": "investigator_a", "password": PASSWORD})
    entries = administration.login_history(admin, investigator)
    assert [e.succeeded for e in entries] == [True, False]
    assert entries[0].ip_address == "127.0.0.1"
    page = client_for(admin).get("/administration/users/investigator_a/").content.decode()
    assert "logged in" in page and "failed" in page
