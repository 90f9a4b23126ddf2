"""Fixtures of the EDC tests: two sites, one user per role, eligible screening data."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from nakip.edc import services
from nakip.edc.models import Role, Site, Subject

PASSWORD = "Nakip-test-Pa55word!"
CONSENT = date(2026, 1, 5)
DAY1 = date(2026, 1, 12)

_BASE = {
    "consent_signed": True,
    "diagnosis": "AML_de_novo",
    "apl": False,
    "prior_lines": 2,
    "prior_intensive_therapy": True,
    "prior_palliative_drug": "none",
    "last_therapy_kind": "cytotoxic",
    "days_since_last_therapy": 30,
    "age_years": 61,
    "ecog": 1,
    "childbearing_potential": False,
    "active_gvhd_grade": 0,
    "prior_hsct": False,
    "creatinine_clearance_ml_min": 80,
    "worst_liver_x_uln_exceeds": False,
    "active_cns_disease": False,
    "pregnant_or_breastfeeding": False,
    "systemic_immunosuppression": False,
    "uncontrolled_infection": False,
    "unsafe_condition": False,
}
OVERT = {
    **_BASE,
    "relapsed_or_refractory": True,
    "in_haematological_remission": False,
    "bm_blasts_pct": 12,
    "pb_blasts_pct": 2,
}
MRD = {
    **_BASE,
    "relapsed_or_refractory": False,
    "in_haematological_remission": True,
    "bm_blasts_pct": 1,
    "pb_blasts_pct": 0,
    "mrd_assay": "qPCR",
    "mrd_material": "bone_marrow",
    "mrd_reference_assay": "qPCR",
    "mrd_reference_material": "bone_marrow",
    "mrd_reference_value": 0.1,
    "mrd_current_value": 1.0,
}


def screening_values(cohort: str = "overt", **changes: Any) -> dict[str, Any]:
    """Screening values eligible for `cohort`, with `changes` applied (None removes a field)."""
    values = dict(OVERT if cohort == "overt" else MRD)
    for k, v in changes.items():
        if v is None:
            values.pop(k, None)
        else:
            values[k] = v
    return values


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    url = os.environ.get("NAKIP_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return
    if os.environ.get("NAKIP_REQUIRE_POSTGRES") == "1":
        return  # the postgres test runs and fails, saying why
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: set NAKIP_DATABASE_URL=postgresql://... "
        "(NAKIP_REQUIRE_POSTGRES=1 turns this skip into a failure)"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def site_a(db: None) -> Site:
    return services.create_site(None, "S01", "Heidelberg")


@pytest.fixture
def site_b(db: None) -> Site:
    return services.create_site(None, "S02", "Dresden")


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    counter = {"n": 0}

    def make(role: str, site: Site | None, username: str | None = None) -> Any:
        counter["n"] += 1
        name = username or f"{role}{counter['n']}"
        return services.create_user(None, name, PASSWORD, role, site, validate_password=False)

    return make


@pytest.fixture
def investigator(site_a: Site, make_user: Callable[..., Any]) -> Any:
    return make_user("investigator", site_a, "investigator_a")


@pytest.fixture
def staff(site_a: Site, investigator: Any, make_user: Callable[..., Any]) -> dict[str, Any]:
    """One user per role at site S01."""
    others = {r: make_user(r, site_a, f"{r}_a") for r in Role.values if r != "investigator"}
    return {"investigator": investigator, **others}


@pytest.fixture
def enrol(site_a: Site, investigator: Any) -> Callable[..., Subject]:
    """Screen and enrol a subject (investigator at S01 unless another user is given)."""

    def make(cohort: str = "overt", user: Any = None, site: Site | None = None) -> Subject:
        user = user or investigator
        scr = services.create_screening(user, site or site_a, CONSENT, screening_values(cohort))
        return services.enrol_subject(user, scr, DAY1)

    return make


@pytest.fixture
def subject(enrol: Callable[..., Subject]) -> Subject:
    return enrol("overt")


def client_for(user: Any) -> Any:
    """A Django test client logged in as `user` (no password round trip)."""
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def trial(enrol: Callable[..., Subject], investigator: Any) -> dict[str, Subject]:
    """The shared small trial of tests/edc/trial_fixture.py at site S01."""
    from tests.edc.trial_fixture import build_trial

    return build_trial(enrol, investigator)
