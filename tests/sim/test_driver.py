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
    reports = sum(len(e.sae_reports) for p in trial.patients() for e in p.entries)
    assert reports == report.sae_reports > 0
    assert FormRecord.objects.count() == planned + reports == report.records + reports
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


def test_serious_events_gvhd_and_chemistry_are_filed(driven: tuple[Any, Any]) -> None:
    """SAEs go through the expedited workflow (notice, follow-up), GVHD and hepatic toxicity
    through their forms; the EDC's derivations agree with what the generator intended, the
    analysis datasets carry them (ADSAE; ADAE source "gvhd") and the DSMB report tables them."""
    from nakip.edc import sae, services
    from nakip.edc.datasets import build_trial_data
    from nakip.edc.derivations import derive_subject
    from nakip.edc.models import Subject
    from nakip.report.dsmb import build_dsmb_report

    trial, report = driven
    by_number = {n: trial.screenings[i].patient for i, n in report.subjects.items()}
    cases = sae.sae_cases(Subject.objects.all())
    assert len(cases) == sum(p.truth.serious_events for p in trial.patients()) >= 2
    for case in cases:
        assert case.criteria, case  # every serious event ticks an ICH E2A criterion
        assert case.status in ("notified", "notified late")
        assert case.hours_to_notice is not None and case.hours_to_notice > 0
        assert (case.status == "notified late") == (case.hours_to_notice > 24)
    assert sum(c.follow_ups for c in cases) == sum(
        r["report_type"] == "follow_up" for p in trial.patients() for e in p.entries
        for r in e.sae_reports
    ) >= 1  # fmt: skip
    gvhd_seen = alt_seen = 0
    for subject in Subject.objects.all():
        truth = by_number[subject.subject_number].truth
        dv = derive_subject(subject)
        grades = [r.grade for r in dv.derived_dlts if r.source == "gvhd"]
        assert max(grades, default=0) == truth.gvhd_grade, subject.subject_number
        gvhd_seen += truth.gvhd_grade > 0
        chem = {(g.sample_date, g.field): g.grade for g in dv.chemistry_grades}
        for rec in services.records(subject, form_code="adverse_event"):
            v = rec.values
            if v["term"] == "Alanine aminotransferase increased":
                onset = date.fromisoformat(v["onset_date"])
                assert chem[(onset, "alt")] == v["ctcae_grade"]  # the AE grade is the lab's
                alt_seen += 1
        forms = {r.form_code for r in services.records(subject)}
        assert {"chemistry", "eln_risk", "concomitant_medication"} <= forms
        if dv.first_nk_date is not None:
            assert {"lymphodepletion", "donor", "il2", "gvhd"} <= forms or truth.off_study
    assert gvhd_seen >= 1 and alt_seen >= 1  # seed 2026 plants both (checked when written)
    truth = [p.truth for p in trial.patients()]  # the datasets and the DSMB report show it all
    data = build_trial_data(cutoff=CUT)
    assert len(data.adsae) == sum(t.serious_events for t in truth)
    assert set(data.adsae["notice_status"]) <= {"notified", "notified late"}
    assert all(data.adsae["criteria"].str.len() > 0)
    gvhd = data.adae[data.adae["source"] == "gvhd"]
    worst = sorted(gvhd.groupby("usubjid")["grade"].max().tolist())
    assert worst == sorted(t.gvhd_grade for t in truth if t.gvhd_grade)
    safety = build_dsmb_report(data, services.get_protocol()).section("safety")
    everyone = safety.table("gvhd").rows[-1]
    assert everyone[0] == "all" and everyone[5].startswith(str(len(worst)))
    summary = safety.table("sae-reporting").rows[-1]
    assert summary[:2] == ("all", str(len(data.adsae)))
    assert safety.table("listing-sae").total == len(data.adsae)


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
