"""Reports generated from the /reports/ page (issue 9 §4): who may generate and download what,
a generation run synchronously, a failure shown with its error, the audit trail and CSRF."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from nakip.edc import report_jobs
from nakip.edc.models import GeneratedReport, ReportStatus, Subject
from tests.edc.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _synchronous(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Any) -> None:
    """Run generations in the request (no thread, no waiting) and keep files in tmp_path."""
    monkeypatch.setattr(report_jobs, "runner", lambda job: job())
    settings.DATA_DIR = tmp_path


@pytest.fixture
def central(make_user: Callable[..., Any]) -> dict[str, Any]:
    """One trial-wide user (no site) per role that owns a trial-wide output."""
    return {r: make_user(r, None, f"{r}_all") for r in ("dsmb", "statistician", "data_manager")}


def test_anonymous_is_sent_to_login() -> None:
    for url in ("/reports/generate/", "/reports/1/download/html/"):
        res = Client().post(url) if "generate" in url else Client().get(url)
        assert res.status_code == 302 and res["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("role", "kind", "allowed"),
    [
        ("dsmb", "dsmb", True),
        ("statistician", "dsmb", True),
        ("data_manager", "dsmb", False),
        ("dsmb", "csv", False),
        ("statistician", "csv", True),
        ("data_manager", "odm", True),
    ],
)
def test_trial_wide_roles_generate_their_outputs(
    central: dict[str, Any], monkeypatch: pytest.MonkeyPatch, role: str, kind: str, allowed: bool
) -> None:
    ran: list[int] = []
    monkeypatch.setattr(report_jobs, "generate", ran.append)
    res = client_for(central[role]).post("/reports/generate/", {"kind": kind})
    assert res.status_code == (302 if allowed else 403)
    assert GeneratedReport.objects.count() == len(ran) == (1 if allowed else 0)


@pytest.mark.parametrize("role", ["investigator", "data_manager", "statistician", "dsmb"])
def test_site_staff_get_no_trial_wide_output(staff: dict[str, Any], role: str) -> None:
    client = client_for(staff[role])
    page = client.get("/reports/")
    assert page.status_code == 200 and b'name="kind"' not in page.content
    for kind in ("dsmb", "csv"):
        assert client.post("/reports/generate/", {"kind": kind}).status_code == 403
    assert not GeneratedReport.objects.exists()


def test_dsmb_report_generated_listed_downloaded_and_audited(
    trial: dict[str, Subject], central: dict[str, Any]
) -> None:
    dsmb = client_for(central["dsmb"])
    dsmb.post("/reports/generate/", {"kind": "dsmb", "cutoff": ""})
    report = GeneratedReport.objects.get()
    assert report.status == ReportStatus.DONE, report.error
    assert report.created_by == central["dsmb"] and len(report.fingerprint) >= 16
    page = dsmb.get("/reports/").content.decode()
    assert report.fingerprint in page and f"/reports/{report.pk}/download/pdf/" in page
    html = dsmb.get(f"/reports/{report.pk}/download/html/")
    assert html.status_code == 200 and b"<html" in b"".join(html.streaming_content).lower()
    pdf = dsmb.get(f"/reports/{report.pk}/download/pdf/")
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert dsmb.get(f"/reports/{report.pk}/download/zip/").status_code == 404
    # the data manager owns exports, not the DSMB report
    assert (
        client_for(central["data_manager"]).get(f"/reports/{report.pk}/download/html/").status_code
        == 403
    )
    created = report.history.order_by("history_date").first()
    assert created.history_type == "+" and created.history_user == central["dsmb"]


def test_export_bundle_is_a_zip_with_its_manifest(
    trial: dict[str, Subject], central: dict[str, Any]
) -> None:
    dm = client_for(central["data_manager"])
    dm.post("/reports/generate/", {"kind": "csv"})
    report = GeneratedReport.objects.get()
    assert report.status == ReportStatus.DONE, report.error
    res = dm.get(f"/reports/{report.pk}/download/zip/")
    assert res.status_code == 200
    path = report_jobs.file_of(report, ".zip")
    with zipfile.ZipFile(path) as z:
        assert "adsl.csv" in z.namelist() and any("manifest" in n for n in z.namelist())
    assert client_for(central["dsmb"]).get(f"/reports/{report.pk}/download/zip/").status_code == 403


def test_failed_generation_shows_its_error(
    trial: dict[str, Subject], central: dict[str, Any]
) -> None:
    stat = client_for(central["statistician"])
    stat.post("/reports/generate/", {"kind": "dsmb", "cutoff": "2000-01-01"})
    report = GeneratedReport.objects.get()
    assert report.status == ReportStatus.FAILED and report.error
    assert report.error in stat.get("/reports/").content.decode()
    assert stat.get(f"/reports/{report.pk}/download/html/").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "pdfx"}, "kind: choose one of"),
        ({"kind": "csv", "cutoff": "31.12.2026"}, "cutoff:"),
    ],
)
def test_bad_input_is_a_message_not_a_500(
    central: dict[str, Any], data: dict[str, str], message: str
) -> None:
    res = client_for(central["statistician"]).post("/reports/generate/", data, follow=True)
    assert res.status_code == 200 and message in res.content.decode()
    assert not GeneratedReport.objects.exists()


def test_generate_needs_csrf_token(central: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(central["statistician"])
    assert client.post("/reports/generate/", {"kind": "csv"}).status_code == 403
    assert not GeneratedReport.objects.exists()
