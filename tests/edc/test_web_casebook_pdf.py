"""The printable casebook: who may print it (role, own and other site, anonymous) and what it
holds (forms with protocol labels, queries, signatures, locks, audit trail, local times)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client

from nakip.edc import services
from nakip.edc.models import Site, Subject
from nakip.edc.web.views.casebook_pdf import casebook_context
from tests.edc.conftest import PASSWORD, client_for
from tests.edc.trial_fixture import AE, HAEM

pytestmark = pytest.mark.django_db

VIEWERS = ("investigator", "study_nurse", "monitor", "data_manager", "statistician")


def test_casebook_pdf_needs_login(subject: Subject) -> None:
    r = Client().get(f"/subjects/{subject.subject_number}/casebook.pdf")
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("role", VIEWERS)
def test_site_staff_print_their_site_only(
    role: str,
    staff: dict[str, Any],
    subject: Subject,
    site_b: Site,
    make_user: Callable[..., Any],
    enrol: Callable[..., Subject],
) -> None:
    other = enrol("mrd", user=make_user("investigator", site_b, "inv_b"), site=site_b)
    c = client_for(staff[role])
    r = c.get(f"/subjects/{subject.subject_number}/casebook.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    assert f'filename="casebook-{subject.subject_number}-' in r["Content-Disposition"]
    assert c.get(f"/subjects/{other.subject_number}/casebook.pdf").status_code == 404


@pytest.mark.parametrize("role", ("dsmb", "admin"))
def test_dsmb_and_admin_print_no_casebook(
    role: str, staff: dict[str, Any], subject: Subject
) -> None:
    assert (
        client_for(staff[role]).get(f"/subjects/{subject.subject_number}/casebook.pdf").status_code
        == 403
    )


def test_printed_casebook_content(staff: dict[str, Any], subject: Subject) -> None:
    inv, monitor, dm = staff["investigator"], staff["monitor"], staff["data_manager"]
    rec = services.create_record(inv, subject, "haematology", HAEM, "C1D1").record
    services.update_record(inv, rec, {**HAEM, "anc": 0.9}, "transcription error", rec.version)
    services.create_record(inv, subject, "adverse_event", AE)
    services.raise_query(monitor, rec, "platelets", "Please confirm the platelet count")
    services.sign_casebook(inv, subject, PASSWORD)
    for q in services.unresolved_queries(subject):
        services.close_query(dm, q, "confirmed at the monitoring visit")
    services.lock_subject(dm, subject, "database lock for the interim analysis")
    html = render_to_string("edc/casebook_print.html", casebook_context(subject, monitor))
    assert f"casebook {subject.subject_number}" in html
    assert "C1D1 – Cycle 1 day 1 (baseline)" in html
    assert "Absolute neutrophil count" in html or "ANC" in html  # protocol label, not `anc`
    assert "Pneumonitis" in html and "CTCAE v5.0 term" in html
    assert "Please confirm the platelet count" in html
    assert "Signed</strong> by investigator_a" in html
    assert "database lock for the interim analysis" in html
    assert "confirmed at the monitoring visit" in html
    assert "transcription error" in html  # the audit trail's reason for change
    assert "Europe/Berlin" in html and "by monitor_a" in html
