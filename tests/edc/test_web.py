"""The EDC web pages through Django's test client: access per role and site, inline form
errors, reasons for change, optimistic locking, CSRF, queries, signature, lock and logout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from nakip.edc import services
from nakip.edc.models import (
    FormRecord,
    Query,
    ScreeningOutcome,
    ScreeningRecord,
    Signature,
    Subject,
)
from tests.edc.conftest import CONSENT, DAY1, PASSWORD, client_for, screening_values

pytestmark = pytest.mark.django_db

HAEM = {
    "sample_date": "2026-01-12",
    "anc": "0.4",
    "platelets": "30",
    "haemoglobin": "9.1",
    "pb_blasts_pct": "3",
}


def _haem(user: Any, subject: Subject, visit: str = "C1D1", **changes: Any) -> FormRecord:
    values = {**HAEM, **changes}
    return services.create_record(user, subject, "haematology", values, visit).record


@pytest.fixture
def record(staff: dict[str, Any], subject: Subject) -> FormRecord:
    return _haem(staff["investigator"], subject)


@pytest.fixture
def other_subject(
    site_b: Any, make_user: Callable[..., Any], enrol: Callable[..., Subject]
) -> Subject:
    """A subject at site S02, enrolled by that site's investigator."""
    inv_b = make_user("investigator", site_b, "investigator_b")
    return enrol("mrd", user=inv_b, site=site_b)


# --------------------------------------------------------------------------- login / logout
def test_pages_need_login(subject: Subject) -> None:
    c = Client()
    for url in ("/", "/screening/", f"/subjects/{subject.subject_number}/", "/queries/"):
        r = c.get(url)
        assert r.status_code == 302
        assert r["Location"].startswith("/login/?next=")


def test_login_page_and_login(investigator: Any) -> None:
    c = Client()
    r = c.get("/login/")
    assert r.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in r.content
    bad = c.post("/login/", {"username": "investigator_a", "password": "wrong-password"})
    assert bad.status_code == 200
    assert b"correct username and password" in bad.content
    ok = c.post("/login/", {"username": "investigator_a", "password": PASSWORD})
    assert ok.status_code == 302 and ok["Location"] == "/"
    assert c.get("/").status_code == 200


def test_logout_is_post_only_and_ends_the_session(investigator: Any) -> None:
    c = client_for(investigator)
    assert c.get("/logout/").status_code == 405
    r = c.post("/logout/")
    assert r.status_code == 302 and r["Location"] == "/login/"
    assert c.get("/").status_code == 302


# --------------------------------------------------------------------------- access per role/site
def _pages(subject: Subject, record: FormRecord) -> list[str]:
    n = subject.subject_number
    return [
        "/screening/",
        f"/screening/{subject.screening.screening_number}/",
        f"/screening/{subject.screening.screening_number}/audit/",
        "/subjects/",
        f"/subjects/{n}/",
        f"/subjects/{n}/audit/",
        f"/records/{record.pk}/",
        f"/records/{record.pk}/audit/",
        "/queries/",
        "/queries/?status=closed",
    ]


@pytest.mark.parametrize(
    "role", ["investigator", "study_nurse", "monitor", "data_manager", "statistician"]
)
def test_every_page_for_roles_that_may_view(
    role: str, staff: dict[str, Any], subject: Subject, record: FormRecord
) -> None:
    c = client_for(staff[role])
    assert c.get("/").status_code == 200
    for url in _pages(subject, record):
        r = c.get(url)
        assert r.status_code == 200, url


@pytest.mark.parametrize("role", ["dsmb", "admin"])
def test_roles_without_subject_access_get_403(
    role: str, staff: dict[str, Any], subject: Subject, record: FormRecord
) -> None:
    c = client_for(staff[role])
    home = c.get("/")
    assert home.status_code == 200
    assert b"does not give access to subject data" in home.content
    assert subject.subject_number.encode() not in home.content
    for url in _pages(subject, record):
        assert c.get(url).status_code == 403, url


def test_entry_pages_by_role(staff: dict[str, Any], subject: Subject, record: FormRecord) -> None:
    n = subject.subject_number
    entry = [
        "/screening/new/",
        f"/subjects/{n}/forms/haematology/new/?visit=C1D8",
        f"/records/{record.pk}/edit/",
    ]
    for role in ("investigator", "study_nurse"):
        c = client_for(staff[role])
        for url in entry:
            assert c.get(url).status_code == 200, (role, url)
    for role in ("monitor", "data_manager", "statistician", "dsmb"):
        c = client_for(staff[role])
        for url in entry:
            assert c.get(url).status_code == 403, (role, url)


