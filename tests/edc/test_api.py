"""REST API: every endpoint's happy path, error bodies, optimistic locking, authentication,
CSV exports and the OpenAPI schema. Expected clinical values come from the protocol file and
the clinical reference (ELN 2022 CR definition, section 7 time-to-event rules)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from rest_framework.test import APIClient

from nakip.edc import services
from nakip.edc.models import FormRecord, Query, ScreeningRecord, Subject

from .conftest import CONSENT, DAY1, PASSWORD, screening_values

pytestmark = pytest.mark.django_db

HAEM = {
    "sample_date": "2026-01-12",
    "anc": 0.8,
    "platelets": 40,
    "haemoglobin": 9.1,
    "pb_blasts_pct": 2,
}
AE = {
    "term": "Pneumonitis",
    "ctcae_grade": 3,
    "onset_date": "2026-01-25",
    "serious": True,
    "attribution_talazoparib": "unlikely",
    "attribution_nk": "possible",
    "category": "nonhematologic",
    "outcome": "recovering",
}
NK = {
    "infusion_date": "2026-01-19",
    "infusion_number": 1,
    "given": True,
    "cell_dose_per_kg": 5e6,
    "viability_pct": 90,
    "infusion_reaction_grade": 0,
}


#: Talazoparib cycle 1 from day 1 (2026-01-12): study treatment starts, the DLT window opens.
TALA = {"period_start": "2026-01-12", "daily_dose_mg": "1.0", "interrupted": False,
        "reduced": False}  # fmt: skip


def api(user: Any = None) -> APIClient:
    """A client authenticated with the user's API token (anonymous when None)."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {services.api_token(None, user)}")
    return client


