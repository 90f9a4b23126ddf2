"""A small virtual trial driven through the EDC services: subjects enrolled, records entered,
derived responses consistent with the generator's truth, audit history and closed queries."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from nakip.sim.driver import new_password, run_trial
from nakip.sim.patients import TYPO_REASON, Scenario, generate_trial
from nakip.sim.results import summarize

CUT = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def driven(db: None) -> tuple[Any, Any]:
    trial = generate_trial(Scenario(patients_per_cohort=3, seed=2026), CUT)
    return trial, run_trial(trial)


def test_subjects_records_and_truth(driven: tuple[Any, Any]) -> None:
    from nakip.edc.derivations import derive_subject
    from nakip.edc.models import FormRecord, ScreeningRecord, Subject

    trial, report = driven
    assert report.screened == len(trial.screenings) == ScreeningRecord.objects.count()
    assert Subject.objects.filter(cohort="overt").count() == 3
    assert Subject.objects.filter(cohort="mrd").count() == 3
    planned = sum(len(p.entries) for p in trial.patients())
    assert FormRecord.objects.count() == planned == report.records
    by_number = {n: trial.screenings[i] for i, n in report.subjects.items()}
    for subject in Subject.objects.all():
        case = by_number[subject.subject_number]
        truth = case.patient.truth
        dv = derive_subject(subject)
        assert dv.problems == ()
        assert subject.cohort == case.intended_cohort
        assert subject.enrolment_date == case.patient.enrolment_date
        assert bool(dv.responder) == truth.responder, subject.subject_number
        assert (dv.responder is not None) == truth.evaluable
        if subject.cohort == "overt":
            assert dv.best_response == truth.best_response
        else:
            assert dv.mrd_responder == truth.mrd_responder
        assert dv.has_dlt == truth.dlt
        assert dv.dlt_window_start == truth.dlt_window_start
        assert bool(dv.feasibility_failure) == truth.feasibility_failure
        assert dv.death_date == truth.death_date


def test_audit_trail_queries_signatures_locks(driven: tuple[Any, Any]) -> None:
    from nakip.edc import services
    from nakip.edc.audit import subject_history
    from nakip.edc.models import FormRecord, Lock, Query, QueryStatus, Subject

    _, report = driven
    assert FormRecord.history.count() >= FormRecord.objects.count()
    # every record was written through the services by a named user: its creation is audited
    created = FormRecord.history.filter(history_type="+")
    assert set(created.values_list("id", flat=True)) == set(
        FormRecord.objects.values_list("id", flat=True)
    )
    assert not created.filter(history_user__isnull=True).exists()
    reasons = set()
    for subject in Subject.objects.all():
        entries = subject_history(subject)
        assert entries and {e.action for e in entries} >= {"created"}
        reasons |= {e.reason for e in entries if e.action == "changed"}
        assert services.current_signature(subject) is not None
    assert TYPO_REASON in reasons  # the corrected transcription error, with its reason
    assert report.corrections >= 1 and report.automatic_queries >= 1
    assert Query.objects.exclude(status=QueryStatus.CLOSED).count() == 0
    manual = Query.objects.filter(check_code="")
    assert manual.count() == report.manual_queries >= 2
    assert all(q.answer and q.raised_by is not None for q in manual)
    off_study = [
        s for s in Subject.objects.all() if services.records(s, form_code="end_of_study").exists()
    ]
    assert Lock.objects.count() == len(off_study) == report.locks


def test_results_match_the_entered_data(driven: tuple[Any, Any]) -> None:
    trial, _ = driven
    res = summarize(data_cut=CUT)
    assert res.consort.screened == len(trial.screenings)
    assert res.consort.enrolled == 6
    overview = res.safety.overview.set_index("cohort")
    for code in ("overt", "mrd"):
        truth = [p.truth for p in trial.patients(code)]
        assert res.consort.cohorts[code].enrolled == 3
        eff = res.efficacy.cohorts[code]
        assert eff.primary.rate.x == sum(t.responder for t in truth)
        assert eff.evaluable == sum(t.evaluable for t in truth)
        assert overview.loc[code, "dlt"] == sum(t.dlt for t in truth)
        assert sum(eff.best_response.values()) == 3
        assert res.monitoring.simon[code].stage1_decision == "pending"  # 3 of the 9 in stage 1
        assert res.monitoring.simon[code].final_decision == "pending"


def test_new_passwords_are_random_and_valid(db: None) -> None:
    from django.contrib.auth.password_validation import validate_password

    a, b = new_password(), new_password()
    assert a != b
    validate_password(a)