def test_another_sites_subject_is_not_found(
    staff: dict[str, Any], other_subject: Subject, site_b: Any
) -> None:
    rec = _haem(other_subject.created_by, other_subject)
    c = client_for(staff["investigator"])  # investigator at S01 only
    n = other_subject.subject_number
    for url in (
        f"/subjects/{n}/",
        f"/subjects/{n}/audit/",
        f"/subjects/{n}/forms/haematology/new/?visit=C1D8",
        f"/records/{rec.pk}/",
        f"/records/{rec.pk}/edit/",
        f"/records/{rec.pk}/audit/",
        f"/screening/{other_subject.screening.screening_number}/",
    ):
        assert c.get(url).status_code == 404, url
    r = c.post(f"/records/{rec.pk}/edit/", {**HAEM, "anc": "5", "_reason": "x", "_version": "1"})
    assert r.status_code == 404
    rec.refresh_from_db()
    assert rec.values["anc"] == 0.4
    # lists and the dashboard leave the other site out
    for url in ("/", "/subjects/", "/screening/"):
        assert n.encode() not in c.get(url).content, url


def test_unknown_subject_and_form_are_404(staff: dict[str, Any], subject: Subject) -> None:
    c = client_for(staff["investigator"])
    assert c.get("/subjects/Z-999/").status_code == 404
    assert c.get(f"/subjects/{subject.subject_number}/forms/nonsense/new/").status_code == 404
    r = c.get("/subjects/Z-999/")
    assert b"not at one of your sites" in r.content


# --------------------------------------------------------------------------- form entry
def test_form_with_errors_shows_inline_messages_and_saves_nothing(
    staff: dict[str, Any], subject: Subject
) -> None:
    c = client_for(staff["study_nurse"])
    url = f"/subjects/{subject.subject_number}/forms/haematology/new/?visit=C1D1"
    before = FormRecord.objects.count()
    r = c.post(url, {**HAEM, "anc": "abc", "platelets": "", "haemoglobin": "30"})
    assert r.status_code == 200
    html = r.content.decode()
    assert FormRecord.objects.count() == before
    assert "Nothing was saved" in html
    # each message sits inside its own field's block
    for field, message in (
        ("anc", "expected a number"),
        ("platelets", "this field is required"),
        ("haemoglobin", "must be at most 25 g/dL"),
    ):
        start = html.index(f'id="field-{field}"')
        block = html[start : html.index('<div class="field', start + 10)]
        assert message in block, field
        assert "has-error" in html[html.rfind("<div", 0, start + 5) : start + 5]
    # the typed values are kept
    assert 'value="abc"' in html


def test_form_entry_saves_and_shows_soft_check_query(
    staff: dict[str, Any], subject: Subject
) -> None:
    c = client_for(staff["study_nurse"])
    url = f"/subjects/{subject.subject_number}/forms/haematology/new/?visit=C1D1"
    r = c.post(url, {**HAEM, "anc": "60"}, follow=True)  # soft_max 50
    assert r.status_code == 200
    rec = FormRecord.objects.get(subject=subject, form_code="haematology")
    assert rec.values["anc"] == 60
    html = r.content.decode()
    assert "Query opened" in html and "above the expected 50" in html
    assert Query.objects.filter(record=rec, check_code="soft_max:anc", status="open").exists()


def test_visit_form_needs_a_visit(staff: dict[str, Any], subject: Subject) -> None:
    c = client_for(staff["investigator"])
    url = f"/subjects/{subject.subject_number}/forms/haematology/new/"
    r = c.post(url, HAEM)
    assert r.status_code == 200
    assert b"entered at a visit" in r.content
    assert not FormRecord.objects.exists()


def test_duplicate_form_is_refused_with_a_message(
    staff: dict[str, Any], subject: Subject, record: FormRecord
) -> None:
    c = client_for(staff["investigator"])
    url = f"/subjects/{subject.subject_number}/forms/haematology/new/?visit=C1D1"
    r = c.post(url, HAEM)
    assert r.status_code == 200
    assert b"already has the Haematology (blood counts) form at visit C1D1" in r.content
    assert FormRecord.objects.filter(form_code="haematology").count() == 1


# --------------------------------------------------------------------------- edits
def test_edit_without_reason_is_refused(staff: dict[str, Any], record: FormRecord) -> None:
    c = client_for(staff["investigator"])
    r = c.post(f"/records/{record.pk}/edit/", {**HAEM, "anc": "0.8", "_version": "1"})
    assert r.status_code == 200
    html = r.content.decode()
    block = html[html.index('id="field-_reason"') :]
    assert "a reason for change is required" in block[:1500]
    record.refresh_from_db()
    assert record.values["anc"] == 0.4 and record.version == 1