def rows_of(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.fixture
def inv(investigator: Any) -> APIClient:
    return api(investigator)


# =========================================================================== authentication
def test_anonymous_gets_401_json_with_token_challenge(subject: Subject) -> None:
    for url in [
        "/api/subjects/",
        f"/api/subjects/{subject.subject_number}/",
        "/api/forms/",
        "/api/openapi.json",
        "/api/docs",
        "/api/datasets/subjects/",
        "/api/nowhere",
    ]:
        r = APIClient().get(url)
        assert r.status_code == 401, url
        assert r["WWW-Authenticate"].startswith("Token")
        assert r.json()["error"] and r.json()["fields"] == {}


def test_bad_or_malformed_token_is_401(subject: Subject) -> None:
    for header in ["Token " + "0" * 40, "Token not-a-token", "Token a b"]:
        r = APIClient().get("/api/subjects/", HTTP_AUTHORIZATION=header)
        assert r.status_code == 401, header


def test_token_authentication_lists_own_subjects(investigator: Any, subject: Subject) -> None:
    r = api(investigator).get("/api/subjects/")
    assert r.status_code == 200
    assert [s["subject_number"] for s in r.json()] == ["A-001"]


def test_session_auth_needs_csrf_for_writes(investigator: Any, subject: Subject) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(investigator)
    assert client.get("/api/subjects/").status_code == 200
    url = f"/api/subjects/{subject.subject_number}/records/"
    body = {"form_code": "haematology", "visit_code": "C1D1", "values": HAEM}
    r = client.post(url, body, format="json")
    assert r.status_code == 403 and "CSRF" in r.json()["error"]
    token = "k" * 32  # a browser holds the csrftoken cookie and echoes it in a header
    client.cookies["csrftoken"] = token
    r = client.post(url, body, format="json", HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 201


def test_user_without_membership_sees_nothing(db: None, subject: Subject) -> None:
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", password=PASSWORD)
    c = api(nobody)
    assert c.get("/api/subjects/").json() == []
    assert c.get("/api/subjects/A-001/").status_code == 404


# =========================================================================== screening
def test_screening_create_list_detail(site_a: Any, investigator: Any, inv: APIClient) -> None:
    r = inv.post(
        "/api/screenings/",
        {"consent_date": "2026-01-05", "values": screening_values("mrd")},
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["site"] == "S01"  # the investigator's only site
    assert body["eligibility_status"] == "eligible" and body["eligibility_cohort"] == "mrd"
    assert body["screening_number"] == "S01-S001" and body["version"] == 1
    listed = inv.get("/api/screenings/").json()
    assert [x["id"] for x in listed] == [body["id"]]
    assert inv.get("/api/screenings/?outcome=enrolled").json() == []
    assert inv.get(f"/api/screenings/{body['id']}/").json()["values"]["mrd_assay"] == "qPCR"


def test_screening_patch_needs_reason_and_version(site_a: Any, investigator: Any) -> None:
    scr = services.create_screening(investigator, site_a, CONSENT, screening_values("overt"))
    c = api(investigator)
    url = f"/api/screenings/{scr.pk}/"
    r = c.patch(url, {"values": {"ecog": 2}}, format="json")
    assert r.status_code == 400 and set(r.json()["fields"]) == {"reason", "version"}
    r = c.patch(url, {"values": {"age_years": 17}, "reason": "typo", "version": 1}, format="json")
    assert r.status_code == 200
    assert r.json()["version"] == 2 and r.json()["eligibility_status"] == "not_eligible"
    r = c.patch(url, {"values": {"age_years": 61}, "reason": "typo", "version": 1}, format="json")
    assert r.status_code == 409
    assert (r.json()["expected_version"], r.json()["current_version"]) == (1, 2)


def test_enrol_and_screen_failure(site_a: Any, investigator: Any) -> None:
    c = api(investigator)
    ok = services.create_screening(investigator, site_a, CONSENT, screening_values("overt"))
    r = c.post(f"/api/screenings/{ok.pk}/enrol/", {"enrolment_date": "2026-01-12"}, format="json")
    assert r.status_code == 201
    assert r.json()["subject_number"] == "A-001" and r.json()["cohort"] == "overt"
    r = c.post(f"/api/screenings/{ok.pk}/enrol/", {"enrolment_date": "2026-01-12"}, format="json")
    assert r.status_code == 409  # already enrolled
    bad = services.create_screening(
        investigator, site_a, CONSENT, screening_values("overt", age_years=17)
    )
    r = c.post(f"/api/screenings/{bad.pk}/enrol/", {"enrolment_date": "2026-01-12"}, format="json")
    assert r.status_code == 409 and r.json()["reasons"]
    r = c.post(f"/api/screenings/{bad.pk}/screen-failure/", {}, format="json")
    assert r.status_code == 200
    assert r.json()["outcome"] == "screen_failed" and r.json()["screen_failure_reasons"]


def test_enrolment_date_outside_window_is_a_field_error(site_a: Any, investigator: Any) -> None:
    scr = services.create_screening(investigator, site_a, CONSENT, screening_values("overt"))
    r = api(investigator).post(
        f"/api/screenings/{scr.pk}/enrol/", {"enrolment_date": "2026-01-01"}, format="json"
    )  # before consent on 2026-01-05
    assert r.status_code == 400 and list(r.json()["fields"]) == ["enrolment_date"]


# =========================================================================== subjects
def test_subject_detail_visits_derived(subject: Subject, inv: APIClient) -> None:
    d = inv.get("/api/subjects/A-001/").json()
    assert d["site"] == "S01" and d["locked"] is False and d["signature"] is None
    assert d["enrolment_date"] == DAY1.isoformat()
    visits = inv.get("/api/subjects/A-001/visits/").json()
    c2d1 = next(v for v in visits if v["code"] == "C2D1")
    assert c2d1["target_date"] == "2026-02-09"  # protocol day 29 from day 1 = 2026-01-12
    assert c2d1["window_start"] == "2026-02-06" and c2d1["window_end"] == "2026-02-12"
    derived = inv.get("/api/subjects/A-001/derived/").json()
    assert derived["subject_number"] == "A-001" and derived["responses"] == []


def test_unknown_subject_is_404_json(subject: Subject, inv: APIClient) -> None:
    r = inv.get("/api/subjects/Z-999/")
    assert r.status_code == 404 and r.json()["error"] == "no subject 'Z-999'"
    assert inv.get("/api/records/999999/").status_code == 404
    assert inv.get("/api/records/99999999999999999999999/").status_code in (400, 404)


def test_audit_json_and_csv(subject: Subject, investigator: Any, staff: dict) -> None:
    rec = services.create_record(investigator, subject, "haematology", HAEM, "C1D15").record
    services.update_record(investigator, rec, {"anc": 0.9}, "transcription error", 1, True)
    entries = api(investigator).get("/api/subjects/A-001/audit/").json()
    change = [e for e in entries if e["reason"] == "transcription error"]
    assert {"field": "values.anc", "old": 0.8, "new": 0.9} in change[0]["changes"]
    assert change[0]["user"] == "investigator_a"
    # CSV needs export_dataset: the investigator lacks it, the data manager has it
    assert api(investigator).get("/api/subjects/A-001/audit/?format=csv").status_code == 403
    r = api(staff["data_manager"]).get("/api/subjects/A-001/audit/?format=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    lines = [x for x in rows_of(r) if x["field_code"] == "values.anc" and x["action"] == "changed"]
    assert [(x["old"], x["new"], x["user"]) for x in lines] == [("0.8", "0.9", "investigator_a")]


# =========================================================================== records
def test_record_create_get_patch_withdraw(subject: Subject, inv: APIClient) -> None:
    url = "/api/subjects/A-001/records/"
    r = inv.post(
        url, {"form_code": "haematology", "visit_code": "C1D15", "values": HAEM}, format="json"
    )
    assert r.status_code == 201
    rec = r.json()
    assert rec["values"]["anc"] == 0.8 and rec["version"] == 1 and rec["opened_queries"] == []
    assert [x["id"] for x in inv.get(url).json()] == [rec["id"]]
    assert inv.get(url + "?form_code=marrow").json() == []
    detail = inv.get(f"/api/records/{rec['id']}/").json()
    assert detail["queries"] == [] and detail["form_code"] == "haematology"
    r = inv.patch(
        f"/api/records/{rec['id']}/",
        {"values": {"anc": 1.1}, "reason": "typo", "version": 1},
        format="json",
    )
    assert r.status_code == 200
    assert r.json()["version"] == 2 and r.json()["values"]["platelets"] == 40  # partial merge
    r = inv.post(f"/api/records/{rec['id']}/withdraw/", {"reason": "wrong patient"}, format="json")
    assert r.status_code == 200 and r.json()["withdrawn"] is True
    assert inv.get(url).json() == []
    assert len(inv.get(url + "?include_withdrawn=true").json()) == 1
    assert FormRecord.objects.filter(pk=rec["id"]).exists()  # never deleted


def test_stale_patch_is_409_and_changes_nothing(
    subject: Subject, investigator: Any, staff: dict
) -> None:
    rec = services.create_record(investigator, subject, "haematology", HAEM, "C1D15").record
    nurse, inv = api(staff["study_nurse"]), api(investigator)
    url = f"/api/records/{rec.pk}/"
    assert inv.get(url).json()["version"] == 1  # both read version 1
    r = nurse.patch(url, {"values": {"anc": 0.9}, "reason": "typo", "version": 1}, format="json")
    assert r.status_code == 200
    r = inv.patch(url, {"values": {"anc": 1.5}, "reason": "typo", "version": 1}, format="json")
    assert r.status_code == 409
    assert r.json()["expected_version"] == 1 and r.json()["current_version"] == 2
    assert FormRecord.objects.get(pk=rec.pk).values["anc"] == 0.9


def test_patch_without_reason_or_version_is_400(subject: Subject, investigator: Any) -> None:
    rec = services.create_record(investigator, subject, "haematology", HAEM, "C1D15").record
    r = api(investigator).patch(f"/api/records/{rec.pk}/", {"values": {"anc": 1}}, format="json")
    assert r.status_code == 400 and set(r.json()["fields"]) == {"reason", "version"}
    r = api(investigator).patch(
        f"/api/records/{rec.pk}/",
        {"values": {"anc": 1}, "reason": "  ", "version": 1},
        format="json",
    )
    assert r.status_code == 400 and "reason" in r.json()["fields"]


def test_bad_values_give_per_field_messages(subject: Subject, inv: APIClient) -> None:
    bad = {
        **HAEM,
        "anc": -1,
        "platelets": "many",
        "haemoglobin": None,
        "extra": 3,
        "sample_date": "2026-13-01",
    }
    r = inv.post(
        "/api/subjects/A-001/records/",
        {"form_code": "haematology", "visit_code": "C1D15", "values": bad},
        format="json",
    )
    assert r.status_code == 400
    fields = r.json()["fields"]
    assert set(fields) == {"anc", "platelets", "haemoglobin", "extra", "sample_date"}
    assert fields["haemoglobin"] == ["this field is required"]
    assert fields["anc"] == ["must be at least 0 10^9/L"]  # protocol: anc min 0
    assert "YYYY-MM-DD" in fields["sample_date"][0]
    assert not FormRecord.objects.exists()


def test_wrong_visit_and_duplicate(subject: Subject, inv: APIClient) -> None:
    url = "/api/subjects/A-001/records/"
    r = inv.post(url, {"form_code": "marrow", "visit_code": "C1D8", "values": {}}, format="json")
    assert r.status_code == 400 and list(r.json()["fields"]) == ["visit_code"]
    body = {"form_code": "haematology", "visit_code": "C1D15", "values": HAEM}
    assert inv.post(url, body, format="json").status_code == 201
    r = inv.post(url, body, format="json")
    assert r.status_code == 409 and "already has" in r.json()["error"]
    r = inv.post(url, {"form_code": "nonsense", "values": {}}, format="json")
    assert r.status_code == 404


def test_soft_check_opens_query_in_response(subject: Subject, inv: APIClient) -> None:
    r = inv.post(
        "/api/subjects/A-001/records/",
        {"form_code": "haematology", "visit_code": "C1D15", "values": {**HAEM, "anc": 60}},
        format="json",
    )
    assert r.status_code == 201  # soft_max 50 < 60 <= max 100: saved, queried
    [q] = r.json()["opened_queries"]
    assert q["check_code"] == "soft_max:anc" and q["raised_by"] is None


# =========================================================================== adverse events
def test_adverse_events_with_dlt_flag(subject: Subject, investigator: Any, inv: APIClient) -> None:
    url = "/api/subjects/A-001/adverse-events/"
    r = inv.post(url, {"values": AE}, format="json")
    assert r.status_code == 201
    # no study treatment yet: the DLT window (from talazoparib C1D1) has not started
    assert r.json()["dlt"]["is_dlt"] is None
    services.create_record(investigator, subject, "talazoparib", TALA, "C1D1")
    services.create_record(investigator, subject, "nk_infusion", NK, "C1D8")
    grade2 = {**AE, "term": "Rash maculo-papular", "ctcae_grade": 2}
    assert inv.post(url, {"values": grade2}, format="json").status_code == 201
    listed = {a["values"]["term"]: a["dlt"] for a in inv.get(url).json()}
    # DLT definition (docs/clinical-rules.md): grade >= 3 non-haematological, at least possibly
    # related, from C1D1 to 28 days after the first NK infusion (2026-01-19) -> DLT; grade 2 not
    assert listed["Pneumonitis"]["is_dlt"] is True and listed["Pneumonitis"]["in_window"]
    assert listed["Rash maculo-papular"]["is_dlt"] is False
    r = inv.post(url, {"values": {**AE, "ctcae_grade": 9}}, format="json")
    assert r.status_code == 400 and list(r.json()["fields"]) == ["ctcae_grade"]


# =========================================================================== queries
def test_query_lifecycle_and_inbox(subject: Subject, investigator: Any, staff: dict) -> None:
    rec = services.create_record(investigator, subject, "haematology", HAEM, "C1D15").record
    mon, nurse = api(staff["monitor"]), api(staff["study_nurse"])
    r = mon.post(
        "/api/queries/",
        {"record": rec.pk, "field_name": "anc", "text": "Please check against source"},
        format="json",
    )
    assert r.status_code == 201
    q = r.json()
    assert (q["status"], q["raised_by"], q["subject_number"]) == ("open", "monitor_a", "A-001")
    inbox = nurse.get("/api/queries/?status=open&site=S01").json()
    assert [x["id"] for x in inbox] == [q["id"]]
    assert nurse.get("/api/queries/?status=closed").json() == []
    assert nurse.get("/api/queries/?site=S02").json() == []
    r = nurse.post(f"/api/queries/{q['id']}/answer/", {"answer": "checked"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "answered"
    r = nurse.post(f"/api/queries/{q['id']}/answer/", {"answer": "again"}, format="json")
    assert r.status_code == 409
    r = mon.post(f"/api/queries/{q['id']}/close/", {"note": "ok"}, format="json")
    assert r.status_code == 200 and r.json()["closed_by"] == "monitor_a"
    r = mon.post(f"/api/queries/{q['id']}/reopen/", {"text": "source says 0.7"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "open"
    assert len(nurse.get("/api/queries/?status=unresolved").json()) == 1


def test_query_on_screening_and_bad_target(site_a: Any, investigator: Any, staff: dict) -> None:
    scr = services.create_screening(investigator, site_a, CONSENT, screening_values("overt"))
    mon = api(staff["monitor"])
    r = mon.post(
        "/api/queries/", {"screening": scr.pk, "field_name": "ecog", "text": "?"}, format="json"
    )
    assert r.status_code == 201 and r.json()["form_code"] == "screening"
    r = mon.post("/api/queries/", {"text": "which record?"}, format="json")
    assert r.status_code == 400 and "__all__" in r.json()["fields"]
    r = mon.post(
        "/api/queries/", {"screening": scr.pk, "field_name": "nonsense", "text": "?"}, format="json"
    )
    assert r.status_code == 400 and list(r.json()["fields"]) == ["field_name"]
    assert (
        mon.post("/api/queries/", {"record": 424242, "text": "?"}, format="json").status_code == 404
    )


# =========================================================================== sign and lock
def test_sign_checks_password(subject: Subject, investigator: Any) -> None:
    services.create_record(investigator, subject, "haematology", HAEM, "C1D15")
    c = api(investigator)
    r = c.post("/api/subjects/A-001/sign/", {"password": "wrong"}, format="json")
    assert r.status_code == 403 and "password" in r.json()["error"]
    r = c.post("/api/subjects/A-001/sign/", {"password": PASSWORD}, format="json")
    assert r.status_code == 409 and "overdue visit" in " ".join(r.json()["findings"])
    body = {"password": PASSWORD, "override_reason": "interim signature"}
    r = c.post("/api/subjects/A-001/sign/", body, format="json")
    assert r.status_code == 201 and r.json()["signed_by"] == "investigator_a"
    assert c.get("/api/subjects/A-001/").json()["signature"]["id"] == r.json()["id"]
    assert c.get("/api/subjects/A-001/records/").json()[0]["status"] == "signed"


def test_lock_refused_with_open_queries_then_read_only(
    subject: Subject, investigator: Any, staff: dict
) -> None:
    rec = services.create_record(investigator, subject, "haematology", HAEM, "C1D15").record
    q = services.raise_query(staff["monitor"], rec, "anc", "check")
    dm = api(staff["data_manager"])
    r = dm.post("/api/subjects/A-001/lock/", {"reason": "database lock"}, format="json")
    assert r.status_code == 409 and "unresolved" in r.json()["error"]
    services.close_query(staff["monitor"], q, "fine")
    body = {"reason": "database lock", "override_reason": "interim lock"}
    r = dm.post("/api/subjects/A-001/lock/", body, format="json")
    assert r.status_code == 200 and r.json()["locked"] is True
    r = api(investigator).patch(
        f"/api/records/{rec.pk}/",
        {"values": {"anc": 1}, "reason": "x", "version": 1},
        format="json",
    )
    assert r.status_code == 409 and "locked" in r.json()["error"]
    r = dm.post("/api/subjects/A-001/unlock/", {}, format="json")
    assert r.status_code == 400 and list(r.json()["fields"]) == ["reason"]
    r = dm.post("/api/subjects/A-001/unlock/", {"reason": "late data"}, format="json")
    assert r.status_code == 200 and r.json()["locked"] is False


def test_cohort_lock_is_all_or_nothing(enrol: Any, investigator: Any, staff: dict) -> None:
    first, second = enrol("overt"), enrol("overt")
    enrol("mrd")
    rec = services.create_record(investigator, second, "haematology", HAEM, "C1D15").record
    q = services.raise_query(staff["monitor"], rec, "anc", "check")
    dm = api(staff["data_manager"])
    r = dm.post("/api/cohorts/overt/lock/", {"reason": "interim"}, format="json")
    assert r.status_code == 409 and second.subject_number in r.json()["error"]
    first.refresh_from_db()
    assert not first.is_locked  # nothing was locked: the whole cohort or none of it
    services.close_query(staff["monitor"], q, "fine")
    r = dm.post("/api/cohorts/overt/lock/", {"reason": "interim"}, format="json")
    assert r.status_code == 409 and len(r.json()["findings"]) == 2  # both casebooks incomplete
    body = {"reason": "interim", "override_reason": "DSMB interim"}
    r = dm.post("/api/cohorts/overt/lock/", body, format="json")
    assert r.status_code == 200 and r.json()["locked"] == ["A-001", "A-002"]
    assert api(investigator).get("/api/subjects/B-001/").json()["locked"] is False
    assert api(investigator).post("/api/cohorts/overt/lock/", {}, format="json").status_code == 403
    assert dm.post("/api/cohorts/nope/lock/", {}, format="json").status_code == 404
    r = dm.post("/api/cohorts/overt/unlock/", {"reason": "late data"}, format="json")
    assert r.status_code == 200 and r.json()["unlocked"] == ["A-001", "A-002"]


def test_sdv_and_missed_visits(subject: Subject, investigator: Any, staff: dict) -> None:
    rec = services.create_record(investigator, subject, "haematology", HAEM, "C1D15").record
    assert api(investigator).post(f"/api/records/{rec.pk}/sdv/").status_code == 403
    r = api(staff["monitor"]).post(f"/api/records/{rec.pk}/sdv/")
    assert r.status_code == 200
    rec.refresh_from_db()
    assert rec.sdv_by == staff["monitor"] and rec.sdv_at is not None
    url = "/api/subjects/A-001/visits/C3D1/missed/"
    inv = api(investigator)
    r = inv.post(url, {}, format="json")
    assert r.status_code == 400 and list(r.json()["fields"]) == ["reason"]
    r = inv.post(url, {"reason": "patient in hospital"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "missed"
    assert r.json()["missed_reason"] == "patient in hospital"
    r = inv.delete(url, {"reason": "visit took place after all"}, format="json")
    assert r.status_code == 200 and r.json()["status"] != "missed"
    r = inv.post("/api/subjects/A-001/visits/XX9/missed/", {"reason": "x"}, format="json")
    assert r.status_code == 404 and "XX9" in r.json()["error"]
    assert api(staff["monitor"]).post(url, {"reason": "x"}, format="json").status_code == 403


# =========================================================================== datasets
@pytest.fixture
def responder(subject: Subject, investigator: Any) -> Subject:
    """A-001 with a complete remission at C2D1 (ELN 2022: marrow blasts < 5 %, no blood blasts,
    no extramedullary disease, ANC >= 1.0, platelets >= 100)."""
    add = services.create_record
    add(
        investigator,
        subject,
        "marrow",
        {"aspirate_date": "2026-01-12", "evaluable": True, "bm_blasts_pct": 12},
        "C1D1",
    )
    add(
        investigator,
        subject,
        "emd",
        {"assessment_date": "2026-01-12", "emd_present": False},
        "C1D1",
    )
    add(investigator, subject, "haematology", HAEM, "C1D1")
    add(
        investigator,
        subject,
        "marrow",
        {"aspirate_date": "2026-02-09", "evaluable": True, "bm_blasts_pct": 2},
        "C2D1",
    )
    add(
        investigator,
        subject,
        "emd",
        {"assessment_date": "2026-02-09", "emd_present": False},
        "C2D1",
    )
    add(
        investigator,
        subject,
        "haematology",
        {**HAEM, "sample_date": "2026-02-09", "anc": 1.5, "platelets": 150, "pb_blasts_pct": 0},
        "C2D1",
    )
    return subject


def test_dataset_subjects_json_and_csv(
    responder: Subject, enrol: Callable, investigator: Any, staff: dict
) -> None:
    dead = enrol("overt")
    services.create_record(
        investigator,
        dead,
        "end_of_study",
        {"end_date": "2026-03-01", "reason": "death", "death_date": "2026-02-20"},
    )
    stat = api(staff["statistician"])
    body = stat.get("/api/datasets/subjects/").json()
    assert body["dataset"] == "subjects"
    rows = {r["subject_number"]: r for r in body["rows"]}
    assert set(rows) == {"A-001", "A-002"}
    a1, a2 = rows["A-001"], rows["A-002"]
    assert (a1["site"], a1["cohort"], a1["enrolment_date"]) == ("S01", "overt", "2026-01-12")
    assert a1["best_response"] == "CR" and a1["responder"] is True
    # clinical reference section 7: responders without relapse or death are censored (EFS) at
    # their last response assessment; OS censored, death is the OS event of A-002
    assert a1["efs_event"] is False and a1["efs_date"] == "2026-02-09"
    assert a1["os_event"] is False
    assert a2["os_event"] is True and a2["os_date"] == "2026-02-20"
    # events module convention: days = (date - enrolment).days
    assert a2["os_days"] == (date(2026, 2, 20) - DAY1).days
    r = stat.get("/api/datasets/subjects/?format=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    table = rows_of(r)
    assert list(table[0]) == body["columns"]
    by = {x["subject_number"]: x for x in table}
    assert by["A-001"]["best_response"] == "CR" and by["A-002"]["os_event"] == "True"
    assert by["A-002"]["best_response"] == ""  # missing -> empty cell


def test_dataset_responses_and_adverse_events(
    responder: Subject, investigator: Any, staff: dict
) -> None:
    services.create_record(investigator, responder, "talazoparib", TALA, "C1D1")
    services.create_record(investigator, responder, "nk_infusion", NK, "C1D8")
    services.create_record(investigator, responder, "adverse_event", AE)
    dm = api(staff["data_manager"])
    resp = dm.get("/api/datasets/responses/").json()["rows"]
    eln = [r for r in resp if r["parameter"] == "eln2022_response"]
    assert [(r["visit_code"], r["category"], r["study_day"], r["responder"]) for r in eln] == [
        ("C2D1", "CR", 29, True)  # C2D1 is protocol day 29; CR is a responder category
    ]
    ae = dm.get("/api/datasets/adverse_events/").json()["rows"]
    assert len(ae) == 1
    assert (ae[0]["term"], ae[0]["ctcae_grade"], ae[0]["is_dlt"]) == ("Pneumonitis", 3, True)
    assert ae[0]["onset_study_day"] == 14  # 2026-01-25 is day 14 from day 1 = 2026-01-12
    table = rows_of(dm.get("/api/datasets/adverse_events/?format=csv"))
    assert table[0]["is_dlt"] == "True" and table[0]["site"] == "S01"


def test_dataset_needs_export_right_and_known_name(
    subject: Subject, investigator: Any, staff: dict
) -> None:
    r = api(investigator).get("/api/datasets/subjects/")
    assert r.status_code == 403 and r.json()["error"].startswith("not allowed")
    r = api(investigator).get("/api/datasets/subjects/?format=csv")
    assert r.status_code == 403 and r["Content-Type"] == "application/json"
    assert api(staff["statistician"]).get("/api/datasets/nonsense/").status_code == 404


# =========================================================================== forms, schema
def test_forms(subject: Subject, inv: APIClient) -> None:
    forms = inv.get("/api/forms/").json()
    codes = [f["code"] for f in forms]
    assert {"screening", "haematology", "adverse_event", "end_of_study"} <= set(codes)
    assert len(codes) == len(set(codes))
    haem = inv.get("/api/forms/haematology/").json()
    anc = next(f for f in haem["fields"] if f["name"] == "anc")
    assert (anc["type"], anc["min"], anc["max"], anc["soft_max"]) == ("decimal", 0, 100, 50)
    assert inv.get("/api/forms/haematology/?version=1").json()["version"] == 1
    assert inv.get("/api/forms/nonsense/").status_code == 404
    assert inv.get("/api/forms/haematology/?version=x").status_code == 400


ALL_PATHS = [
    "/api/screenings/",
    "/api/screenings/{id}/",
    "/api/screenings/{id}/enrol/",
    "/api/screenings/{id}/screen-failure/",
    "/api/subjects/",
    "/api/subjects/{subject_number}/",
    "/api/subjects/{subject_number}/visits/",
    "/api/subjects/{subject_number}/visits/{visit_code}/missed/",
    "/api/subjects/{subject_number}/derived/",
    "/api/subjects/{subject_number}/audit/",
    "/api/subjects/{subject_number}/records/",
    "/api/records/{id}/",
    "/api/records/{id}/withdraw/",
    "/api/records/{id}/sdv/",
    "/api/subjects/{subject_number}/adverse-events/",
    "/api/queries/",
    "/api/queries/{id}/answer/",
    "/api/queries/{id}/close/",
    "/api/queries/{id}/reopen/",
    "/api/subjects/{subject_number}/sign/",
    "/api/subjects/{subject_number}/lock/",
    "/api/subjects/{subject_number}/unlock/",
    "/api/cohorts/{cohort}/lock/",
    "/api/cohorts/{cohort}/unlock/",
    "/api/datasets/{name}/",
    "/api/forms/",
    "/api/forms/{code}/",
]


def test_openapi_schema_lists_every_path(investigator: Any) -> None:
    r = api(investigator).get("/api/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["openapi"].startswith("3.")
    assert set(ALL_PATHS) == set(schema["paths"])
    assert set(schema["paths"]["/api/records/{id}/"]) >= {"get", "patch"}
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    from drf_spectacular.validation import validate_schema

    validate_schema(schema)  # raises on an invalid OpenAPI document


def test_docs_page_when_logged_in(investigator: Any) -> None:
    client = APIClient()
    assert client.get("/api/docs").status_code == 401
    client.force_login(investigator)
    r = client.get("/api/docs")
    assert r.status_code == 200 and b"swagger-ui" in r.content
    assert b"/api/openapi.json" in r.content
    from nakip.edc.api.docs import sidecar_dir

    if sidecar_dir() is not None:  # offline assets served by the API itself
        assert b"cdn" not in r.content.lower()
        asset = client.get("/api/docs/assets/swagger-ui-bundle.js")
        assert asset.status_code == 200 and asset["Content-Type"] == "text/javascript"
        assert APIClient().get("/api/docs/assets/swagger-ui-bundle.js").status_code == 401
        assert client.get("/api/docs/assets/..%2Fsettings.py").status_code == 404


def test_method_not_allowed_is_json(subject: Subject, inv: APIClient) -> None:
    r = inv.delete("/api/subjects/A-001/")
    assert r.status_code == 405 and r.json()["error"]


def test_put_is_not_allowed(subject: Subject, inv: APIClient) -> None:
    assert inv.put("/api/subjects/A-001/records/", {}, format="json").status_code == 405
    assert Subject.objects.count() == 1 and ScreeningRecord.objects.count() == 1
    assert Query.objects.count() == 0
