"""Site-staff workflows in a real browser: log in, screen, enrol, enter data, see the derived
response, correct with a reason, query, sign and lock. Key pages are saved as screenshots
(NAKIP_SCREENSHOTS=1) for docs/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from nakip.edc import services
from nakip.edc.models import FormRecord, Query, ScreeningRecord, Signature, Subject
from tests.edc.conftest import CONSENT, DAY1, PASSWORD, screening_values

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BASELINE_HAEM = {
    "sample_date": "2026-01-12",
    "anc": 0.3,
    "platelets": 25,
    "haemoglobin": 8.2,
    "pb_blasts_pct": 4,
}


def login(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button:has-text('Log in')")
    page.wait_for_url(re.compile(r"/$"))


def logout(page: Any) -> None:
    page.click("button:has-text('Log out')")
    page.wait_for_url(re.compile(r"/login/$"))


def fill_protocol_form(page: Any, form_code: str, values: dict[str, Any]) -> None:
    """Fill the generated form fields the way a user would (selects for yes/no and choices)."""
    fields = {f.name: f for f in services.form_definition(form_code).fields}
    for name, value in values.items():
        f = fields[name]
        if f.type == "boolean":
            page.select_option(f"[name='{name}']", "true" if value else "false")
        elif f.type == "choice":
            page.select_option(f"[name='{name}']", str(value))
        else:
            page.fill(f"[name='{name}']", str(value))


def text(page: Any, selector: str) -> str:
    return page.locator(selector).inner_text()


# --------------------------------------------------------------------------- log in
def test_login_dashboard_logout(
    page: Any, staff: dict[str, Any], enrol: Callable[..., Subject], site_a: Any, shot: Any
) -> None:
    inv = staff["investigator"]
    subject = enrol("overt")
    enrol("mrd")
    services.create_record(inv, subject, "haematology", BASELINE_HAEM, "C1D1")
    services.create_record(
        inv,
        subject,
        "adverse_event",
        {
            "term": "Febrile neutropenia",
            "ctcae_grade": 3,
            "onset_date": "2026-01-20",
            "serious": True,
            "attribution_talazoparib": "possible",
            "attribution_nk": "unlikely",
            "category": "hematologic",
            "outcome": "recovered",
        },
    )
    failed = services.create_screening(
        inv, site_a, CONSENT, screening_values("overt", age_years=16)
    )
    services.record_screen_failure(inv, failed)

    page.goto("/")
    page.wait_for_url(re.compile(r"/login/\?next=/$"))
    page.fill("#id_username", "investigator_a")
    page.fill("#id_password", "wrong password")
    page.click("button:has-text('Log in')")
    assert "correct username and password" in page.content()
    shot(page, "login")
    login(page, "investigator_a")
    assert page.locator("h1").inner_text() == "Site dashboard"
    tiles = text(page, ".tiles")
    assert "3\nscreened" in tiles and "1\nscreen failed" in tiles and "2\nenrolled" in tiles
    assert "Febrile neutropenia" in text(page, "main")
    assert "A-001" in text(page, "main") and "B-001" in text(page, "main")
    shot(page, "dashboard")
    logout(page)
    page.goto("/subjects/")
    page.wait_for_url(re.compile(r"/login/\?next="))


# --------------------------------------------------------------------------- screening
def test_screen_failure_shows_why(page: Any, staff: dict[str, Any], shot: Any) -> None:
    login(page, "study_nurse_a")
    page.click("nav >> text=Screening")
    page.click("text=+ New screening")
    page.fill("[name='_consent_date']", CONSENT.isoformat())
    values = screening_values("overt", age_years=16, bm_blasts_pct=35, ecog=None)
    fill_protocol_form(page, "screening", values)
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r"/screening/S01-S\d+/$"))
    verdict = text(page, "#eligibility")
    assert "Not eligible" in verdict
    assert "IN5 not satisfied: Age 18 years or older. Entered: Age: 16 years." in verdict
    assert "ECOG performance status" in verdict  # the missing field, by label
    assert page.locator("button:has-text('Enrol')").count() == 0
    criteria = text(page, "table.criteria")
    assert re.search(
        r"IN5\s+inclusion\s+Age 18 years or older\.\s+not satisfied\s+Age: 16 years", criteria
    )
    shot(page, "eligibility_result")
    page.click("button:has-text('Record screen failure')")
    page.wait_for_load_state()
    assert "recorded as a screen failure" in text(page, ".messages")
    scr = ScreeningRecord.objects.get()
    assert scr.outcome == "screen_failed"


@pytest.mark.parametrize(("cohort", "number"), [("overt", "A-001"), ("mrd", "B-001")])
def test_screen_and_enrol_into_each_cohort(
    page: Any, staff: dict[str, Any], cohort: str, number: str
) -> None:
    login(page, "investigator_a")
    page.goto("/screening/new/")
    page.fill("[name='_consent_date']", CONSENT.isoformat())
    fill_protocol_form(page, "screening", screening_values(cohort))
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r"/screening/S01-S\d+/$"))
    assert "Eligible" in text(page, "#eligibility")
    assert f"Cohort {cohort}" in text(page, "#eligibility")
    page.fill("[name='enrolment_date']", DAY1.isoformat())
    page.click("button:has-text('Enrol')")
    page.wait_for_url(re.compile(rf"/subjects/{number}/$"))
    assert f"Enrolled as subject {number}" in text(page, ".messages")
    assert page.locator("h1").inner_text().startswith(f"Subject {number}")
    assert Subject.objects.get(subject_number=number).cohort == cohort


# --------------------------------------------------------------------------- data entry
def test_enter_counts_and_marrow_then_see_derived_response(
    page: Any, staff: dict[str, Any], enrol: Callable[..., Subject], shot: Any
) -> None:
    inv = staff["investigator"]
    subject = enrol("overt")
    services.create_record(inv, subject, "haematology", BASELINE_HAEM, "C1D1")
    services.create_record(
        inv,
        subject,
        "marrow",
        {"aspirate_date": "2026-01-12", "evaluable": True, "bm_blasts_pct": 14},
        "C1D1",
    )
    login(page, "study_nurse_a")
    page.goto(f"/subjects/{subject.subject_number}/")
    row = page.locator("tr", has=page.locator("strong", has_text=re.compile(r"^C2D1$")))
    row.locator("a:has-text('+ haematology')").click()
    page.wait_for_url(re.compile(r"/forms/haematology/new/\?visit=C2D1$"))
    # first a slip: letters in a number, a missing count and an impossible haemoglobin
    fill_protocol_form(
        page,
        "haematology",
        {"sample_date": "2026-02-09", "anc": "1,8x", "haemoglobin": "31", "pb_blasts_pct": 0},
    )
    page.click("button:has-text('Save')")
    assert "Nothing was saved" in text(page, "main")
    assert "expected a number" in text(page, "#field-anc")
    assert "this field is required" in text(page, "#field-platelets")
    assert "must be at most 25 g/dL" in text(page, "#field-haemoglobin")
    shot(page, "form_inline_errors")
    assert not FormRecord.objects.filter(visit_code="C2D1").exists()
    fill_protocol_form(
        page, "haematology", {"anc": "1,8", "platelets": "160", "haemoglobin": "11.2"}
    )
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r"/records/\d+/$"))
    assert "Haematology (blood counts) saved." in text(page, ".messages")
    assert "Query opened" in text(page, ".messages")  # no marrow yet at a response visit
    page.click(f"a:has-text('{subject.subject_number}')")
    row = page.locator("tr", has=page.locator("strong", has_text=re.compile(r"^C2D1$")))
    row.locator("a:has-text('+ marrow')").click()
    fill_protocol_form(
        page, "marrow", {"aspirate_date": "2026-02-09", "evaluable": True, "bm_blasts_pct": 2}
    )
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r"/records/\d+/$"))
    page.goto(f"/subjects/{subject.subject_number}/")
    assert text(page, "#best-response") == "CR"
    assert text(page, "#responder") == "yes"
    responses = text(page, "#responses")
    assert re.search(r"C2D1\s+2026-02-09\s+CR", responses)
    assert "ELN 2022" in responses
    shot(page, "casebook_derived_response")
    # the automatic "marrow missing" query closed itself once the marrow was entered
    assert not Query.objects.filter(check_code="cross:marrow_missing", status="open").exists()


def test_correct_value_with_reason_and_see_audit(
    page: Any, staff: dict[str, Any], enrol: Callable[..., Subject], shot: Any
) -> None:
    inv = staff["investigator"]
    subject = enrol("overt")
    rec = services.create_record(inv, subject, "haematology", BASELINE_HAEM, "C1D1").record
    login(page, "investigator_a")
    page.goto(f"/records/{rec.pk}/")
    page.click("a:has-text('Correct')")
    page.fill("[name='platelets']", "52")
    page.click("button:has-text('Save')")
    assert "a reason for change is required" in text(page, "#field-_reason")
    rec.refresh_from_db()
    assert rec.values["platelets"] == 25
    page.fill("[name='_reason']", "Transcription error: lab report says 52")
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(rf"/records/{rec.pk}/$"))
    assert "corrected (version 2)" in text(page, ".messages")
    assert text(page, "#value-platelets").startswith("52")
    page.click("a:has-text('Audit history')")
    audit = text(page, "table.audit")
    assert "Transcription error: lab report says 52" in audit
    assert re.search(r"Platelets\s+25\s+→\s+52", audit)
    assert "investigator_a" in audit
    page.goto(f"/subjects/{subject.subject_number}/audit/")
    assert "Transcription error" in text(page, "table.audit")
    shot(page, "audit_history")


def test_stale_edit_in_two_tabs_is_refused(
    new_page: Callable[..., Any], staff: dict[str, Any], enrol: Callable[..., Subject]
) -> None:
    inv = staff["investigator"]
    subject = enrol("overt")
    rec = services.create_record(inv, subject, "haematology", BASELINE_HAEM, "C1D1").record
    first, second = new_page(), new_page()
    login(first, "investigator_a")
    login(second, "study_nurse_a")
    for p in (first, second):
        p.goto(f"/records/{rec.pk}/edit/")
    first.fill("[name='anc']", "0.35")
    first.fill("[name='_reason']", "lab re-run")
    first.click("button:has-text('Save')")
    first.wait_for_url(re.compile(rf"/records/{rec.pk}/$"))
    second.fill("[name='anc']", "0.9")
    second.fill("[name='_reason']", "my correction")
    second.click("button:has-text('Save')")
    assert "changed by someone else" in text(second, "main")
    rec.refresh_from_db()
    assert rec.values["anc"] == 0.35 and rec.version == 2


# --------------------------------------------------------------------------- queries
def test_raise_answer_and_close_query(
    new_page: Callable[..., Any], staff: dict[str, Any], enrol: Callable[..., Subject], shot: Any
) -> None:
    inv = staff["investigator"]
    subject = enrol("overt")
    rec = services.create_record(inv, subject, "haematology", BASELINE_HAEM, "C1D1").record
    monitor, nurse = new_page(), new_page()
    login(monitor, "monitor_a")
    monitor.goto(f"/records/{rec.pk}/")
    monitor.click("summary:has-text('Raise a query')")
    monitor.select_option("#id_field_name", "platelets")
    monitor.fill("#id_text", "Platelets 25: please confirm against the lab report.")
    monitor.click("button:has-text('Raise query')")
    assert "Query raised." in text(monitor, ".messages")
    q = Query.objects.get(field_name="platelets")

    login(nurse, "study_nurse_a")
    nurse.click("nav >> text=Queries")
    row = nurse.locator(f"#query-{q.pk}")
    row.locator("[name='answer']").fill("Confirmed: the lab report says 25.")
    row.locator("button:has-text('Answer')").click()
    assert f"Query {q.pk} answered." in text(nurse, ".messages")

    monitor.goto("/queries/?status=all")
    assert "Confirmed: the lab report says 25." in text(monitor, f"#query-{q.pk}")
    shot(monitor, "query_inbox")
    monitor.goto("/queries/?status=answered")
    monitor.locator(f"#query-{q.pk} [name='note']").fill("Source verified")
    monitor.locator(f"#query-{q.pk} button:has-text('Close')").click()
    assert f"Query {q.pk} closed." in text(monitor, ".messages")
    q.refresh_from_db()
    assert q.status == "closed" and q.closed_by.username == "monitor_a"
    monitor.click(".tabs a:has-text('closed')")
    monitor.wait_for_url(re.compile(r"status=closed$"))
    assert "Source verified" in text(monitor, f"#query-{q.pk}")


# --------------------------------------------------------------------------- sign and lock
def test_sign_and_lock(
    new_page: Callable[..., Any], staff: dict[str, Any], enrol: Callable[..., Subject]
) -> None:
    inv = staff["investigator"]
    subject = enrol("overt")
    services.create_record(inv, subject, "talazoparib", {
        "period_start": "2026-01-12", "daily_dose_mg": "1.0", "interrupted": False,
        "reduced": False,
    }, "C1D1")  # fmt: skip
    n = subject.subject_number
    investigator, manager = new_page(), new_page()
    login(investigator, "investigator_a")
    investigator.goto(f"/subjects/{n}/")
    investigator.fill("#id_password", "not my password")
    investigator.click("button:has-text('Sign casebook')")
    assert "password is not correct" in text(investigator, ".messages")
    assert "overdue visit" in text(investigator, "#sign-check")  # the completeness check
    investigator.fill("#id_password", PASSWORD)
    investigator.click("button:has-text('Sign casebook')")
    assert "is incomplete" in text(investigator, ".messages")
    investigator.fill("#id_password", PASSWORD)
    investigator.fill("#id_sign_override", "interim signature for the DSMB")
    investigator.click("button:has-text('Sign casebook')")
    assert f"Casebook {n} signed." in text(investigator, ".messages")
    assert "signed by investigator_a" in text(investigator, "#signature")
    assert investigator.locator("button:has-text('Sign casebook')").count() == 0  # signed
    assert Signature.objects.filter(subject=subject, invalidated_at__isnull=True).exists()

    login(manager, "data_manager_a")
    manager.goto(f"/subjects/{n}/")
    assert "end of study form" in text(manager, "#lock-check")
    manager.fill("[aria-label='Reason for locking']", "interim analysis")
    manager.fill("[aria-label='Override reason']", "interim analysis before end of study")
    manager.click("button:has-text('Lock subject')")
    assert f"Subject {n} locked." in text(manager, ".messages")
    assert "locked by data_manager_a" in text(manager, "#signature")
    assert subject.is_locked

    investigator.goto(f"/subjects/{n}/")
    assert investigator.locator("a.chip-new").count() == 0  # no entry links while locked
    assert investigator.locator("button:has-text('Sign casebook')").count() == 0
    manager.fill("[aria-label='Reason for unlocking']", "late lab result")
    manager.click("button:has-text('Unlock')")
    assert f"Subject {n} unlocked." in text(manager, ".messages")
    assert not subject.is_locked


# --------------------------------------------------------------------------- live checks, tablet
def test_live_edit_check_while_typing(
    page: Any, staff: dict[str, Any], enrol: Callable[..., Subject]
) -> None:
    subject = enrol("overt")
    login(page, "study_nurse_a")
    page.goto(f"/subjects/{subject.subject_number}/forms/haematology/new/?visit=C1D1")
    page.fill("[name='anc']", "abc")
    page.press("[name='anc']", "Tab")
    page.wait_for_selector("#field-anc .error.live")
    assert text(page, "#field-anc .error") == "expected a number"
    page.fill("[name='platelets']", "1500")
    page.press("[name='platelets']", "Tab")
    page.wait_for_selector("#field-platelets .live-warning")
    assert "query will open" in text(page, "#field-platelets")
    assert page.locator("#field-haemoglobin .error").count() == 0  # untouched: no message yet
    page.fill("[name='anc']", "1.2")
    page.press("[name='anc']", "Tab")
    page.wait_for_selector("#field-anc .error", state="detached")
    assert not FormRecord.objects.exists()


@pytest.mark.parametrize(
    "viewport", [{"width": 820, "height": 1180}, {"width": 390, "height": 844}]
)
def test_pages_fit_a_tablet_and_a_phone(
    new_page: Callable[..., Any],
    staff: dict[str, Any],
    enrol: Callable[..., Subject],
    viewport: dict[str, int],
    shot: Any,
) -> None:
    inv = staff["investigator"]
    subject = enrol("overt")
    rec = services.create_record(inv, subject, "haematology", BASELINE_HAEM, "C1D1").record
    page = new_page(viewport)
    login(page, "investigator_a")
    n = subject.subject_number
    for url in (
        "/",
        f"/subjects/{n}/",
        f"/subjects/{n}/forms/marrow/new/?visit=C1D1",
        f"/records/{rec.pk}/",
        f"/subjects/{n}/audit/",
        "/queries/?status=all",
        "/screening/new/",
    ):
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (url, overflow)  # wide tables scroll inside their card
    if viewport["width"] == 820:
        page.goto(f"/subjects/{n}/")
        shot(page, "casebook_tablet")


# --------------------------------------------------------------------------- corrections
def test_correct_screening_and_form_without_retyping_dates(
    page: Any, staff: dict[str, Any], enrol: Callable[..., Subject]
) -> None:
    """Dates are ISO in the date pickers (en-GB locale): a correction saves the first time."""
    inv = staff["investigator"]
    subject = enrol("overt")
    rec = services.create_record(inv, subject, "haematology", BASELINE_HAEM, "C1D1").record
    scr = subject.screening
    login(page, "investigator_a")
    page.goto(f"/screening/{scr.screening_number}/edit/")
    assert page.input_value("[name='_consent_date']") == CONSENT.isoformat()
    page.fill("[name='_reason']", "re-checked against the source")
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(rf"/screening/{scr.screening_number}/$"))
    assert "corrected" in text(page, ".messages")
    page.goto(f"/records/{rec.pk}/edit/")
    assert page.input_value("[name='sample_date']") == BASELINE_HAEM["sample_date"]
    page.fill("[name='platelets']", "26")
    page.fill("[name='_reason']", "lab re-run")
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(rf"/records/{rec.pk}/$"))
    rec.refresh_from_db()
    assert rec.version == 2 and rec.values["sample_date"] == BASELINE_HAEM["sample_date"]
