"""The virtual-patient generator: seeded determinism, and screening data that the protocol's
eligibility rules (nakip.clinical.eligibility) classify as the generator intended."""

from __future__ import annotations

from datetime import date

import pytest

from nakip.clinical.eligibility import evaluate_eligibility
from nakip.protocol import load_protocol
from nakip.sim.patients import MRD_FAILURES, OVERT_FAILURES, Scenario, generate_trial

CUT = date(2026, 11, 25)


def test_same_seed_same_trial_and_another_seed_another_trial() -> None:
    a = generate_trial(Scenario(patients_per_cohort=4, seed=7), CUT)
    b = generate_trial(Scenario(patients_per_cohort=4, seed=7), CUT)
    c = generate_trial(Scenario(patients_per_cohort=4, seed=8), CUT)
    assert a.to_dict() == b.to_dict()
    assert a.to_dict() != c.to_dict()


def test_data_cut_moves_dates_but_not_numbers() -> None:
    a = generate_trial(Scenario(patients_per_cohort=3, seed=5), CUT)
    b = generate_trial(Scenario(patients_per_cohort=3, seed=5), date(2030, 1, 1))
    assert b.data_cut - a.data_cut == b.start_date - a.start_date
    ta = [(p.truth.responder, p.truth.best_response, p.truth.dlt) for p in a.patients()]
    tb = [(p.truth.responder, p.truth.best_response, p.truth.dlt) for p in b.patients()]
    assert ta == tb
    # every planned date lies between the first consent and the data cut
    for case in a.screenings:
        assert a.start_date <= case.consent_date <= a.data_cut
        if case.patient:
            assert all(a.start_date <= e.entry_date <= a.data_cut for e in case.patient.entries)


def test_each_cohort_gets_the_requested_number_of_patients() -> None:
    trial = generate_trial(Scenario(patients_per_cohort=5, seed=3), CUT)
    assert len(trial.patients("overt")) == 5
    assert len(trial.patients("mrd")) == 5


def _criteria_reading(field: str) -> set[str]:
    """Ids of the protocol's criteria that read `field` (checks, applies_if or confirm_field)."""
    p = load_protocol()
    out = set()
    for c in [*p.eligibility.inclusion, *p.eligibility.exclusion]:
        fields = {x.field for x in [*c.check, *c.applies_if]} | {c.confirm_field}
        if field in fields:
            out.add(c.id)
    return out


def test_screening_data_classify_as_intended() -> None:
    cases = [
        case
        for seed in range(1, 7)
        for case in generate_trial(
            Scenario(patients_per_cohort=6, seed=seed, screen_failure_rate=0.5), CUT
        ).screenings
    ]
    seen: dict[str, set[str]] = {"eligible": set(), "failed": set()}
    for case in cases:
        result = evaluate_eligibility(dict(case.values))
        if case.failure:
            seen["failed"].add(case.intended_cohort)
        if case.intended_eligible:  # enrolled, or eligible but withdrew consent
            assert result.status == "eligible", (case.index, result.reasons)
            assert result.cohort == case.intended_cohort
            seen["eligible"].add(case.intended_cohort)
            continue
        assert result.status == "not_eligible", (case.index, case.failure)
        failed_ids = {c.id for c in result.criteria if c.status == "failed"}
        readers = _criteria_reading(case.failure_field)
        if readers:  # an inclusion/exclusion criterion on that field failed
            assert failed_ids & readers, (case.failure, failed_ids)
        else:  # a cohort entry criterion (marrow blasts, MRD rise): fits no cohort
            assert any("fits no cohort" in r for r in result.reasons)
            assert not failed_ids
    assert seen["eligible"] == {"overt", "mrd"}
    assert seen["failed"] == {"overt", "mrd"}


def test_failure_kinds_cover_entry_and_criteria() -> None:
    kinds = set()
    for seed in range(8):
        trial = generate_trial(
            Scenario(patients_per_cohort=4, seed=seed, screen_failure_rate=0.6), CUT
        )
        kinds |= {s.failure for s in trial.screenings if s.failure}
    assert {"marrow_blasts_too_high", "mrd_rise_too_small", "ecog_3"} <= kinds
    assert kinds <= set(OVERT_FAILURES) | set(MRD_FAILURES)


def test_enrolment_falls_inside_the_screening_window() -> None:
    window = load_protocol().schedule.screening_window_days
    trial = generate_trial(Scenario(patients_per_cohort=6, seed=4), CUT)
    for case in trial.screenings:
        if case.patient:
            assert 0 <= (case.patient.enrolment_date - case.consent_date).days <= window


def test_truth_is_coherent() -> None:
    trial = generate_trial(Scenario(patients_per_cohort=10, seed=9), CUT)
    for p in trial.patients():
        t = p.truth
        if not t.evaluable:
            assert not t.responder and t.best_response is None
        if p.cohort == "overt" and t.evaluable:
            assert t.responder == (t.best_response in ("CR", "CRh", "CRi"))
        if p.cohort == "mrd":
            assert t.best_response is None
        if t.dlt:
            assert t.dlt_window_start is not None


@pytest.mark.parametrize(
    "kwargs",
    [{"patients_per_cohort": 0}, {"scenario": "miracle"}, {"partial_screening_rate": 1.5}],
)
def test_scenario_rejects_bad_parameters(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Scenario(**kwargs)
