"""The role x action x own/other-site permission matrix.

Expected rights are transcribed from the assignment's role descriptions (investigator: data
entry, answers, signature; study nurse: data entry; monitor: read, queries, SDV; data manager:
queries, locks; statistician: read, datasets; DSMB: reports only; admin: users), not from the
code's table; a user never acts at another site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from nakip.edc import permissions, services
from nakip.edc.exceptions import EDCPermissionDenied
from nakip.edc.models import Role

from .conftest import CONSENT, DAY1, PASSWORD, screening_values

EXPECTED: dict[str, set[str]] = {
    "investigator": {"view_subject", "enter_data", "answer_query", "sign", "view_reports"},
    "study_nurse": {"view_subject", "enter_data", "answer_query"},
    "monitor": {"view_subject", "raise_query", "close_query", "sdv"},
    "data_manager": {
        "view_subject",
        "raise_query",
        "close_query",
        "lock",
        "export_dataset",
        "view_reports",
    },  # fmt: skip
    "statistician": {"view_subject", "export_dataset", "view_reports"},
    "dsmb": {"view_reports"},
    "admin": {"manage_users"},
}
ACTIONS = [
    "view_subject", "enter_data", "raise_query", "answer_query", "close_query", "sdv", "sign",
    "lock", "export_dataset", "view_reports", "manage_users",
]  # fmt: skip
HAEM = {"sample_date": "2026-01-12", "anc": 0.8, "platelets": 40, "haemoglobin": 9.1,
        "pb_blasts_pct": 2}  # fmt: skip


CASES = [(r, a, w) for r in EXPECTED for a in ACTIONS for w in ("own", "other")]


def test_matrix_covers_every_role_and_action() -> None:
    assert set(EXPECTED) == set(Role.values)
    assert set(ACTIONS) == set(permissions.ACTIONS)
    assert len(CASES) == 7 * 11 * 2


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Two sites, a subject at S01 with a record and an open query, and one user per role at
    each site; built once for the module inside a transaction rolled back at the end (each
    test's own changes roll back to this state)."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            site_a = services.create_site(None, "S01", "Heidelberg")
            site_b = services.create_site(None, "S02", "Dresden")
            users = {
                (role, where): services.create_user(
                    None,
                    f"{role}_{where}",
                    PASSWORD,
                    role,
                    site_a if where == "own" else site_b,
                    validate_password=False,
                )  # fmt: skip
                for role in Role.values
                for where in ("own", "other")
            }
            inv, dm = users[("investigator", "own")], users[("data_manager", "own")]
            scr = services.create_screening(inv, site_a, CONSENT, screening_values("overt"))
            subject = services.enrol_subject(inv, scr, DAY1)
            rec = services.create_record(inv, subject, "haematology", HAEM, "C1D8").record
            query = services.raise_query(dm, rec, "anc", "check")
            yield {
                "site_a": site_a, "site_b": site_b, "users": users, "subject": subject,
                "record": rec, "query": query, "investigator": inv, "data_manager": dm,
            }  # fmt: skip
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _actor(world: dict[str, Any], role: str, where: str) -> Any:
    user = world["users"][(role, where)]
    permissions.forget_memberships(user)
    return user


@pytest.mark.parametrize(("role", "action", "where"), CASES)
def test_can_matrix(db: None, world: dict[str, Any], role: str, action: str, where: str) -> None:
    user = _actor(world, role, where)
    allowed = action in EXPECTED[role] and where == "own"
    assert permissions.can(user, action, world["subject"]) is allowed
    # trial-wide question (no target): the right exists somewhere
    assert permissions.can(user, action, None) is (action in EXPECTED[role])


def _service_call(action: str, world: dict[str, Any]) -> Callable[[Any], Any]:
    subject = world["subject"]
    dm = world["data_manager"]
    rec, query = world["record"], world["query"]
    calls: dict[str, Callable[[Any], Any]] = {
        "view_subject": lambda u: permissions.require(u, "view_subject", subject),
        "enter_data": lambda u: services.create_record(u, subject, "haematology", HAEM, "C1D15"),
        "raise_query": lambda u: services.raise_query(u, rec, "anc", "?"),
        "answer_query": lambda u: services.answer_query(u, query, "checked"),
        "close_query": lambda u: services.close_query(u, query),
        "sdv": lambda u: services.mark_sdv(u, rec),
        "sign": lambda u: services.sign_casebook(u, subject, PASSWORD),
        "lock": lambda u: (services.close_query(dm, query), services.lock_subject(u, subject)),
        "manage_users": lambda u: services.create_user(
            u, "newcomer", PASSWORD, "study_nurse", world["site_a"]
        ),
    }
    return calls[action]


SERVICE_ACTIONS = [
    "view_subject", "enter_data", "raise_query", "answer_query", "close_query", "sdv", "sign",
    "lock", "manage_users",
]  # fmt: skip
SERVICE_CASES = [(r, a, w) for r in EXPECTED for a in SERVICE_ACTIONS for w in ("own", "other")]


@pytest.mark.parametrize(("role", "action", "where"), SERVICE_CASES)
def test_services_enforce_matrix(
    db: None, world: dict[str, Any], role: str, action: str, where: str
) -> None:
    call = _service_call(action, world)
    user = _actor(world, role, where)
    allowed = action in EXPECTED[role] and where == "own"
    if allowed:
        call(user)
    else:
        with pytest.raises(EDCPermissionDenied):
            call(user)


def test_site_admin_cannot_create_sites_or_all_site_roles(db) -> None:  # type: ignore[no-untyped-def]
    """A site-level administrator manages only its own site: no new sites and no role at every
    site, through the services as through the pages (the CLI, actor None, may)."""
    site = services.create_site(None, "S9", "Site nine")
    admin = services.create_user(
        None, "siteadmin", "Adm1n-Pa55word!x", "admin", site, validate_password=False
    )
    with pytest.raises(EDCPermissionDenied):
        services.create_site(admin, "S10", "Site ten")
    with pytest.raises(EDCPermissionDenied):
        services.create_user(
            admin, "dsmb1", "Dsmb-Pa55word!x", "dsmb", None, validate_password=False
        )
    made = services.create_user(
        admin, "nurse9", "Nurse-Pa55word!x", "study_nurse", site, validate_password=False
    )
    assert made.username == "nurse9"
