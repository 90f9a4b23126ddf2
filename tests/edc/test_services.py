"""Services: screening, enrolment, records, edit checks on save, optimistic locking, queries,
signature and locks. Expected values follow the protocol file and the assignment's rules."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from nakip.edc import services
from nakip.edc.exceptions import (
    FormValidationError,
    InvalidPasswordError,
    InvalidStateError,
    LockedError,
    NotEligibleError,
    OpenQueriesError,
    ReasonRequiredError,
    StaleRecordError,
)
from nakip.edc.models import FormRecord, Lock, Query, ScreeningRecord, Subject
from nakip.edc.services import form_records, screening

from .conftest import CONSENT, DAY1, PASSWORD, screening_values

HAEM = {"sample_date": "2026-01-12", "anc": 0.8, "platelets": 40, "haemoglobin": 9.1,
        "pb_blasts_pct": 2}  # fmt: skip


# --------------------------------------------------------------------------- screening
def test_screening_stores_eligibility_criterion_by_criterion(site_a, investigator) -> None:
    scr = services.create_screening(investigator, site_a, CONSENT, screening_values("overt"))
    assert scr.eligibility_status == "eligible"
    assert scr.eligibility_cohort == "overt"
    ids = [c["id"] for c in scr.eligibility["criteria"]]
    assert ids[:2] == ["IN1", "IN2"] and "EX9" in ids
    assert scr.screening_number == "S01-S001"


def test_partial_screening_is_undetermined(site_a, investigator) -> None:
    scr = services.create_screening(
        investigator, site_a, CONSENT, screening_values("overt", ecog=None)
    )
    assert scr.eligibility_status == "undetermined"
    assert "ecog" in scr.eligibility["missing_fields"]
    with pytest.raises(NotEligibleError):
        services.enrol_subject(investigator, scr, DAY1)


def test_screen_failure_keeps_reasons(site_a, investigator) -> None:
    scr = services.create_screening(
        investigator, site_a, CONSENT, screening_values("overt", age_years=17)
    )
    assert scr.eligibility_status == "not_eligible"
    with pytest.raises(NotEligibleError) as exc:
        services.enrol_subject(investigator, scr, DAY1)
    assert exc.value.reasons
    failed = services.record_screen_failure(investigator, scr)
    assert failed.outcome == "screen_failed"
    assert any("age" in r.lower() or "18" in r for r in failed.screen_failure_reasons)
    with pytest.raises(InvalidStateError):
        services.enrol_subject(investigator, scr, DAY1)


def test_eligible_screen_failure_needs_a_reason(site_a, investigator) -> None:
    scr = services.create_screening(investigator, site_a, CONSENT, screening_values("overt"))
    with pytest.raises(FormValidationError) as exc:
        services.record_screen_failure(investigator, scr)
    assert "reasons" in exc.value.errors
    done = services.record_screen_failure(investigator, scr, ["consent withdrawn"])
    assert done.screen_failure_reasons == ["consent withdrawn"]


def test_subject_numbers_per_cohort(enrol) -> None:
    numbers = [enrol(c).subject_number for c in ("overt", "mrd", "overt", "mrd", "overt")]
    assert numbers == ["A-001", "B-001", "A-002", "B-002", "A-003"]


def test_screening_hard_errors_per_field(site_a, investigator) -> None:
    values = screening_values("overt", ecog=7, age_years="old", bogus=1)
    with pytest.raises(FormValidationError) as exc:
        services.create_screening(investigator, site_a, CONSENT, values)
    assert set(exc.value.errors) == {"ecog", "age_years", "bogus"}
    assert not ScreeningRecord.objects.exists()


def test_enrolment_date_checks(site_a, investigator) -> None:
    scr = services.create_screening(investigator, site_a, CONSENT, screening_values("mrd"))
    with pytest.raises(FormValidationError) as exc:
        services.enrol_subject(investigator, scr, CONSENT - timedelta(days=1))
    assert "enrolment_date" in exc.value.errors
    with pytest.raises(FormValidationError):  # screening window 28 days
        services.enrol_subject(investigator, scr, CONSENT + timedelta(days=29))
    s = services.enrol_subject(investigator, scr, CONSENT + timedelta(days=28))
    assert s.cohort == "mrd" and s.subject_number == "B-001"


# --------------------------------------------------------------------------- records
def test_create_record_and_edit_checks(subject, investigator) -> None:
    res = services.create_record(investigator, subject, "haematology", HAEM, "C1D1")
    assert res.record.values["anc"] == 0.8 and res.record.version == 1
    bad = {**HAEM, "anc": -1, "platelets": "many", "haemoglobin": None, "extra": 3}
    with pytest.raises(FormValidationError) as exc:
        services.create_record(investigator, subject, "haematology", bad, "C1D8")
    assert set(exc.value.errors) == {"anc", "platelets", "haemoglobin", "extra"}
    assert exc.value.errors["haemoglobin"] == ["this field is required"]


def test_visit_must_carry_the_form(subject, investigator) -> None:
    with pytest.raises(FormValidationError) as exc:
        services.create_record(investigator, subject, "marrow", {}, "C1D8")
    assert "visit_code" in exc.value.errors
    with pytest.raises(FormValidationError):
        services.create_record(investigator, subject, "haematology", HAEM, "")
    with pytest.raises(FormValidationError):
        services.create_record(investigator, subject, "haematology", HAEM, "C9D9")


def test_duplicate_non_repeating_form_refused(subject, investigator) -> None:
    services.create_record(investigator, subject, "haematology", HAEM, "C1D1")
    with pytest.raises(InvalidStateError):
        services.create_record(investigator, subject, "haematology", HAEM, "C1D1")
    ae = {"term": "Nausea", "ctcae_grade": 1, "onset_date": "2026-01-14", "serious": False,
          "attribution_talazoparib": "possible", "attribution_nk": "unrelated",
          "category": "nonhematologic", "outcome": "recovered"}  # fmt: skip
    services.create_record(investigator, subject, "adverse_event", ae)
    services.create_record(investigator, subject, "adverse_event", ae)  # repeating
    assert FormRecord.objects.filter(form_code="adverse_event").count() == 2


def test_required_if_and_not_before(subject, investigator) -> None:
    ae = {"term": "Fatigue", "ctcae_grade": 2, "onset_date": "2026-01-20",
          "resolution_date": "2026-01-19", "serious": False,
          "attribution_talazoparib": "possible", "attribution_nk": "unlikely",
          "category": "nonhematologic", "outcome": "recovered"}  # fmt: skip
    with pytest.raises(FormValidationError) as exc:
        services.create_record(investigator, subject, "adverse_event", ae)
    assert list(exc.value.errors) == ["resolution_date"]
    marrow = {"aspirate_date": "2026-01-12", "evaluable": True}
    with pytest.raises(FormValidationError) as exc:
        services.create_record(investigator, subject, "marrow", marrow, "C1D1")
    assert exc.value.errors == {"bm_blasts_pct": ["required when Aspirate evaluable is yes"]}
    services.create_record(investigator, subject, "marrow", {**marrow, "evaluable": False}, "C1D1")


def test_no_date_before_consent_nor_after_death(subject, investigator) -> None:
    early = {**HAEM, "sample_date": (CONSENT - timedelta(days=1)).isoformat()}
    with pytest.raises(FormValidationError) as exc:
        services.create_record(investigator, subject, "haematology", early, "C1D1")
    assert "before informed consent" in exc.value.errors["sample_date"][0]
    services.create_record(
        investigator,
        subject,
        "end_of_study",
        {"end_date": "2026-03-01", "reason": "death", "death_date": "2026-02-20"},
    )
    late = {**HAEM, "sample_date": "2026-02-21"}
    with pytest.raises(FormValidationError) as exc:
        services.create_record(investigator, subject, "haematology", late, "C2D1")
    assert "after the subject's death" in exc.value.errors["sample_date"][0]
    on_death_day = {**HAEM, "sample_date": "2026-02-20"}
    services.create_record(investigator, subject, "haematology", on_death_day, "C2D1")


def test_update_needs_reason_and_current_version(subject, investigator, staff) -> None:
    rec = services.create_record(investigator, subject, "haematology", HAEM, "C1D1").record
    with pytest.raises(ReasonRequiredError):
        services.update_record(investigator, rec, {**HAEM, "anc": 0.9}, "  ", 1)
    nurse = staff["study_nurse"]
    r2 = services.update_record(nurse, rec, {"anc": 0.9}, "transcription error", 1, partial=True)
    assert r2.record.version == 2 and r2.record.values["anc"] == 0.9
    assert r2.record.values["platelets"] == 40  # partial update kept the rest
    with pytest.raises(StaleRecordError) as exc:  # someone still holding version 1
        services.update_record(investigator, rec, {"anc": 1.0}, "typo", 1, partial=True)
    assert (exc.value.expected, exc.value.actual) == (1, 2)
    assert FormRecord.objects.get(pk=rec.pk).values["anc"] == 0.9


def test_withdraw_marks_never_deletes(subject, investigator) -> None:
    rec = services.create_record(investigator, subject, "haematology", HAEM, "C1D1").record
    with pytest.raises(ReasonRequiredError):
        services.withdraw_record(investigator, rec, "")
    services.withdraw_record(investigator, rec, "entered for the wrong patient", 1)
    rec.refresh_from_db()
    assert rec.withdrawn and FormRecord.objects.filter(pk=rec.pk).exists()
    assert not services.records(subject).exists()
    with pytest.raises(InvalidStateError):
        services.update_record(investigator, rec, HAEM, "again", rec.version)
    # the slot is free again for a correct entry
    services.create_record(investigator, subject, "haematology", HAEM, "C1D1")


# --------------------------------------------------------------------------- soft checks
def test_soft_range_opens_query_and_resolves(subject, investigator) -> None:
    high = {**HAEM, "anc": 60}  # soft_max 50, max 100
    res = services.create_record(investigator, subject, "haematology", high, "C1D8")
    assert [q.field_name for q in res.opened_queries] == ["anc"]
    q = res.opened_queries[0]
    assert q.check_code == "soft_max:anc" and q.status == "open" and q.raised_by is None
    # saving again with the same value does not duplicate the query
    again = services.update_record(investigator, res.record, {"platelets": 41}, "fix", 1, True)
    assert again.opened_queries == ()
    services.update_record(investigator, res.record, {"anc": 6.0}, "unit error", 2, True)
    q.refresh_from_db()
    assert q.status == "closed" and "automatically" in q.close_note


def test_cross_form_marrow_missing(subject, investigator) -> None:
    res = services.create_record(investigator, subject, "haematology", HAEM, "C2D1")
    codes = [q.check_code for q in res.opened_queries]
    assert codes == ["cross:marrow_missing"]
    marrow = {"aspirate_date": "2026-02-09", "evaluable": True, "bm_blasts_pct": 3}
    services.create_record(investigator, subject, "marrow", marrow, "C2D1")
    q = Query.objects.get(check_code="cross:marrow_missing")
    assert q.status == "closed"


def test_counts_at_non_assessment_visit_raise_nothing(subject, investigator) -> None:
    res = services.create_record(investigator, subject, "haematology", HAEM, "C1D15")
    assert res.opened_queries == ()


# --------------------------------------------------------------------------- queries
def test_query_lifecycle(subject, staff) -> None:
    rec = services.create_record(staff["study_nurse"], subject, "haematology", HAEM, "C1D1")
    q = services.raise_query(staff["monitor"], rec.record, "anc", "Please check against source")
    assert q.status == "open"
    with pytest.raises(InvalidStateError):
        services.reopen_query(staff["monitor"], q, "x")
    q = services.answer_query(staff["study_nurse"], q, "Checked: correct")
    assert q.status == "answered" and q.answered_by == staff["study_nurse"]
    with pytest.raises(InvalidStateError):
        services.answer_query(staff["study_nurse"], q, "again")
    q = services.close_query(staff["monitor"], q, "ok")
    assert q.status == "closed" and q.closed_by == staff["monitor"]
    with pytest.raises(InvalidStateError):
        services.close_query(staff["data_manager"], q)
    q = services.reopen_query(staff["data_manager"], q, "Source shows 0.7")
    assert q.status == "open"
    statuses = [h.status for h in q.history.order_by("history_date", "history_id")]
    assert statuses == ["open", "answered", "closed", "open"]


def test_query_on_unknown_field_refused(subject, staff) -> None:
    rec = services.create_record(staff["study_nurse"], subject, "haematology", HAEM, "C1D1")
    with pytest.raises(FormValidationError):
        services.raise_query(staff["monitor"], rec.record, "nonsense", "?")
    with pytest.raises(FormValidationError):
        services.raise_query(staff["monitor"], rec.record, "anc", "   ")


# --------------------------------------------------------------------------- signature, lock
def test_signature_checks_password(subject, investigator) -> None:
    rec = services.create_record(investigator, subject, "haematology", HAEM, "C1D1").record
    with pytest.raises(InvalidPasswordError):
        services.sign_casebook(investigator, subject, "wrong password")
    assert services.current_signature(subject) is None
    sig = services.sign_casebook(investigator, subject, PASSWORD)
    assert services.current_signature(subject) == sig
    rec.refresh_from_db()
    assert rec.status == "signed"
    services.update_record(investigator, rec, {"anc": 0.81}, "correction", rec.version, True)
    sig.refresh_from_db()
    assert sig.invalidated_at is not None and services.current_signature(subject) is None
    rec.refresh_from_db()
    assert rec.status == "entered"


def _every_write_refused(subject: Subject, rec: FormRecord, staff: dict[str, Any]) -> None:
    inv, dm = staff["investigator"], staff["data_manager"]
    attempts = [
        lambda: services.create_record(inv, subject, "haematology", HAEM, "C1D15"),
        lambda: services.update_record(inv, rec, {"anc": 1}, "x", rec.version, True),
        lambda: services.withdraw_record(inv, rec, "x"),
        lambda: services.raise_query(dm, rec, "anc", "?"),
        lambda: services.sign_casebook(inv, subject, PASSWORD),
        lambda: services.mark_visit_missed(inv, subject, "C1D15", "x"),
        lambda: services.mark_sdv(staff["monitor"], rec),
        lambda: services.update_screening(
            inv, subject.screening, {"ecog": 0}, "x", subject.screening.version, partial=True
        ),
    ]
    for attempt in attempts:
        with pytest.raises(LockedError):
            attempt()


def test_lock_refused_with_open_queries_then_read_only(subject, staff) -> None:
    inv, dm = staff["investigator"], staff["data_manager"]
    rec = services.create_record(inv, subject, "haematology", HAEM, "C1D8").record
    q = services.raise_query(dm, rec, "anc", "check")
    with pytest.raises(OpenQueriesError):
        services.lock_subject(dm, subject)
    services.answer_query(inv, q, "fine")
    with pytest.raises(OpenQueriesError):  # answered is not resolved
        services.lock_subject(dm, subject)
    services.close_query(dm, q)
    lock = services.lock_subject(dm, subject, "database lock")
    assert subject.is_locked and lock.locked_by == dm
    rec.refresh_from_db()
    assert rec.status == "locked"
    _every_write_refused(subject, rec, staff)
    with pytest.raises(ReasonRequiredError):
        services.unlock_subject(dm, subject, "")
    services.unlock_subject(dm, subject, "late lab correction")
    assert not subject.is_locked
    rec.refresh_from_db()
    assert rec.status == "entered"
    services.update_record(inv, rec, {"anc": 0.7}, "late lab correction", rec.version, True)


def test_cohort_lock_is_all_or_nothing(enrol, staff) -> None:
    a1, a2, b1 = enrol("overt"), enrol("overt"), enrol("mrd")
    inv, dm = staff["investigator"], staff["data_manager"]
    rec = services.create_record(inv, a2, "haematology", HAEM, "C1D8").record
    services.raise_query(dm, rec, "anc", "check")
    with pytest.raises(OpenQueriesError, match="A-002"):
        services.lock_cohort(dm, "overt")
    assert not Lock.objects.exists()
    services.close_query(dm, rec.queries.get())
    locks = services.lock_cohort(dm, "overt")
    assert sorted(lk.subject.subject_number for lk in locks) == ["A-001", "A-002"]
    assert a1.is_locked and a2.is_locked and not b1.is_locked
    assert {lk.cohort for lk in locks} == {"overt"}


# --------------------------------------------------------------------------- atomicity
def test_failure_after_first_write_rolls_back(subject, investigator, monkeypatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> list:
        raise RuntimeError("simulated crash after the record was written")

    monkeypatch.setattr(form_records, "sync_cross_form_queries", boom)
    with pytest.raises(RuntimeError):
        services.create_record(investigator, subject, "haematology", {**HAEM, "anc": 60}, "C1D1")
    assert not FormRecord.objects.exists()
    assert not FormRecord.history.exists()
    assert not Query.objects.exists()


def test_enrolment_failure_rolls_back_number(site_a, investigator, monkeypatch) -> None:
    scr = services.create_screening(investigator, site_a, CONSENT, screening_values("overt"))
    real_save = screening.audited_save

    def failing(obj: Any, user: Any, reason: str) -> None:
        real_save(obj, user, reason)
        if isinstance(obj, ScreeningRecord) and reason.startswith("enrolled"):
            raise RuntimeError("crash after the subject row")

    monkeypatch.setattr(screening, "audited_save", failing)
    with pytest.raises(RuntimeError):
        services.enrol_subject(investigator, scr, DAY1)
    monkeypatch.undo()
    assert not Subject.objects.exists()
    scr.refresh_from_db()
    assert scr.outcome == "screening"
    assert services.enrol_subject(investigator, scr, DAY1).subject_number == "A-001"


def test_missed_visit(subject, investigator) -> None:
    with pytest.raises(ReasonRequiredError):
        services.mark_visit_missed(investigator, subject, "C1D15", "")
    services.mark_visit_missed(investigator, subject, "C1D15", "patient in hospital elsewhere")
    states = {v.visit.code: v for v in services.subject_visits(subject, date(2026, 3, 1))}
    assert states["C1D15"].status == "missed"
    assert states["C1D15"].missed_reason == "patient in hospital elsewhere"
    with pytest.raises(InvalidStateError):
        services.create_record(investigator, subject, "haematology", HAEM, "C1D15")
    services.unmark_visit_missed(investigator, subject, "C1D15", "marked by mistake")
    states = {v.visit.code: v for v in services.subject_visits(subject, date(2026, 3, 1))}
    assert states["C1D15"].status == "overdue"


def test_screening_correction_after_enrolment_opens_query(subject, investigator) -> None:
    scr = subject.screening
    services.sign_casebook(investigator, subject, PASSWORD)
    with pytest.raises(ReasonRequiredError):
        services.update_screening(investigator, scr, {"ecog": 1}, "", scr.version, partial=True)
    updated = services.update_screening(
        investigator, scr, {"ecog": 3}, "source shows ECOG 3", scr.version, partial=True
    )
    assert updated.eligibility_status == "not_eligible"
    assert Subject.objects.get(pk=subject.pk).cohort == "overt"  # enrolment stands
    q = Query.objects.get(screening=scr)
    assert q.check_code == "eligibility_changed" and q.status == "open"
    assert services.current_signature(subject) is None
    with pytest.raises(StaleRecordError):
        services.update_screening(investigator, scr, {"ecog": 2}, "x", scr.version, partial=True)
