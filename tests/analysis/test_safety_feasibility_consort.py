"""Safety incidence, feasibility rate and CONSORT counts on hand-built datasets."""

from __future__ import annotations

import json

import pytest
from scipy.stats import binomtest

from nakip.analysis.consort import ConsortCounts
from nakip.analysis.data import TrialData
from nakip.analysis.feasibility import FeasibilityAnalysis
from nakip.analysis.safety import SafetyAnalysis
from nakip.analysis.trial import TrialAnalysis
from nakip.protocol import Protocol, load_protocol
from tests.analysis.factories import (
    adverse_event,
    frame,
    responders,
    screened,
    subject,
    trial_data,
)


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol()


def _safety_data():
    a1, a2, a3, b1 = subject(1), subject(2), subject(3), subject(1, "mrd")
    untreated = subject(4, treated_fl=False)
    adae = [
        adverse_event(a1, "Nausea", 1),
        adverse_event(
            a1,
            "Nausea",
            3,
            related=True,
            attribution_nk="probable",
            attribution_talazoparib="unlikely",
        ),  # worst grade 3 counts once
        adverse_event(a1, "Febrile neutropenia", 3, serious=True, is_dlt=True),
        adverse_event(a2, "Nausea", 2),
        adverse_event(a2, "Cytokine release syndrome", 2, source="crs"),  # apart from AEs
        adverse_event(b1, "Cytokine release syndrome", 1, source="crs"),
        adverse_event(a3, "Fatigue", None),  # ungraded: an AE, no grade
        adverse_event(b1, "Sepsis", 5, serious=True),
        adverse_event(untreated, "Nausea", 4),  # outside the safety population
    ]
    return trial_data([a1, a2, a3, b1, untreated], adae)


def test_safety_overview_counts_patients_once() -> None:
    fit = SafetyAnalysis().fit(_safety_data())
    o = fit.overview.set_index("cohort")
    assert fit.population == {"mrd": 1, "overt": 3, "all": 4}
    assert o.loc["overt", "any"] == 3 and o.loc["overt", "grade3"] == 1
    assert o.loc["overt", "serious"] == 1 and o.loc["overt", "dlt"] == 1
    assert o.loc["overt", "related"] == 1 and o.loc["overt", "related_grade3"] == 1
    assert o.loc["overt", "related_nk"] == 1 and o.loc["overt", "related_talazoparib"] == 0
    assert o.loc["overt", "any_pct"] == pytest.approx(100.0)
    assert o.loc["overt", "ungraded_events"] == 1
    assert o.loc["mrd", "grade5"] == 1 and o.loc["all", "grade3"] == 2


def test_safety_worst_grade_per_term_and_crs() -> None:
    fit = SafetyAnalysis().fit(_safety_data())
    t = fit.by_term[fit.by_term["cohort"] == "overt"].set_index("term")
    assert t.loc["Nausea", "patients"] == 2
    assert (t.loc["Nausea", "grade2"], t.loc["Nausea", "grade3"], t.loc["Nausea", "grade1"]) == (
        1, 1, 0,
    )  # fmt: skip
    assert t.loc["Nausea", "pct"] == pytest.approx(200 / 3)
    crs = fit.crs_icans.set_index(["cohort", "syndrome"])
    assert crs.loc[("overt", "CRS"), "grade2"] == 1 and crs.loc[("overt", "ICANS"), "patients"] == 0
    assert crs.loc[("all", "CRS"), "patients"] == 2
    assert "Cytokine release syndrome" not in set(fit.by_term["term"])
    assert fit.overview.set_index("cohort").loc["mrd", "any"] == 1  # the sepsis, not the CRS
    json.dumps(fit.to_dict(), allow_nan=False)


def test_grade_0_assessments_are_not_episodes() -> None:
    """Routine ICE assessments (ICANS grade 0) and GVHD assessments without findings are ADAE
    rows but no episode: they count neither as patients nor in a grade column."""
    a1, a2 = subject(1), subject(2)
    adae = [
        adverse_event(a1, "ICANS", 0, source="icans"),
        adverse_event(a2, "ICANS", 0, source="icans"),
        adverse_event(a2, "ICANS", 3, source="icans"),
        adverse_event(a1, "Acute graft versus host disease", 0, source="gvhd"),
        adverse_event(a2, "Acute graft versus host disease", 2, source="gvhd", is_dlt=True),
    ]
    fit = SafetyAnalysis().fit(trial_data([a1, a2], adae))
    icans = fit.crs_icans.set_index(["cohort", "syndrome"]).loc[("overt", "ICANS")]
    assert (icans["patients"], icans["grade3"], icans["pct"]) == (1, 1, 50.0)
    gvhd = fit.gvhd.set_index("cohort").loc["all"]
    assert (gvhd["patients"], gvhd["grade2"], gvhd["grade2plus"], gvhd["dlt"]) == (1, 1, 1, 1)


