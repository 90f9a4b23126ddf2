"""Regression tests of the reliability probe (issue 11, defects 1, 2, 3, 5 and 7): invalid
Unicode refused at the boundary and harmless once stored, e-signature guessing throttled with
login and audited, reasons stored whole, strict whole numbers, cohort unlock permissions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client

from nakip.edc import audit, services
from nakip.edc.exceptions import FormValidationError
from nakip.edc.models import FormRecord, Lock, SignatureFailure, Subject
from nakip.edc.text_safety import RepairingJSONDecoder, find_invalid_text, repair_text

from .conftest import PASSWORD
from .test_api import AE, HAEM, api

pytestmark = pytest.mark.django_db
BAD = "bad\ud800x"


def _raw_post(client: Any, url: str, body: str) -> Any:
    """POST a JSON text as is (json.dumps would already refuse nothing, but keep the escape)."""
    return client.post(url, data=body.encode(), content_type="application/json")


# =========================================================================== defect 1
def test_find_invalid_text_names_the_nested_field() -> None:
    assert find_invalid_text({"values": {"term": BAD}}) == (
        "values.term",
        "contains invalid Unicode (a lone UTF-16 surrogate)",
    )
    assert find_invalid_text({"reasons": ["ok", BAD]})[0] == "reasons[1]"
    assert find_invalid_text({"values": {"ok": "🙂 é"}}) is None
    assert repair_text({"a": [BAD]}) == {"a": ["bad\ufffdx"]}


def test_stored_values_share_one_decoder_that_still_repairs() -> None:
    """JSONField calls json.loads(text, cls=decoder) per value: the decoder is built once."""
    shared = RepairingJSONDecoder()
    assert RepairingJSONDecoder() is shared
    assert json.loads('{"term": "bad\\ud800x"}', cls=RepairingJSONDecoder) == {"term": "bad\ufffdx"}
    assert RepairingJSONDecoder() is shared  # json.loads did not replace it
    custom = RepairingJSONDecoder(parse_float=str)  # options still give a decoder of their own
    assert custom is not shared and custom.decode("[1.5]") == ["1.5"]


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/subjects/A-001/records/", '{"form_code": "adverse_event", "values": '
         '{"term": "bad\\ud800x"}}', "values.term"),
        ("/api/subjects/A-001/adverse-events/", '{"values": {"term": "x\\udfffy"}}',
         "values.term"),
        ("/api/subjects/A-001/lock/", '{"reason": "\\ud83d"}', "reason"),
        ("/api/queries/", '{"record": 1, "text": "why \\ud800"}', "text"),
        ("/api/subjects/A-001/records/", '{"form_code": "adverse_event", "values": '
         '{"bad\\ud800": 1}}', "values.bad\ufffd"),
    ],
)  # fmt: skip
def test_lone_surrogate_is_400_naming_the_field(
    subject: Subject, staff: dict, url: str, body: str, field: str
) -> None:
    c = api(staff["data_manager"] if "lock" in url or "queries" in url else staff["investigator"])
    before = FormRecord.objects.count()
    r = _raw_post(c, url, body)
    assert r.status_code == 400, r.content
    assert field in r.json()["fields"]
    assert FormRecord.objects.count() == before


def test_services_refuse_invalid_text_from_any_caller(
    subject: Subject, investigator: Any, staff: dict
) -> None:
    with pytest.raises(FormValidationError) as exc:
        services.create_record(investigator, subject, "adverse_event", {**AE, "term": BAD})
    assert "term" in exc.value.errors
    rec = services.create_record(investigator, subject, "adverse_event", AE).record
    with pytest.raises(FormValidationError) as exc:
        services.update_record(investigator, rec, {"term": "x"}, BAD, rec.version)
    assert list(exc.value.errors) == ["reason"]
    with pytest.raises(FormValidationError):
        services.raise_query(staff["monitor"], rec, "", BAD)


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="PostgreSQL refuses to store it")
def test_a_stored_lone_surrogate_breaks_no_page(
    subject: Subject, investigator: Any, staff: dict
) -> None:
    rec = services.create_record(investigator, subject, "adverse_event", AE).record
    # a row written before the boundary check existed (SQLite keeps the JSON escape)
    FormRecord.objects.filter(pk=rec.pk).update(values={**rec.values, "term": BAD})
    FormRecord.history.filter(id=rec.pk).update(values={**rec.values, "term": BAD})
    assert connection.vendor == "sqlite"
    c = api(investigator)
    for url in (
        "/api/subjects/A-001/records/",
        f"/api/records/{rec.pk}/",
        "/api/subjects/A-001/audit/",
        "/api/subjects/A-001/derived/",
        "/api/subjects/A-001/adverse-events/",
    ):
        r = c.get(url)
        assert r.status_code == 200, url
        assert "bad\ufffdx" in json.dumps(r.json(), ensure_ascii=False)
    assert api(staff["statistician"]).get("/api/datasets/adverse_events/").status_code == 200
    web = Client()
    web.force_login(investigator)
    for url in ("/", "/subjects/", "/subjects/A-001/", f"/records/{rec.pk}/",
                "/subjects/A-001/audit/"):  # fmt: skip
        r = web.get(url)
        assert r.status_code == 200, url
    assert "bad\ufffdx" in web.get(f"/records/{rec.pk}/").content.decode()


# =========================================================================== defect 2
@pytest.fixture
def axes_on(settings: Any) -> Any:
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    return settings


def test_wrong_signature_passwords_lock_signing_and_login(
    axes_on: Any, subject: Subject, investigator: Any
) -> None:
    services.create_record(investigator, subject, "haematology", HAEM, "C1D15")
    c = api(investigator)
    for _ in range(2):
        r = c.post("/api/subjects/A-001/sign/", {"password": "guess"}, format="json")
        assert r.status_code == 403
    r = c.post("/api/subjects/A-001/sign/", {"password": "guess"}, format="json")
    assert r.status_code == 429 and int(r["Retry-After"]) > 0, r.content
    # now even the right password is refused, and so is a login from this client
    r = c.post("/api/subjects/A-001/sign/", {"password": PASSWORD}, format="json")
    assert r.status_code == 429
    assert subject.signatures.count() == 0
    web = Client()
    r = web.post("/login/", {"username": "investigator_a", "password": PASSWORD})
    assert r.status_code in (403, 429) and "_auth_user_id" not in web.session
    # counted by axes and written to the casebook's audit trail
    assert AccessAttempt.objects.get(username="investigator_a").failures_since_start >= 3
    failures = SignatureFailure.objects.filter(subject=subject)
    assert failures.count() == 3 and failures.last().locked_out
    trail = [e for e in audit.subject_history(subject) if e.model == "signaturefailure"]
    assert len(trail) == 3
    assert trail[0].user == "investigator_a" and "wrong password" in trail[0].reason


def test_signature_failure_from_the_web_page_is_recorded(
    axes_on: Any, subject: Subject, investigator: Any
) -> None:
    web = Client()
    web.force_login(investigator)
    r = web.post("/subjects/A-001/sign/", {"password": "guess"})
    assert r.status_code == 302
    assert SignatureFailure.objects.filter(subject=subject, user=investigator).count() == 1
    assert AccessAttempt.objects.get(username="investigator_a").failures_since_start == 1
    override = {"override_reason": "interim signature at the DSMB cut-off"}
    r = web.post("/subjects/A-001/sign/", {"password": PASSWORD, **override})
    assert subject.signatures.count() == 1


# =========================================================================== defect 3
def test_long_reason_is_stored_whole_or_refused(subject: Subject, investigator: Any) -> None:
    rec = services.create_record(investigator, subject, "adverse_event", AE).record
    c = api(investigator)
    reason = "corrected after source review: " + "x" * (services.MAX_REASON_LENGTH - 40)
    r = c.patch(
        f"/api/records/{rec.pk}/",
        {"values": {"term": "Lung infection"}, "reason": reason, "version": 1},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert rec.history.first().history_change_reason == reason
    entries = [e for e in audit.subject_history(subject) if e.reason == reason]
    assert len(entries) == 1
    too_long = "y" * (services.MAX_REASON_LENGTH + 1)
    r = c.patch(
        f"/api/records/{rec.pk}/",
        {"values": {"term": "Sepsis"}, "reason": too_long, "version": 2},
        format="json",
    )
    assert r.status_code == 400 and "reason" in r.json()["fields"]
    with pytest.raises(FormValidationError):
        services.update_record(investigator, rec, {"term": "Sepsis"}, too_long, 2)
    rec.refresh_from_db()
    assert rec.values["term"] == "Lung infection" and rec.version == 2


def test_numeric_reason_is_not_text(subject: Subject, investigator: Any) -> None:
    rec = services.create_record(investigator, subject, "adverse_event", AE).record
    r = api(investigator).patch(
        f"/api/records/{rec.pk}/",
        {"values": {"term": "Lung infection"}, "reason": 0, "version": 1},
        format="json",
    )
    assert r.status_code == 400 and "reason" in r.json()["fields"]


# =========================================================================== defect 5
@pytest.mark.parametrize("raw", ["²", "١", "1²", "-1", "0", "1.0", " 1", "9" * 10])
def test_unicode_digits_are_a_400_not_a_500(subject: Subject, investigator: Any, raw: str) -> None:
    c = api(investigator)
    r = c.get("/api/forms/haematology/", {"version": raw})
    assert r.status_code == 400 and "version" in r.json()["fields"]
    web = Client()
    web.force_login(investigator)
    r = web.post("/forms/haematology/check/", {"_form_version": raw})
    assert r.status_code == 400 and "_form_version" in r.json()["errors"]
    rec = services.create_record(investigator, subject, "adverse_event", AE).record
    r = web.post(f"/records/{rec.pk}/withdraw/", {"reason": "entered twice", "version": raw})
    assert r.status_code == 302
    rec.refresh_from_db()
    assert not rec.withdrawn


def test_ascii_version_still_works(subject: Subject, investigator: Any) -> None:
    assert api(investigator).get("/api/forms/haematology/", {"version": "1"}).status_code == 200


# =========================================================================== defect 7
def test_cohort_unlock_checks_permission_first_and_knows_cohorts(
    enrol: Any, investigator: Any, staff: dict
) -> None:
    enrol("overt")
    dm = api(staff["data_manager"])
    body = {"override_reason": "incomplete: interim"}
    assert dm.post("/api/cohorts/overt/lock/", body, format="json").status_code == 200
    for role in ("investigator", "study_nurse", "monitor", "statistician", "dsmb"):
        r = api(staff[role]).post("/api/cohorts/overt/unlock/", {"reason": "x"}, format="json")
        assert r.status_code == 403, role
        r = api(staff[role]).post("/api/cohorts/nosuch/unlock/", {"reason": "x"}, format="json")
        assert r.status_code == 403, role
    r = dm.post("/api/cohorts/nosuch/unlock/", {"reason": "x"}, format="json")
    assert r.status_code == 404
    assert Lock.objects.filter(unlocked_at__isnull=True).count() == 1
    r = dm.post("/api/cohorts/overt/unlock/", {"reason": "reopened for query"}, format="json")
    assert r.status_code == 200 and r.json()["unlocked"] == ["A-001"]