def test_edit_with_reason_saves_and_shows_in_audit(
    staff: dict[str, Any], record: FormRecord, subject: Subject
) -> None:
    c = client_for(staff["investigator"])
    r = c.post(
        f"/records/{record.pk}/edit/",
        {**HAEM, "anc": "0.8", "_version": "1", "_reason": "transcription error"},
    )
    assert r.status_code == 302 and r["Location"] == f"/records/{record.pk}/"
    record.refresh_from_db()
    assert record.values["anc"] == 0.8 and record.version == 2
    audit = c.get(f"/subjects/{subject.subject_number}/audit/").content.decode()
    assert "transcription error" in audit
    assert ">Absolute neutrophil count</span>" in audit  # the protocol label, not the code
    row = audit[audit.index("transcription error") :]
    assert ">0.4<" in row[:800] and ">0.8<" in row[:800]


def test_stale_version_is_refused_and_nothing_overwritten(
    staff: dict[str, Any], record: FormRecord
) -> None:
    nurse, inv = staff["study_nurse"], staff["investigator"]
    services.update_record(inv, record, {**HAEM, "anc": "0.9"}, "lab re-run", 1)
    c = client_for(nurse)
    r = c.post(
        f"/records/{record.pk}/edit/",
        {**HAEM, "anc": "0.5", "_version": "1", "_reason": "my correction"},
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "changed by someone else" in html
    assert "Saved now (version 2)" in html
    record.refresh_from_db()
    assert record.values["anc"] == 0.9 and record.version == 2


def test_edit_without_version_is_refused(staff: dict[str, Any], record: FormRecord) -> None:
    c = client_for(staff["investigator"])
    r = c.post(f"/records/{record.pk}/edit/", {**HAEM, "anc": "0.7", "_reason": "x"})
    assert r.status_code == 200
    assert b"lost the record version" in r.content
    record.refresh_from_db()
    assert record.values["anc"] == 0.4


def test_edit_form_is_prefilled_with_version(staff: dict[str, Any], record: FormRecord) -> None:
    html = client_for(staff["investigator"]).get(f"/records/{record.pk}/edit/").content.decode()
    assert 'name="_version" value="1"' in html
    assert 'value="0.4"' in html and 'value="30"' in html


# --------------------------------------------------------------------------- CSRF
def test_csrf_is_enforced(staff: dict[str, Any], subject: Subject, record: FormRecord) -> None:
    c = Client(enforce_csrf_checks=True)
    c.force_login(staff["investigator"])
    n = subject.subject_number
    for url, data in (
        (f"/subjects/{n}/forms/haematology/new/?visit=C1D8", HAEM),
        (f"/records/{record.pk}/edit/", {**HAEM, "anc": "1", "_version": "1", "_reason": "x"}),
        (f"/subjects/{n}/sign/", {"password": PASSWORD}),
        ("/logout/", {}),
    ):
        r = c.post(url, data)
        assert r.status_code == 403, url
        assert b"CSRF" in r.content
    assert FormRecord.objects.count() == 1
    assert not Signature.objects.exists()
    record.refresh_from_db()
    assert record.version == 1
    # with the token from the page the same POST goes through
    page = c.get(f"/subjects/{n}/forms/haematology/new/?visit=C1D8")
    token = page.cookies["csrftoken"].value
    r = c.post(
        f"/subjects/{n}/forms/haematology/new/?visit=C1D8",
        {**HAEM, "sample_date": "2026-01-19", "csrfmiddlewaretoken": token},
    )
    assert r.status_code == 302
    assert FormRecord.objects.count() == 2


# --------------------------------------------------------------------------- screening
def test_screening_failure_shows_each_reason(staff: dict[str, Any], site_a: Any) -> None:
    c = client_for(staff["study_nurse"])
    values = screening_values("overt", age_years=16, bm_blasts_pct=35, ecog=None)
    data = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in values.items()}
    r = c.post("/screening/new/", {**data, "_site": "S01", "_consent_date": "2026-01-05"})
    scr = ScreeningRecord.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/screening/{scr.screening_number}/"
    assert scr.eligibility_status == "not_eligible"
    html = c.get(r["Location"]).content.decode()
    assert "Not eligible" in html
    assert "IN5 not satisfied: Age 18 years or older. Entered: Age: 16 years." in html
    assert "ECOG performance status" in html  # the missing field, by its label
    assert "Enrol</button>" not in html  # no enrol button for a non-eligible patient
    r = c.post(f"/screening/{scr.screening_number}/screen-failure/", {"reasons": ""}, follow=True)
    scr.refresh_from_db()
    assert scr.outcome == ScreeningOutcome.SCREEN_FAILED
    assert any("IN5" in reason for reason in scr.screen_failure_reasons)
    assert b"recorded as a screen failure" in r.content


