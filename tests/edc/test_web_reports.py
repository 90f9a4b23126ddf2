"""Reports generated from the /reports/ page (issue 9 §4): who may generate and download what,
a generation run synchronously, a failure shown with its error, the audit trail and CSRF."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

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
        ("statistician", "final", True),
        ("dsmb", "final", False),
        ("data_manager", "final", False),
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


def test_final_report_button_for_the_statistician_only(
    trial: dict[str, Subject], central: dict[str, Any]
) -> None:
    """The final study report: offered to and generated by the trial-wide statistician (the
    sponsor's end-of-trial analysis), neither offered to the DSMB nor downloadable by it."""
    stat = client_for(central["statistician"])
    assert (
        '<option value="final">Final study report</option>'
        in stat.get("/reports/").content.decode()
    )
    dsmb_page = client_for(central["dsmb"]).get("/reports/").content.decode()
    assert 'value="final"' not in dsmb_page and 'value="dsmb"' in dsmb_page
    stat.post("/reports/generate/", {"kind": "final"})
    report = GeneratedReport.objects.get()
    assert report.kind == "final" and report.status == ReportStatus.DONE, report.error
    html = stat.get(f"/reports/{report.pk}/download/html/")
    assert b"Final study report" in b"".join(html.streaming_content)
    denied = client_for(central["dsmb"]).get(f"/reports/{report.pk}/download/html/")
    assert denied.status_code == 403


def _running(user: Any, age: timedelta) -> GeneratedReport:
    report = GeneratedReport.objects.create(kind="csv", created_by=user)
    GeneratedReport.objects.filter(pk=report.pk).update(created_at=timezone.now() - age)
    return report


def test_report_interrupted_by_a_restart_is_failed_and_can_be_generated_again(
    central: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    dm = central["data_manager"]
    monkeypatch.setattr(report_jobs, "PROCESS_STARTED", timezone.now() - timedelta(minutes=10))
    before_restart = _running(dm, timedelta(minutes=30))
    other_worker = _running(dm, timedelta(minutes=5))  # started after this process: may be alive
    page = client_for(dm).get("/reports/").content.decode()
    before_restart.refresh_from_db()
    other_worker.refresh_from_db()
    assert before_restart.status == ReportStatus.FAILED
    assert before_restart.error == report_jobs.INTERRUPTED and "interrupted" in page
    assert "Generate again" in page and other_worker.status == ReportStatus.RUNNING
    ran: list[int] = []
    monkeypatch.setattr(report_jobs, "generate", ran.append)
    client_for(dm).post("/reports/generate/", {"kind": "csv", "cutoff": ""})
    assert len(ran) == 1 and GeneratedReport.objects.count() == 3


def test_running_longer_than_the_bound_is_interrupted_unless_alive_here(
    central: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    dm = central["data_manager"]
    monkeypatch.setattr(report_jobs, "PROCESS_STARTED", timezone.now() - timedelta(days=1))
    bound = report_jobs.MAX_RUNTIME
    too_old = _running(dm, bound + timedelta(minutes=1))
    young = _running(dm, bound - timedelta(minutes=1))
    alive = _running(dm, bound + timedelta(minutes=1))
    monkeypatch.setattr(report_jobs, "_alive", {alive.pk})
    assert report_jobs.mark_interrupted() == 1
    states = {r.pk: r.status for r in GeneratedReport.objects.all()}
    assert states == {
        too_old.pk: ReportStatus.FAILED,
        young.pk: ReportStatus.RUNNING,
        alive.pk: ReportStatus.RUNNING,
    }
