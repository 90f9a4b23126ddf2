"""The monitoring and reports pages: permissions per role and site (as the API), aggregates
only, the boundary-crossed banner, and bad input without a 500."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from nakip.edc import services
from nakip.edc.models import Subject
from tests.edc.conftest import client_for

pytestmark = pytest.mark.django_db

PAGES = ("/monitoring/", "/reports/")


@pytest.fixture
def other_site_subject(
    site_b: Any, make_user: Callable[..., Any], enrol: Callable[..., Subject]
) -> Subject:
    inv_b = make_user("investigator", site_b, "investigator_b")
    return enrol("overt", user=inv_b, site=site_b)


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_login(page: str) -> None:
    res = Client().get(page)
    assert res.status_code == 302 and res["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("investigator", 200),
        ("data_manager", 200),
        ("statistician", 200),
        ("dsmb", 200),
        ("study_nurse", 403),
        ("monitor", 403),
        ("admin", 403),
    ],
)
def test_view_reports_right_decides(staff: dict[str, Any], role: str, status: int) -> None:
    for page in PAGES:
        assert client_for(staff[role]).get(page).status_code == status, page


def _enrolled(res: Any, code: str) -> int:
    cohort = next(c for c in res.context["cohorts"] if c["code"] == code)
    return cohort["enrolled"]


def test_site_staff_see_their_site_only(
    trial: dict[str, Subject], other_site_subject: Subject, staff: dict[str, Any],
    make_user: Callable[..., Any],
) -> None:  # fmt: skip
    own = client_for(staff["investigator"]).get("/monitoring/")
    assert _enrolled(own, "overt") == 2 and own.context["limited"] is True
    assert b"Your sites only" in own.content
    inv_b = services.create_user(None, "inv_b2", "x", "investigator", other_site_subject.site,
                                 validate_password=False)  # fmt: skip
    other = client_for(inv_b).get("/monitoring/")
    assert _enrolled(other, "overt") == 1 and _enrolled(other, "mrd") == 0
    everyone = client_for(make_user("dsmb", None, "dsmb_all")).get("/monitoring/")
    assert _enrolled(everyone, "overt") == 3 and everyone.context["limited"] is False
    assert b"Your sites only" not in everyone.content


def test_dsmb_sees_aggregates_never_subject_identifiers(
    trial: dict[str, Subject], make_user: Callable[..., Any]
) -> None:
    dsmb = make_user("dsmb", None, "dsmb_all")
    res = client_for(dsmb).get("/monitoring/")
    text = res.content.decode()
    for s in trial.values():
        assert s.subject_number not in text
        assert s.screening.screening_number not in text
    assert "/subjects/" not in text
    assert "Cohort overt" in text and "stop if &lt;= 3/9; efficacy if &gt; 13/27" in text
    assert "<polyline" in text and "2 enrolled of 27 planned" in text
    # the DLT of A-001 is on the toxicity path of the overt cohort
    tox = next(c for c in res.context["cohorts"] if c["code"] == "overt")["rules"][0][0]
    assert tox.code == "toxicity" and tox.events == 1
    assert client_for(dsmb).get(f"/subjects/{trial['A-001'].subject_number}/").status_code == 403


def test_banner_when_a_boundary_is_crossed(
    trial: dict[str, Subject], staff: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    res = client_for(staff["statistician"]).get("/monitoring/")
    assert b"Boundary crossed" not in res.content and res.context["flagged"] == ()
    proto = services.get_protocol()
    strict = [
        r.model_copy(update={"min_patients": 1, "limit": 0.05, "cutoff": 0.5})
        if r.event == "dlt" else r
        for r in proto.monitoring
    ]  # fmt: skip
    monkeypatch.setattr(
        services, "get_protocol", lambda: proto.model_copy(update={"monitoring": strict})
    )
    res = client_for(staff["statistician"]).get("/monitoring/")
    assert b'id="boundary-banner"' in res.content
    assert any(f.startswith("overt: toxicity STOP") for f in res.context["flagged"])


def test_cutoff_before_any_enrolment_and_bad_date(
    trial: dict[str, Subject], staff: dict[str, Any]
) -> None:
    c = client_for(staff["statistician"])
    early = c.get("/monitoring/?cutoff=2020-01-01")
    assert early.status_code == 400 and b"cutoff 2020-01-01" in early.content
    bad = c.get("/monitoring/?cutoff=yesterday")
    assert bad.status_code == 200 and b"expected a date YYYY-MM-DD" in bad.content
    dated = c.get("/monitoring/?cutoff=2026-01-13")
    assert dated.context["cutoff"] == date(2026, 1, 13)


def test_empty_trial_renders(staff: dict[str, Any]) -> None:
    res = client_for(staff["dsmb"]).get("/monitoring/")
    assert res.status_code == 200 and _enrolled(res, "overt") == 0


def test_dsmb_landing_page_points_to_monitoring(staff: dict[str, Any]) -> None:
    res = client_for(staff["dsmb"]).get("/")
    assert res.status_code == 200
    assert b'href="/monitoring/"' in res.content and b"command line" not in res.content
    nurse = client_for(staff["study_nurse"]).get("/")
    assert b'href="/monitoring/"' not in nurse.content


def test_reports_page_links(staff: dict[str, Any]) -> None:
    stat = client_for(staff["statistician"]).get("/reports/").content
    assert b'href="/monitoring/"' in stat and b"/api/datasets/adsl/?format=csv" in stat
    dsmb = client_for(staff["dsmb"]).get("/reports/").content
    assert b'href="/monitoring/"' in dsmb and b"/api/datasets/" not in dsmb


def test_undecidable_protocol_design_is_explained(
    staff: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    proto = services.get_protocol()
    cohorts = [
        c.model_copy(update={"design": c.design.model_copy(update={"type": "single_stage"})})
        for c in proto.cohorts
    ]
    monkeypatch.setattr(
        services, "get_protocol", lambda: proto.model_copy(update={"cohorts": cohorts})
    )
    res = client_for(staff["statistician"]).get("/monitoring/")
    assert res.status_code == 200 and b"design type single_stage" in res.content
    assert b"<polyline" not in res.content
