"""Primary efficacy per cohort: exact rates against scipy, two-stage inference against the
tested nakip.stats.simon.TwoStageInference, the decision in words, and bad input."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from scipy.stats import binomtest

from nakip.analysis.efficacy import EfficacyAnalysis
from nakip.protocol import Protocol, load_protocol
from nakip.stats.simon import TwoStageInference, TwoStageRule
from tests.analysis.factories import CUTOFF, responders, subject, trial_data
from tests.analysis.test_design_choice import variant


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol()


def _scipy(k: int, n: int, p0: float = 0.35) -> tuple[float, float, float]:
    """Clopper–Pearson 95 % CI and one-sided exact p (scipy.stats.binomtest, as R binom.test)."""
    t = binomtest(k, n, p0, alternative="greater")
    ci = binomtest(k, n, p0).proportion_ci(0.95, method="exact")
    return ci.low, ci.high, t.pvalue


def test_itt_rate_ci_and_p_against_scipy(protocol: Protocol) -> None:
    rows = responders([True, False, True, True, False, False, True])
    fit = EfficacyAnalysis(protocol).fit(trial_data(rows))
    rate = fit.cohorts["overt"].primary.rate
    lo, hi, p = _scipy(4, 7)
    assert (rate.x, rate.n) == (4, 7)
    assert rate.ci_lower == pytest.approx(lo, rel=1e-9) and rate.ci_upper == pytest.approx(hi)
    assert rate.p_value == pytest.approx(p, rel=1e-12)


def test_three_definitions_side_by_side_itt_and_evaluable(protocol: Protocol) -> None:
    rows = [
        subject(1, responder=True, responder_cr=True, responder_cr_cri=True,
                responder_cr_crh_cri=True),
        subject(2, responder=True, responder_cr=False, responder_cr_cri=True,
                responder_cr_crh_cri=True),
        subject(3, responder=False, responder_cr=False, responder_cr_cri=False,
                responder_cr_crh_cri=True),
        # not evaluable, off study: a non-responder in ITT, out of the evaluable set
        subject(4, responder=None, response_evaluable_fl=False, disposition="withdrawn",
                end_of_study_date=CUTOFF - timedelta(days=100)),
    ]  # fmt: skip
    c = EfficacyAnalysis(protocol).fit(trial_data(rows)).cohorts["overt"]
    got = {(r.column, r.population): (r.rate.x, r.rate.n) for r in c.rates}
    assert got == {
        ("responder", "ITT"): (2, 4),
        ("responder", "evaluable"): (2, 3),
        ("responder_cr", "ITT"): (1, 4),
        ("responder_cr", "evaluable"): (1, 3),
        ("responder_cr_cri", "ITT"): (2, 4),
        ("responder_cr_cri", "evaluable"): (2, 3),
        ("responder_cr_crh_cri", "ITT"): (3, 4),
        ("responder_cr_crh_cri", "evaluable"): (3, 3),
    }
    assert c.treated == 4 and c.evaluable == 3 and c.pending == 0


def test_mrd_cohort_definitions(protocol: Protocol) -> None:
    rows = responders([True, False], cohort="mrd", mrd_responder=True)
    c = EfficacyAnalysis(protocol).fit(trial_data(rows)).cohorts["mrd"]
    assert [r.column for r in c.rates] == ["responder"] * 2 + ["mrd_responder"] * 2
    assert (c.rates[2].rate.x, c.rates[2].rate.n) == (2, 2)


def test_untreated_and_pending_patients(protocol: Protocol) -> None:
    rows = responders([True, False])
    rows.append(subject(3, treated_fl=False, responder=None))
    rows.append(subject(4, responder=None, enrolment_date=CUTOFF - timedelta(days=2)))
    # not responding yet, but the end-of-treatment assessment is still to come: pending
    rows.append(subject(5, responder=False, enrolment_date=CUTOFF - timedelta(days=30)))
    # a response before the window closes is settled
    rows.append(subject(6, responder=True, enrolment_date=CUTOFF - timedelta(days=30)))
    c = EfficacyAnalysis(protocol).fit(trial_data(rows)).cohorts["overt"]
    assert c.treated == 5 and c.settled == 3 and c.pending == 2
    assert (c.primary.rate.x, c.primary.rate.n) == (2, 3)
    assert c.decision.startswith("Not decided yet")


def test_stop_after_stage1_two_stage_inference(protocol: Protocol) -> None:
    rows = responders([True, False, False, True, False, False, True, False, False])  # 3 of 9
    c = EfficacyAnalysis(protocol).fit(trial_data(rows)).cohorts["overt"]
    ref = TwoStageInference(TwoStageRule(3, 9, 13, 27), p0=0.35, conf_level=0.90).fit(3)
    est = c.two_stage
    assert est is not None and est.estimable and est.stage == 1
    assert est.p_value == pytest.approx(ref.p_value) and est.mue == pytest.approx(ref.mue)
    assert est.umvue == pytest.approx(3 / 9)
    assert (est.ci_lower, est.ci_upper) == pytest.approx((ref.ci_lower, ref.ci_upper))
    assert est.conf_level == pytest.approx(0.90)  # 1 - 2 alpha
    assert c.decision.startswith("Stopped for futility after stage 1 (3 <= 3")
    assert "is not rejected" in c.decision and "UMVUE 0.333" in c.decision


@pytest.mark.parametrize(("total", "verdict"), [(14, "is rejected"), (13, "is not rejected")])
def test_completed_two_stage_at_the_threshold(protocol: Protocol, total: int, verdict: str) -> None:
    outcomes = [True] * 5 + [False] * 4 + [True] * (total - 5) + [False] * (18 - total + 5)
    c = EfficacyAnalysis(protocol).fit(trial_data(responders(outcomes))).cohorts["overt"]
    ref = TwoStageInference(TwoStageRule(3, 9, 13, 27), p0=0.35, conf_level=0.90).fit(
        5, x_total=total
    )
    assert c.two_stage.stage == 2 and c.two_stage.responders == total
    assert c.two_stage.p_value == pytest.approx(ref.p_value)
    assert c.two_stage.umvue == pytest.approx(ref.umvue)
    assert verdict in c.decision


def test_two_stage_not_estimable_while_pending(protocol: Protocol) -> None:
    c = EfficacyAnalysis(protocol).fit(trial_data(responders([True] * 5))).cohorts["overt"]
    assert not c.two_stage.estimable
    assert c.two_stage.reason == (
        "not estimable yet: 5 of the 27 outcomes of the deciding stage are known"
    )


def test_single_stage_protocol(protocol: Protocol) -> None:
    proto = variant(protocol, type="single_stage", planned=None)
    fit = EfficacyAnalysis(proto).fit(trial_data(responders([True] * 14 + [False] * 12)))
    c = fit.cohorts["overt"]
    assert c.two_stage is None and c.design.n == 26 and c.design.r == 13
    assert c.decision.startswith("14 > 13 responders among the first 26: H0")
    lo, hi, p = _scipy(14, 26)
    assert c.primary.rate.p_value == pytest.approx(p, rel=1e-12)


def test_empty_cohort_is_not_estimable_and_json_has_no_nan(protocol: Protocol) -> None:
    fit = EfficacyAnalysis(protocol).fit(trial_data(responders([True], cohort="mrd")))
    c = fit.cohorts["overt"]
    assert c.treated == 0 and not c.primary.rate.estimable
    assert c.primary.rate.reason.startswith("not estimable: no treated patient")
    json.dumps(fit.to_dict(), allow_nan=False)  # raises on NaN
    s = fit.summary
    assert s.loc[s["cohort"] == "overt", "note"].str.startswith("not estimable").all()


def test_zero_evaluable(protocol: Protocol) -> None:
    rows = responders([False, False], response_evaluable_fl=False)
    c = EfficacyAnalysis(protocol).fit(trial_data(rows)).cohorts["overt"]
    ev = c.rates[1]
    assert ev.population == "evaluable" and not ev.rate.estimable
    assert c.primary.rate.n == 2 and c.primary.rate.estimate == 0.0