def test_safety_without_treated_patients_is_not_estimable() -> None:
    fit = SafetyAnalysis().fit(trial_data([subject(1, treated_fl=False)]))
    row = fit.overview.set_index("cohort").loc["all"]
    assert row["patients"] == 0 and row["any_pct"] is None
    assert row["note"].startswith("not estimable")
    json.dumps(fit.to_dict(), allow_nan=False)


def test_feasibility_rate_and_exact_ci(protocol: Protocol) -> None:
    rows = [subject(i, feasibility_failure=i <= 2) for i in range(1, 8)]
    rows.append(subject(8, feasibility_failure=None))  # product outcome not known yet
    rows.append(subject(1, "mrd", feasibility_failure=True))
    fit = FeasibilityAnalysis(protocol).fit(trial_data(rows))
    overt, every = fit.rates["overt"].rate, fit.rates["all"].rate
    assert (overt.x, overt.n, every.x, every.n) == (2, 7, 3, 8)
    ci = binomtest(3, 8).proportion_ci(0.95, method="exact")  # scipy Clopper–Pearson
    assert (every.ci_lower, every.ci_upper) == pytest.approx((ci.low, ci.high))
    assert fit.rates["all"].limit == 0.20
    empty = FeasibilityAnalysis(protocol).fit(trial_data()).rates["mrd"].rate
    assert not empty.estimable and "NK-cell product" in empty.reason


def test_consort_flow(protocol: Protocol) -> None:
    scr = [
        screened(1, enrolled=True),
        screened(2, eligible=False, failed="IN3; EX2"),
        screened(3, eligible=False, failed="IN3"),
        screened(4, eligible=None),  # still in screening
        screened(5, "mrd", enrolled=True),
        screened(6, "mrd", eligible=False, failed=None),
    ]
    adsl = [
        subject(1, response_evaluable_fl=False, disposition="withdrawn"),
        subject(2, treated_fl=False),
        subject(1, "mrd"),
    ]
    fit = ConsortCounts(protocol).fit(trial_data(adsl, screening=scr))
    assert (fit.screened, fit.not_eligible, fit.in_screening, fit.enrolled) == (6, 3, 1, 3)
    assert fit.reasons == {"IN3": 2, "EX2": 1, "not stated": 1}
    ov = fit.cohorts["overt"]
    assert (ov.screened, ov.not_eligible, ov.enrolled, ov.not_treated, ov.treated) == (
        4,
        2,
        2,
        1,
        1,
    )
    assert (ov.response_evaluable, ov.analysed) == (0, 1)
    assert ov.discontinued == {"withdrawn": 1}
    assert fit.summary.shape[0] == 2


def test_trial_analysis_bundles_everything(protocol: Protocol) -> None:
    data = trial_data(responders([True, False, True]), screening=[screened(1, enrolled=True)])
    fit = TrialAnalysis(protocol).fit(data)
    out = fit.to_dict()
    assert out["fingerprint"] == data.fingerprint and out["cutoff"] == "2026-11-01"
    assert out["designs"]["overt"]["planned_n"] == 27
    assert out["efficacy"]["overt"]["rates"][0]["x"] == 2
    assert set(out) >= {"consort", "monitoring", "safety", "feasibility", "survival"}
    json.dumps(out, allow_nan=False, default=str)


def test_all_missing_values_give_not_estimable_not_a_crash(protocol: Protocol) -> None:
    keys = {"usubjid": "NAKIP-AML-A001", "subject_number": "A001", "site": "S1", "cohort": "overt"}
    adsl = frame("adsl", [keys])
    adae = frame("adae", [adverse_event(keys, None, None, serious=None, related=None, is_dlt=None)])
    scr = frame("screening", [{"screening_number": "SCR-1"}])
    fit = TrialAnalysis(protocol).fit(TrialData(adsl=adsl, adae=adae, screening=scr, cutoff=None))
    out = fit.to_dict()
    json.dumps(out, allow_nan=False, default=str)
    overt = out["efficacy"]["overt"]
    assert overt["treated"] == 0 and overt["rates"][0]["reason"].startswith("not estimable")
    assert out["consort"]["in_screening"] == 1 and out["safety"]["population"]["all"] == 0
    assert out["feasibility"]["all"]["reason"].startswith("not estimable")