def test_screening_form_errors_are_inline(staff: dict[str, Any], site_a: Any) -> None:
    c = client_for(staff["study_nurse"])
    r = c.post("/screening/new/", {"_site": "S01", "_consent_date": "", "age_years": "200"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "the consent date is required" in html
    block = html[html.index('id="field-age_years"') :][:1200]
    assert "must be at most 120" in block
    assert "consent_signed" in html and "this field is required" in html
    assert not ScreeningRecord.objects.exists()


def _criteria_table(html: str) -> str:
    return html[html.index('<table class="table criteria">') :].split("</table>")[0]


def test_eligibility_table_speaks_in_the_direction_of_eligibility(
    staff: dict[str, Any], site_a: Any
) -> None:
    """An exclusion that does not apply is "satisfied"; values by label and in words; the other
    cohort of an eligible patient is not shaded as a failure."""
    inv = staff["investigator"]
    scr = services.create_screening(inv, site_a, CONSENT, screening_values("overt"))
    table = _criteria_table(
        client_for(inv).get(f"/screening/{scr.screening_number}/").content.decode()
    )
    ex1 = table[table.index("<strong>EX1</strong>") :].split("</tr>")[0]
    assert "Active acute graft-versus-host disease of grade II or higher." in ex1
    assert ">satisfied</span>" in ex1
    in1 = table[table.index("<strong>IN1</strong>") :].split("</tr>")[0]
    assert ">satisfied</span>" in in1 and ": yes" in in1
    assert "criterion:" not in table and "consent_signed" not in table and "= true" not in table
    assert 'class="crit-failed"' not in table  # eligible: nothing red, not even cohort mrd
    assert 'class="crit-other"' in table


def test_eligibility_table_not_satisfied_and_cannot_decide(
    staff: dict[str, Any], site_a: Any
) -> None:
    inv = staff["investigator"]
    values = screening_values("overt", active_gvhd_grade=3, ecog=None)
    scr = services.create_screening(inv, site_a, CONSENT, values)
    table = _criteria_table(
        client_for(inv).get(f"/screening/{scr.screening_number}/").content.decode()
    )
    ex1 = table[table.index("<strong>EX1</strong>") :].split("</tr>")[0]
    assert ">not satisfied</span>" in ex1 and "3" in ex1
    in6 = table[table.index("<strong>IN6</strong>") :].split("</tr>")[0]
    assert ">cannot decide</span>" in in6 and "not entered" in in6


@pytest.mark.parametrize(("cohort", "number"), [("overt", "A-001"), ("mrd", "B-001")])
def test_screen_and_enrol_into_each_cohort(
    cohort: str, number: str, staff: dict[str, Any], site_a: Any
) -> None:
    c = client_for(staff["investigator"])
    scr = services.create_screening(
        staff["investigator"], site_a, CONSENT, screening_values(cohort)
    )
    page = c.get(f"/screening/{scr.screening_number}/").content.decode()
    assert "Eligible" in page and "Enrol</button>" in page
    r = c.post(f"/screening/{scr.screening_number}/enrol/", {"enrolment_date": DAY1.isoformat()})
    assert r.status_code == 302 and r["Location"] == f"/subjects/{number}/"
    subject = Subject.objects.get(subject_number=number)
    assert subject.cohort == cohort
    page = c.get(r["Location"]).content.decode()
    assert f"Enrolled as subject {number}" in page
    assert f"Cohort <strong>{cohort}</strong>" in page


def test_enrolment_refusal_is_a_message_not_a_500(staff: dict[str, Any], site_a: Any) -> None:
    inv = staff["investigator"]
    scr = services.create_screening(inv, site_a, CONSENT, screening_values("overt", ecog=3))
    c = client_for(inv)
    r = c.post(f"/screening/{scr.screening_number}/enrol/", {"enrolment_date": "2026-01-12"})
    assert r.status_code == 302
    page = c.get(r["Location"]).content.decode()
    assert "not eligible" in page and "IN6" in page
    ok = services.create_screening(inv, site_a, CONSENT, screening_values("overt"))
    r = c.post(
        f"/screening/{ok.screening_number}/enrol/", {"enrolment_date": "2026-03-30"}, follow=True
    )
    assert b"the screening window is 28" in r.content
    assert not Subject.objects.exists()


def test_screening_correction_needs_reason(staff: dict[str, Any], site_a: Any) -> None:
    inv = staff["investigator"]
    scr = services.create_screening(inv, site_a, CONSENT, screening_values("overt", ecog=3))
    c = client_for(inv)
    url = f"/screening/{scr.screening_number}/edit/"
    form = c.get(url).content.decode()
    assert 'name="_version" value="1"' in form
    data = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in scr.values.items()}
    data.update({"ecog": "1", "_consent_date": "2026-01-05", "_version": "1"})
    r = c.post(url, data)
    assert r.status_code == 200 and b"a reason for change is required" in r.content
    r = c.post(url, {**data, "_reason": "ECOG re-assessed"})
    assert r.status_code == 302
    scr.refresh_from_db()
    assert scr.eligibility_status == "eligible" and scr.version == 2


# --------------------------------------------------------------------------- casebook
def test_casebook_shows_schedule_and_derived_response(
    staff: dict[str, Any], subject: Subject
) -> None:
    inv = staff["investigator"]
    _haem(inv, subject, "C1D1")
    services.create_record(
        inv,
        subject,
        "marrow",
        {"aspirate_date": "2026-01-12", "evaluable": True, "bm_blasts_pct": 12},
        "C1D1",
    )
    _haem(
        inv,
        subject,
        "C2D1",
        sample_date="2026-02-09",
        anc="1.5",
        platelets="150",
        pb_blasts_pct="0",
    )
    services.create_record(
        inv,
        subject,
        "marrow",
        {"aspirate_date": "2026-02-09", "evaluable": True, "bm_blasts_pct": 2},
        "C2D1",
    )
    html = client_for(inv).get(f"/subjects/{subject.subject_number}/").content.decode()
    assert 'id="best-response">CR<' in html
    responses = html[html.index('id="responses"') :]
    assert "C2D1" in responses[:3000] and ">CR<" in responses[:3000]
    assert 'id="responder">yes<' in html
    for code in ("C1D1", "C1D8", "C2D1", "EOT", "FU1"):
        assert f"<strong>{code}</strong>" in html
    assert "overdue" in html  # the 2026 schedule is in the past by now
    assert "CTCAE v5.0" in html and "neutrophil count decreased" in html


def test_casebook_buttons_follow_the_role(staff: dict[str, Any], subject: Subject) -> None:
    n = subject.subject_number
    inv = client_for(staff["investigator"]).get(f"/subjects/{n}/").content.decode()
    assert "Sign casebook" in inv and "Lock subject" not in inv and "+ haematology" in inv
    dm = client_for(staff["data_manager"]).get(f"/subjects/{n}/").content.decode()
    assert "Lock subject" in dm and "Sign casebook" not in dm and "+ haematology" not in dm
    mon = client_for(staff["monitor"]).get(f"/subjects/{n}/").content.decode()
    assert "Lock subject" not in mon and "Sign casebook" not in mon


# --------------------------------------------------------------------------- queries
def test_raise_answer_close_query(
    staff: dict[str, Any], record: FormRecord, subject: Subject
) -> None:
    mon, nurse = client_for(staff["monitor"]), client_for(staff["study_nurse"])
    assert b"Raise a query" in mon.get(f"/records/{record.pk}/").content
    assert b"Raise a query" not in nurse.get(f"/records/{record.pk}/").content
    r = mon.post(
        f"/records/{record.pk}/queries/new/", {"field_name": "anc", "text": "Please check ANC"}
    )
    assert r.status_code == 302
    q = Query.objects.get(text="Please check ANC")
    assert q.status == "open" and q.field_name == "anc"
    inbox = nurse.get("/queries/").content.decode()
    assert "Please check ANC" in inbox and f'action="/queries/{q.pk}/answer/"' in inbox
    # the nurse may not raise or close
    assert nurse.post(f"/records/{record.pk}/queries/new/", {"text": "x"}).status_code == 403
    assert nurse.post(f"/queries/{q.pk}/close/", {}).status_code == 403
    r = nurse.post(f"/queries/{q.pk}/answer/", {"answer": "Confirmed with source"})
    assert r.status_code == 302
    q.refresh_from_db()
    assert q.status == "answered" and q.answer == "Confirmed with source"
    answered = mon.get("/queries/?status=answered").content.decode()
    assert "Confirmed with source" in answered
    r = mon.post(f"/queries/{q.pk}/close/", {"note": "ok", "next": "/queries/?status=answered"})
    assert r["Location"] == "/queries/?status=answered"
    q.refresh_from_db()
    assert q.status == "closed"
    assert "Please check ANC" not in mon.get("/queries/").content.decode()
    assert "Please check ANC" in mon.get("/queries/?status=closed").content.decode()


def test_query_errors_are_messages(staff: dict[str, Any], record: FormRecord) -> None:
    mon = client_for(staff["monitor"])
    before = Query.objects.count()  # the automatic "no marrow at C1D1" query
    r = mon.post(
        f"/records/{record.pk}/queries/new/", {"field_name": "anc", "text": " "}, follow=True
    )
    assert r.status_code == 200
    assert Query.objects.count() == before
    q = services.raise_query(staff["monitor"], record, "anc", "check")
    services.close_query(staff["monitor"], q)
    r = mon.post(f"/queries/{q.pk}/close/", {}, follow=True)
    assert r.status_code == 200 and b"already closed" in r.content


def test_external_next_is_ignored(staff: dict[str, Any], record: FormRecord) -> None:
    q = services.raise_query(staff["monitor"], record, "anc", "check")
    r = client_for(staff["monitor"]).post(
        f"/queries/{q.pk}/close/", {"next": "https://evil.example/"}
    )
    assert r["Location"] == "/queries/"


# --------------------------------------------------------------------------- sign and lock
def test_sign_with_password(staff: dict[str, Any], subject: Subject, record: FormRecord) -> None:
    c = client_for(staff["investigator"])
    url = f"/subjects/{subject.subject_number}/sign/"
    r = c.post(url, {"password": "not-my-password"}, follow=True)
    assert b"password is not correct" in r.content
    assert not Signature.objects.exists()
    r = c.post(url, {"password": PASSWORD}, follow=True)
    assert b"is incomplete" in r.content and not Signature.objects.exists()
    r = c.post(url, {"password": PASSWORD, "override_reason": "interim"}, follow=True)
    assert b"signed" in r.content and Signature.objects.count() == 1
    assert client_for(staff["study_nurse"]).post(url, {"password": PASSWORD}).status_code == 403


def test_lock_and_unlock(staff: dict[str, Any], subject: Subject, record: FormRecord) -> None:
    dm = client_for(staff["data_manager"])
    n = subject.subject_number
    q = services.raise_query(staff["monitor"], record, "anc", "check")
    r = dm.post(f"/subjects/{n}/lock/", {"reason": "interim"}, follow=True)
    assert b"unresolved quer" in r.content and not subject.is_locked
    for open_query in services.unresolved_queries(subject):  # q and the automatic one
        services.close_query(staff["monitor"], open_query)
    assert not services.unresolved_queries(subject).filter(pk=q.pk).exists()
    dm.post(f"/subjects/{n}/lock/", {"reason": "interim", "override_reason": "interim lock"})
    assert subject.is_locked
    inv = client_for(staff["investigator"])
    page = inv.get(f"/subjects/{n}/").content.decode()
    assert "locked" in page and "+ haematology" not in page
    r = inv.post(f"/subjects/{n}/forms/haematology/new/?visit=C1D8", HAEM)
    assert b"is locked" in r.content and FormRecord.objects.count() == 1
    assert (
        client_for(staff["study_nurse"]).post(f"/subjects/{n}/unlock/", {"reason": "x"}).status_code
        == 403
    )
    r = dm.post(f"/subjects/{n}/unlock/", {"reason": ""}, follow=True)
    assert b"reason for change is required" in r.content and subject.is_locked
    dm.post(f"/subjects/{n}/unlock/", {"reason": "query from DSMB"})
    assert not subject.is_locked


def test_cohort_lock_from_the_dashboard(staff: dict[str, Any], subject: Subject) -> None:
    dm = client_for(staff["data_manager"])
    assert "Lock cohort overt" in dm.get("/").content.decode()
    assert "Lock cohort overt" not in client_for(staff["study_nurse"]).get("/").content.decode()
    r = client_for(staff["study_nurse"]).post("/cohorts/overt/lock/", {"reason": "x"})
    assert r.status_code in (302, 403) and not subject.is_locked
    r = dm.post("/cohorts/overt/lock/", {"reason": "interim analysis"}, follow=True)
    assert b"cannot be locked without an override reason" in r.content and not subject.is_locked
    body = {"reason": "interim analysis", "override_reason": "DSMB interim"}
    r = dm.post("/cohorts/overt/lock/", body, follow=True)
    assert b"Cohort overt: 1 subject locked." in r.content and subject.is_locked
    r = dm.post("/cohorts/overt/unlock/", {"reason": ""}, follow=True)
    assert b"reason for change is required" in r.content and subject.is_locked
    r = dm.post("/cohorts/overt/unlock/", {"reason": "late data"}, follow=True)
    assert b"Cohort overt: 1 subject unlocked." in r.content and not subject.is_locked
    assert b"subject(s)" not in r.content  # the one plural rule (nakip.wording.count)


# --------------------------------------------------------------------------- audit export
def test_audit_csv_needs_export_right(
    staff: dict[str, Any], subject: Subject, record: FormRecord
) -> None:
    url = f"/subjects/{subject.subject_number}/audit/?format=csv"
    assert client_for(staff["investigator"]).get(url).status_code == 403
    page = client_for(staff["investigator"]).get(url.split("?")[0]).content.decode()
    assert "Export CSV" not in page
    r = client_for(staff["data_manager"]).get(url)
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    body = r.content.decode()
    assert body.splitlines()[0].startswith("model,object_id,object,when,when_utc,user,action")
    assert "values.anc" in body
    rec_csv = client_for(staff["statistician"]).get(f"/records/{record.pk}/audit/?format=csv")
    assert rec_csv.status_code == 200 and "initial entry" in rec_csv.content.decode()


def test_dashboard_counts(staff: dict[str, Any], site_a: Any, subject: Subject) -> None:
    inv = staff["investigator"]
    services.create_screening(inv, site_a, CONSENT, screening_values("overt", age_years=15))
    html = client_for(inv).get("/").content.decode()
    assert subject.subject_number in html
    tiles = html[html.index('class="tiles"') : html.index('class="grid2"')]
    assert '<span class="tile-n">2</span><span class="tile-l">screened</span>' in tiles
    assert '<span class="tile-n">1</span><span class="tile-l">eligible</span>' in tiles
    assert "overdue visits" in tiles


def test_login_is_throttled_after_five_failures(investigator: Any) -> None:
    c = Client()
    page = c.get("/login/").content.decode()
    assert "After 5 failed attempts the account is blocked for 15 minutes" in page
    for _ in range(4):
        assert c.post("/login/", {"username": "investigator_a", "password": "x"}).status_code == 200
    locked = c.post("/login/", {"username": "investigator_a", "password": "x"})
    assert locked.status_code == 429
    assert b"Account temporarily blocked" in locked.content
    # even the right password is refused while blocked
    again = c.post("/login/", {"username": "investigator_a", "password": PASSWORD})
    assert again.status_code == 429
    assert c.get("/").status_code == 302


def test_mark_visit_missed_and_undo(staff: dict[str, Any], subject: Subject) -> None:
    c = client_for(staff["study_nurse"])
    url = f"/subjects/{subject.subject_number}/visits/C1D15/missed/"
    r = c.post(url, {"reason": ""}, follow=True)
    assert b"reason for change is required" in r.content
    r = c.post(url, {"reason": "patient hospitalised elsewhere"}, follow=True)
    assert b"Visit C1D15 marked missed." in r.content
    states = {v.visit.code: v.status for v in services.subject_visits(subject)}
    assert states["C1D15"] == "missed"
    c.post(url, {"reason": "found the data", "undo": "1"})
    states = {v.visit.code: v.status for v in services.subject_visits(subject)}
    assert states["C1D15"] != "missed"
    assert client_for(staff["monitor"]).post(url, {"reason": "x"}).status_code == 403


def test_withdraw_record(staff: dict[str, Any], record: FormRecord) -> None:
    c = client_for(staff["investigator"])
    r = c.post(f"/records/{record.pk}/withdraw/", {"reason": "", "version": "1"}, follow=True)
    assert b"reason for change is required" in r.content
    record.refresh_from_db()
    assert not record.withdrawn
    r = c.post(
        f"/records/{record.pk}/withdraw/", {"reason": "wrong patient", "version": "1"}, follow=True
    )
    record.refresh_from_db()
    assert record.withdrawn and b"Withdrawn: wrong patient" in r.content
    assert b">Correct</a>" not in r.content


def test_protocol_field_named_reason_is_kept_apart_from_the_change_reason(
    staff: dict[str, Any], subject: Subject
) -> None:
    """end_of_study has a protocol field `reason`; the reason for change is `_reason`."""
    c = client_for(staff["investigator"])
    n = subject.subject_number
    r = c.post(
        f"/subjects/{n}/forms/end_of_study/new/",
        {"end_date": "2026-05-04", "reason": "completed"},
    )
    assert r.status_code == 302
    rec = FormRecord.objects.get(form_code="end_of_study")
    assert rec.values == {"end_date": "2026-05-04", "reason": "completed"}
    edit = f"/records/{rec.pk}/edit/"
    r = c.post(edit, {"end_date": "2026-05-04", "reason": "progression", "_version": "1"})
    html = r.content.decode()
    assert "a reason for change is required" in html[html.index('id="field-_reason"') :]
    assert "a reason for change" not in html[html.index('id="field-reason"') :][:1000]
    r = c.post(edit, {"end_date": "2026-05-04", "reason": "", "_version": "1", "_reason": "typo"})
    html = r.content.decode()
    assert "this field is required" in html[html.index('id="field-reason"') :][:1200]
    r = c.post(
        edit,
        {"end_date": "2026-05-04", "reason": "progression", "_version": "1", "_reason": "typo"},
    )
    assert r.status_code == 302
    rec.refresh_from_db()
    assert rec.values["reason"] == "progression" and rec.version == 2


def test_live_form_check_saves_nothing(staff: dict[str, Any], subject: Subject) -> None:
    c = client_for(staff["study_nurse"])
    r = c.post(
        "/forms/haematology/check/", {"anc": "abc", "platelets": "2000", "_form_version": "1"}
    )
    assert r.status_code == 200
    data = r.json()
    assert data["errors"]["anc"] == ["expected a number"]
    assert data["errors"]["sample_date"] == ["this field is required"]
    assert data["soft"][0]["check_code"] == "soft_max:platelets"
    assert not FormRecord.objects.exists()
    assert c.get("/forms/haematology/check/").status_code == 405
    assert c.post("/forms/nonsense/check/", {}).status_code == 404
    assert client_for(staff["monitor"]).post("/forms/haematology/check/", {}).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff["study_nurse"])
    assert strict.post("/forms/haematology/check/", {"anc": "1"}).status_code == 403


