"""The completeness check before a signature or a lock (issue 12, defect 3): each finding, the
override with its reason in the audit trail, the API's 409, and read-only locked pages."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from nakip.edc import audit, completeness, services
from nakip.edc.exceptions import EDCPermissionDenied, IncompleteCasebookError
from nakip.edc.models import FormRecord, Subject
from tests.edc.conftest import DAY1, PASSWORD

pytestmark = pytest.mark.django_db

HAEM = {
    "sample_date": "2026-01-12",
    "anc": 0.3,
    "platelets": 25,
    "haemoglobin": 8.2,
    "pb_blasts_pct": 4,
}
LATE = DAY1 + timedelta(days=400)


def _kinds(subject: Subject, action: completeness.Action, today: Any = LATE) -> dict[str, str]:
    return {f.kind: f.message for f in completeness.check_casebook(subject, action, today)}


def _web(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_overdue_visits_are_listed(subject: Subject) -> None:
    kinds = _kinds(subject, "sign")
    assert "overdue_visits" in kinds and "C1D1" in kinds["overdue_visits"]
    assert re.fullmatch(r"\d+ overdue visits with nothing entered: C1D1, C1D8(, \w+)*",
                        kinds["overdue_visits"]), kinds["overdue_visits"]  # fmt: skip
    assert "overdue" not in " ".join(_kinds(subject, "sign", DAY1).values())  # on day 1: none


def test_a_begun_visit_lists_its_missing_forms(staff: dict, subject: Subject) -> None:
    services.create_record(staff["investigator"], subject, "haematology", HAEM, "C1D1")
    kinds = _kinds(subject, "sign")
    assert kinds["missing_forms"].startswith("missing forms: C1D1: ")
    head, listed = kinds["overdue_visits"].split(": ", 1)
    assert head.endswith("overdue visits with nothing entered")  # says why C1D1 is not here
    overdue = listed.split(", ")
    assert "C1D1" not in overdue and "C1D8" in overdue  # C1D1 listed once, as missing forms


def test_facts_the_page_has_counted_are_not_looked_up_again(
    subject: Subject, django_assert_num_queries: Any
) -> None:
    """The casebook passes its query count and signature: the check uses them, not the DB."""
    states = services.subject_visits(subject, LATE)
    with django_assert_num_queries(2):  # end-of-study form and unverified records only
        found = completeness.check_casebook(
            subject, "lock", LATE, visits=states, unresolved=2, signed=True
        )
    kinds = {f.kind: f.message for f in found}
    assert kinds["open_queries"] == "2 unresolved queries" and "unsigned_changes" not in kinds
    looked_up = _kinds(subject, "lock")
    assert "open_queries" not in looked_up and "unsigned_changes" in looked_up


def test_open_queries_block(staff: dict, subject: Subject) -> None:
    rec = services.create_record(staff["investigator"], subject, "haematology", HAEM, "C1D1")
    services.raise_query(staff["monitor"], rec.record, "anc", "check")
    assert "unresolved quer" in _kinds(subject, "sign")["open_queries"]


def test_lock_needs_end_of_study_signature_and_sdv(staff: dict, subject: Subject) -> None:
    rec = services.create_record(staff["investigator"], subject, "haematology", HAEM, "C1D1")
    lock = _kinds(subject, "lock")
    assert "end of study form" in lock["missing_forms"]
    assert lock["unverified_source_data"] == "1 record without source data verification"
    assert "unsigned_changes" in lock
    sign = _kinds(subject, "sign")
    assert "unsigned_changes" not in sign and "unverified_source_data" not in sign
    services.mark_sdv(staff["monitor"], rec.record)
    services.sign_casebook(staff["investigator"], subject, PASSWORD)
    lock = _kinds(subject, "lock")
    assert "unverified_source_data" not in lock and "unsigned_changes" not in lock


def test_refused_without_override_then_override_is_audited(staff: dict, subject: Subject) -> None:
    dm = staff["data_manager"]
    with pytest.raises(IncompleteCasebookError) as exc:
        completeness.require_complete(dm, subject, "lock")
    assert any("overdue visit" in f for f in exc.value.findings)
    with pytest.raises(EDCPermissionDenied):  # only the data manager may override a lock
        completeness.require_complete(staff["investigator"], subject, "lock", "in a hurry")
    r = _web(dm).post(f"/subjects/{subject.subject_number}/lock/", {"reason": "interim"})
    assert r.status_code == 302 and not subject.is_locked
    page = _web(dm).get(f"/subjects/{subject.subject_number}/").content.decode()
    assert 'id="lock-check"' in page and "Completeness check" in page
    assert "without source data verification" not in page  # no records: nothing to verify
    assert "end of study form" in page
    body = {"reason": "interim", "override_reason": "DSMB interim analysis"}
    _web(dm).post(f"/subjects/{subject.subject_number}/lock/", body)
    assert subject.is_locked
    reasons = " ".join(e.reason for e in audit.subject_history(subject))
    assert "completeness override: DSMB interim analysis (findings: " in reasons


def test_api_answers_409_with_the_findings(staff: dict, subject: Subject) -> None:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {services.api_token(None, staff['data_manager'])}")
    r = c.post(f"/api/subjects/{subject.subject_number}/lock/", {}, format="json")
    assert r.status_code == 409 and "missing forms: end of study form" in r.json()["findings"]
    r = c.post(
        f"/api/subjects/{subject.subject_number}/lock/",
        {"override_reason": "interim"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["locked"] is True


def test_locked_subject_edit_pages_are_read_only(staff: dict, subject: Subject) -> None:
    inv = staff["investigator"]
    rec = services.create_record(inv, subject, "haematology", HAEM, "C1D1").record
    for q in services.unresolved_queries(subject):  # the automatic one
        services.close_query(staff["monitor"], q)
    services.lock_subject(staff["data_manager"], subject, "final")
    web = _web(inv)
    n = subject.subject_number
    for url in (
        f"/records/{rec.pk}/edit/",
        f"/subjects/{n}/forms/haematology/new/?visit=C1D8",
        f"/screening/{subject.screening.screening_number}/edit/",
    ):
        r = web.get(url)
        page = r.content.decode()
        assert r.status_code == 200, url
        assert "is locked" in page and "read-only" in page, url
        assert 'id="read-only"' in page and 'name="_reason"' not in page, url
        assert "Save</button>" not in page, url
    r = web.post(f"/records/{rec.pk}/edit/", {"anc": "1", "_reason": "x", "_version": "1"})
    assert r.status_code == 409 and b"is locked" in r.content
    rec.refresh_from_db()
    assert rec.version == 1 and FormRecord.objects.count() == 1


def test_cohort_lock_checks_every_casebook(staff: dict, enrol: Any) -> None:
    """Issue 12 §7b: a cohort lock runs the lock's completeness check on each subject it would
    lock; any incomplete casebook refuses the whole cohort (listing each one) unless the data
    manager gives an override reason, which each lock's audit trail keeps."""
    dm = staff["data_manager"]
    a, b = enrol("overt"), enrol("overt")

    def check(subjects: Any) -> dict[int, str]:
        return completeness.require_complete_cohort(dm, subjects)

    with pytest.raises(IncompleteCasebookError) as exc:
        services.lock_cohort(dm, "overt", "interim", precondition=check)
    assert [f.split(": ")[0] for f in exc.value.findings] == [a.subject_number, b.subject_number]
    assert "end of study form" in exc.value.findings[0]
    with pytest.raises(EDCPermissionDenied):  # only the data manager may override a lock
        completeness.require_complete_cohort(staff["investigator"], [a, b], "in a hurry")
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {services.api_token(None, dm)}")
    r = c.post("/api/cohorts/overt/lock/", {"reason": "interim"}, format="json")
    assert r.status_code == 409 and len(r.json()["findings"]) == 2
    r = _web(dm).post("/cohorts/overt/lock/", {"reason": "interim"})
    assert r.status_code == 302 and not a.is_locked and not b.is_locked
    body = {"reason": "interim", "override_reason": "DSMB interim analysis"}
    r = _web(dm).post("/cohorts/overt/lock/", body)
    assert a.is_locked and b.is_locked
    for s in (a, b):
        reason = s.locks.get().reason
        assert reason.startswith(
            "interim; completeness override: DSMB interim analysis (findings: "
        )
        reasons = " ".join(e.reason for e in audit.subject_history(s))
        assert "completeness override: DSMB interim analysis" in reasons
