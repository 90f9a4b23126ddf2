"""Listing pages and their CSV/XLSX downloads: access per role, own and other site and
anonymous; filters; content of each listing; formula-safe cells; queries per page that do not
grow with the number of subjects."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from nakip.edc import services
from nakip.edc.listings import BUILDERS
from nakip.edc.models import Site, Subject
from tests.edc.conftest import client_for
from tests.edc.trial_fixture import AE, HAEM

pytestmark = pytest.mark.django_db

CODES = tuple(BUILDERS)
VIEWERS = ("investigator", "study_nurse", "monitor", "data_manager", "statistician")
EXPORTERS = ("data_manager", "statistician")
DEVIATION = {"deviation_date": "2026-01-20", "category": "missed_dose", "severity": "minor",
             "description": "one dose not taken", "corrective_action": "diary"}  # fmt: skip


@pytest.fixture
def other_site_subject(
    site_b: Site, make_user: Callable[..., Any], enrol: Callable[..., Subject]
) -> Subject:
    """A subject at S02 with a serious adverse event (must never show at S01)."""
    inv_b = make_user("investigator", site_b, "investigator_b")
    s = enrol("mrd", user=inv_b, site=site_b)
    services.create_record(inv_b, s, "adverse_event", {**AE, "term": "Sepsis"})
    return s


def _csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


# --------------------------------------------------------------------------- access
@pytest.mark.parametrize("code", CODES)
def test_listing_needs_login(code: str) -> None:
    for url in (f"/listings/{code}/", f"/listings/{code}/?format=csv"):
        r = Client().get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/?next="), url


@pytest.mark.parametrize("role", VIEWERS)
@pytest.mark.parametrize("code", CODES)
def test_site_staff_see_only_their_site(
    role: str, code: str, staff: dict[str, Any], trial: Any, other_site_subject: Subject
) -> None:
    r = client_for(staff[role]).get(f"/listings/{code}/?status=")
    assert r.status_code == 200
    page = r.content.decode()
    assert other_site_subject.subject_number not in page
    assert "Sepsis" not in page
    if code in ("subjects", "visits", "adverse-events", "saes", "dlts"):
        assert "A-001" in page


@pytest.mark.parametrize("role", ("dsmb", "admin"))
@pytest.mark.parametrize("code", CODES)
def test_dsmb_and_admin_get_no_listing(role: str, code: str, staff: dict[str, Any]) -> None:
    c = client_for(staff[role])
    assert c.get(f"/listings/{code}/").status_code == 403
    assert c.get(f"/listings/{code}/?format=csv").status_code == 403


def test_other_site_filter_is_refused(staff: dict[str, Any], site_b: Site) -> None:
    r = client_for(staff["monitor"]).get("/listings/subjects/?site=S02")
    assert r.status_code == 400
    assert b"site: 'S02' is not one of your sites (S01)" in r.content


def test_unknown_listing_cohort_status_and_format(staff: dict[str, Any]) -> None:
    c = client_for(staff["data_manager"])
    assert c.get("/listings/nothing/").status_code == 404
    bad_cohort = c.get("/listings/subjects/?cohort=zzz")
    assert bad_cohort.status_code == 400 and b"cohort: unknown cohort 'zzz'" in bad_cohort.content
    bad_status = c.get("/listings/visits/?status=late")
    assert bad_status.status_code == 400 and b"status 'late' is not one of" in bad_status.content
    bad_format = c.get("/listings/visits/?format=pdf")
    assert bad_format.status_code == 400 and b"format: 'pdf'" in bad_format.content


@pytest.mark.parametrize("role", ("investigator", "study_nurse", "monitor"))
@pytest.mark.parametrize("fmt", ("csv", "xlsx"))
def test_download_needs_export_right(role: str, fmt: str, staff: dict[str, Any]) -> None:
    c = client_for(staff[role])
    page = c.get("/listings/subjects/")
    assert page.status_code == 200 and b"Download CSV" not in page.content
    assert c.get(f"/listings/subjects/?format={fmt}").status_code == 403


@pytest.mark.parametrize("role", EXPORTERS)
def test_csv_download_of_own_site(
    role: str, staff: dict[str, Any], trial: Any, other_site_subject: Subject
) -> None:
    r = client_for(staff[role]).get("/listings/adverse-events/?format=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert 'filename="nakip-adverse-events-' in r["Content-Disposition"]
    rows = _csv(r.content)
    assert [(x["Subject"], x["CTCAE v5.0 term"], x["DLT"]) for x in rows] == [
        ("A-001", "Pneumonitis", "yes")
    ]
    assert rows[0]["Serious adverse event"] == "yes" and rows[0]["Onset date"] == "2026-01-25"


def test_trial_wide_data_manager_downloads_every_site(
    make_user: Callable[..., Any], trial: Any, other_site_subject: Subject
) -> None:
    dm = make_user("data_manager", None, "dm_all")
    rows = _csv(client_for(dm).get("/listings/saes/?format=csv").content)
    assert sorted(x["CTCAE v5.0 term"] for x in rows) == ["Pneumonitis", "Sepsis"]
    only_b = _csv(client_for(dm).get("/listings/saes/?format=csv&site=S02").content)
    assert [x["Site"] for x in only_b] == ["S02"]


def test_xlsx_download(staff: dict[str, Any], trial: Any) -> None:
    from openpyxl import load_workbook

    r = client_for(staff["statistician"]).get("/listings/subjects/?format=xlsx")
    assert r.status_code == 200 and "spreadsheetml" in r["Content-Type"]
    ws = load_workbook(io.BytesIO(r.content)).active
    head = [c.value for c in ws[1]]
    assert head[:5] == ["Subject", "Site", "Cohort", "Day 1", "Status"]
    first = {h: c.value for h, c in zip(head, ws[2], strict=True)}
    assert first["Subject"] == "A-001" and first["Day 1"].date().isoformat() == "2026-01-12"
    assert first["DLTs"] == 1 and first["Serious adverse events"] == 1


def test_formula_cells_are_neutralised(staff: dict[str, Any], subject: Subject) -> None:
    from openpyxl import load_workbook

    evil = '=HYPERLINK("http://x.example","click")'
    services.create_record(
        staff["investigator"],
        subject,
        "adverse_event",
        {**AE, "term": "Other, specify", "term_other": evil},
    )
    c = client_for(staff["data_manager"])
    rows = _csv(c.get("/listings/adverse-events/?format=csv").content)
    assert rows[0]["CTCAE v5.0 term"] == "'" + evil
    ws = load_workbook(io.BytesIO(c.get("/listings/adverse-events/?format=xlsx").content)).active
    head = [x.value for x in ws[1]]
    cell = ws.cell(row=2, column=head.index("CTCAE v5.0 term") + 1)
    assert cell.data_type == "s" and cell.value == "'" + evil


# --------------------------------------------------------------------------- content
def test_subject_listing_states_and_filters(staff: dict[str, Any], trial: Any) -> None:
    c = client_for(staff["data_manager"])
    rows = {x["Subject"]: x for x in _csv(c.get("/listings/subjects/?format=csv").content)}
    assert rows["A-002"]["Status"] == "off study" and rows["A-001"]["Status"] == "on study"
    assert rows["A-001"]["Adverse events"] == "1" and rows["A-001"]["DLTs"] == "1"
    assert rows["B-001"]["Cohort"] == services.get_protocol().cohort("mrd").name
    off = _csv(c.get("/listings/subjects/?format=csv&status=off+study").content)
    assert [x["Subject"] for x in off] == ["A-002"]
    mrd = _csv(c.get("/listings/subjects/?format=csv&cohort=mrd").content)
    assert [x["Subject"] for x in mrd] == ["B-001"]
    one = _csv(c.get("/listings/subjects/?format=csv&subject=a-00").content)
    assert [x["Subject"] for x in one] == ["A-001", "A-002"]


def test_visit_calendar_defaults_to_visits_needing_attention(
    staff: dict[str, Any], subject: Subject
) -> None:
    inv = staff["investigator"]
    services.mark_visit_missed(inv, subject, "C1D15", "patient in hospital elsewhere")
    c = client_for(staff["monitor"])
    page = c.get("/listings/visits/").content.decode()
    assert "C1D15 – Cycle 1 day 15" in page and "patient in hospital elsewhere" in page
    assert "January 2026" in page  # month headings of the calendar
    assert ">done</span>" not in page and ">expected</span>" not in page
    assert ">missed</span>" in page and ">overdue</span>" in page
    dm = client_for(staff["data_manager"])
    rows = _csv(dm.get("/listings/visits/?format=csv&status=missed").content)
    assert [(x["Visit"], x["Reason missed"]) for x in rows] == [
        ("C1D15 – Cycle 1 day 15", "patient in hospital elsewhere")
    ]
    overdue = _csv(dm.get("/listings/visits/?format=csv&status=overdue").content)
    assert overdue[0]["Visit"].startswith("C1D1 ") and overdue[0]["Target date"] == "2026-01-12"
    assert "Haematology" in overdue[0]["Forms missing"]


def test_deviations_out_of_window_and_missed(staff: dict[str, Any], subject: Subject) -> None:
    inv = staff["investigator"]
    # C1D8 window: day 8 (2026-01-19), 0 days before, 1 after -> 2026-01-19 to 2026-01-20
    services.create_record(
        inv, subject, "haematology", {**HAEM, "sample_date": "2026-01-23"}, "C1D8"
    )
    services.create_record(
        inv, subject, "haematology", {**HAEM, "sample_date": "2026-01-31"}, "C1D22"
    )
    services.create_record(
        inv, subject, "haematology", {**HAEM, "sample_date": "2026-01-12"}, "C1D1"
    )
    services.mark_visit_missed(inv, subject, "C1D15", "no transport")
    rows = _csv(client_for(staff["data_manager"]).get("/listings/deviations/?format=csv").content)
    got = [(x["Visit"][:5].strip(), x["Deviation"], x["Days outside the window"]) for x in rows]
    assert got == [
        ("C1D8", "after the visit window", "3"),
        ("C1D15", "visit missed", ""),
        ("C1D22", "before the visit window", "1"),  # window 2026-02-01 to 2026-02-03
    ]


# --------------------------------------------------------------------------- query counts
def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("code", CODES)
def test_queries_do_not_grow_with_subjects(
    code: str,
    staff: dict[str, Any],
    enrol: Callable[..., Subject],
    django_assert_max_num_queries: Any,
) -> None:
    inv = staff["investigator"]
    client = client_for(staff["data_manager"])

    def add_subject() -> None:
        s = enrol("overt")
        services.create_record(inv, s, "adverse_event", AE)
        services.create_record(inv, s, "haematology", HAEM, "C1D1")
        services.create_record(inv, s, "deviation", DEVIATION)

    add_subject()
    one = _queries(client, f"/listings/{code}/")
    for _ in range(14):
        add_subject()
    with django_assert_max_num_queries(one):
        client.get(f"/listings/{code}/")
    with django_assert_max_num_queries(one):
        client.get(f"/listings/{code}/?format=csv")


def test_no_visits_expected_after_end_of_study(staff: dict[str, Any], trial: Any) -> None:
    """A-002 died on 2026-02-20 (end of study 2026-03-01): C2D1 (window from 2026-02-06) is
    still expected, C3D1 (window from 2026-03-06) and later visits are not."""
    rows = _csv(
        client_for(staff["data_manager"]).get("/listings/visits/?format=csv&status=").content
    )
    a2 = [x["Visit"].split(" ")[0] for x in rows if x["Subject"] == "A-002"]
    assert a2 == ["C1D1", "C1D8", "C1D15", "C1D22", "C2D1"]
    a1 = [x["Visit"].split(" ")[0] for x in rows if x["Subject"] == "A-001"]
    assert "C3D1" in a1 and "FU1" in a1


def test_download_links_keep_the_filters(staff: dict[str, Any], subject: Subject) -> None:
    c = client_for(staff["data_manager"])
    every = c.get("/listings/visits/?status=").content.decode()
    assert 'href="?site=&amp;' not in every  # empty filters are left out ...
    assert 'href="?status=&amp;format=csv"' in every  # ... but "every status" is kept
    default = c.get("/listings/visits/?site=S01").content.decode()
    assert 'href="?site=S01&amp;status=attention&amp;format=xlsx"' in default