def test_value_display_filters_keep_every_digit() -> None:
    from nakip.edc.web.templatetags.edc_tags import exact, pretty_unit, show, signed_number

    assert show(None) == "–" and show("") == "–"
    assert show(True) == "yes" and show(False) == "no"
    assert show(12.0) == "12" and show(0.35) == "0.35"
    assert show(50_000_000.0) == "50000000"  # no 5e+07 for an NK-cell dose
    assert show(1234567.25) == "1234567.25"
    assert show("AML_de_novo") == "AML de novo" and show("free text_with space") == (
        "free text_with space"
    )
    assert exact(25.0) == "25" and exact(True) == "true" and exact("a_b") == "a_b"
    assert signed_number(-1.704) == "\u22121.70" and signed_number(0.5) == "+0.50"
    assert pretty_unit("10^9/L") == "10⁹/L" and pretty_unit("C") == "°C"


def test_every_route_needs_login() -> None:
    """Walk the URL table: each page except log-in/out sends an anonymous visitor to log in."""
    from django.urls import reverse

    from nakip.edc.web import urls

    samples = {
        "number": "A-001",
        "pk": 1,
        "form_code": "haematology",
        "visit_code": "C1D1",
        "cohort": "overt",
        "code": "subjects",
        "username": "someone",
        "action": "deactivate",
        "fmt": "html",
    }
    c = Client()
    checked = 0
    for pattern in urls.urlpatterns:
        if pattern.name in ("login", "logout"):
            continue
        kwargs = {k: samples[k] for k in pattern.pattern.converters}
        url = reverse(f"edc-web:{pattern.name}", kwargs=kwargs)
        for method in (c.get, c.post):
            r = method(url)
            assert r.status_code == 302, (url, r.status_code)
            assert r["Location"].startswith("/login/?next="), url
        checked += 1
    assert checked == len(urls.urlpatterns) - 2 >= 25


def test_required_if_hint_is_in_words(staff: dict[str, Any], site_a: Any) -> None:
    html = client_for(staff["study_nurse"]).get("/screening/new/").content.decode()
    block = html[html.index('id="field-days_since_hsct"') :][:1500]
    assert "required when Prior allogeneic stem-cell transplantation is yes" in block
    assert "prior_hsct" not in block.split('<p class="help">', 1)[1]


def test_marrow_query_at_baseline_names_the_baseline_visit(
    staff: dict[str, Any], subject: Subject
) -> None:
    _haem(staff["investigator"], subject)  # counts at C1D1 without a marrow
    q = Query.objects.get(check_code="cross:marrow_missing")
    assert "at baseline visit C1D1" in q.text and "response-assessment" not in q.text


def test_future_marrow_date_is_refused_at_screening(staff: dict[str, Any], site_a: Any) -> None:
    """Date plausibility (protocol date_limits: at most max_days_ahead after today)."""
    from datetime import timedelta

    from django.utils import timezone

    ahead = services.get_protocol().date_limits.max_days_ahead
    future = timezone.localdate() + timedelta(days=ahead + 1)
    values = screening_values("overt", marrow_date=future.isoformat())
    data = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in values.items()}
    c = client_for(staff["study_nurse"])
    r = c.post("/screening/new/", {**data, "_site": "S01", "_consent_date": "2026-01-05"})
    assert r.status_code == 200 and not ScreeningRecord.objects.exists()
    block = r.content.decode()
    block = block[block.index('id="field-marrow_date"') :][:1500]
    assert 'class="error"' in block
    ok = {**data, "marrow_date": timezone.localdate().isoformat()}
    r = c.post("/screening/new/", {**ok, "_site": "S01", "_consent_date": "2026-01-05"})
    assert r.status_code == 302


def test_audit_and_query_pages_use_local_time_and_labels(
    staff: dict[str, Any], subject: Subject, record: FormRecord
) -> None:
    """Timestamps in the trial time zone to the second, fields by their protocol label."""
    import re

    from django.utils import timezone

    inv = staff["investigator"]
    services.update_record(inv, record, {"platelets": 52}, "lab report", 1, partial=True)
    services.raise_query(staff["monitor"], record, "platelets", "please confirm")
    fields = services.form_definition("haematology").fields
    label = next(f.label for f in fields if f.name == "platelets")
    page = client_for(inv).get(f"/records/{record.pk}/audit/").content.decode()
    when = timezone.localtime(record.history.latest().history_date)
    assert when.strftime("%Y-%m-%d %H:%M:%S") in page and str(when.tzname()) in page
    assert not re.search(r"\d\d:\d\d:\d\d\.\d{6}", page)  # no microseconds anywhere
    assert label in page and "<code>platelets</code>" not in page
    for url in ("/queries/", f"/records/{record.pk}/"):
        html = client_for(staff["monitor"]).get(url).content.decode()
        assert f">{label}</span>" in html and "<code>platelets</code>" not in html, url
