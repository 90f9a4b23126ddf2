"""Simon stage status and Bayesian monitoring on analysis datasets, at every threshold.

Simon's rule (Simon 1989): stop after stage 1 if X1 <= r1; efficacy if X > r. The protocol's
planned design is 3/9, 13/27. Monitoring boundaries are checked against the Beta posterior
computed independently with scipy (Pr(rate > limit | x of n) > cutoff, Thall & Simon 1994).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from scipy import stats

from nakip.analysis.design_choice import chosen_design
from nakip.analysis.monitoring import MonitoringAnalysis, rule_status, simon_status
from nakip.protocol import Protocol, load_protocol
from tests.analysis.factories import CUTOFF, responders, subject, trial_data
from tests.analysis.test_design_choice import variant


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol()


def _outcomes(k: int, known: int) -> list[bool | None]:
    return [True] * k + [False] * (known - k)


def _status(protocol: Protocol, outcomes: list[bool | None]):
    return simon_status(outcomes, chosen_design(protocol, "overt"))


@pytest.mark.parametrize(("x1", "decision"), [(3, "stop_futility"), (4, "continue")])
def test_stage1_at_the_threshold(protocol: Protocol, x1: int, decision: str) -> None:
    s = _status(protocol, _outcomes(x1, 9))
    assert s.stage1_decision == decision
    assert s.stage1_responders == x1 and s.stage1_known == 9


def test_stage1_pending_and_early_certainty(protocol: Protocol) -> None:
    assert _status(protocol, _outcomes(1, 5)).stage1_decision == "pending"
    assert _status(protocol, _outcomes(4, 5)).stage1_decision == "continue"
    # 0 of 7 with 2 unknown: at most 2 <= 3, futility is certain
    assert _status(protocol, _outcomes(0, 7)).stage1_decision == "stop_futility"


@pytest.mark.parametrize(("x", "decision"), [(13, "no_efficacy"), (14, "efficacy")])
def test_final_at_the_threshold(protocol: Protocol, x: int, decision: str) -> None:
    outcomes = [True] * 4 + [False] * 5 + [True] * (x - 4) + [False] * (18 - (x - 4))
    s = _status(protocol, outcomes)
    assert s.stage1_decision == "continue" and s.final_decision == decision
    assert s.final_responders == x and s.final_known == 27 and s.crossed


def test_final_after_stop_and_pending(protocol: Protocol) -> None:
    assert _status(protocol, _outcomes(2, 9)).final_decision == "stopped_at_stage1"
    pending = _status(protocol, [True] * 6 + [False] * 6)
    assert pending.final_decision == "pending" and not pending.crossed
    assert "at least 8 more" in pending.final_text  # 6 + 8 = 14 > 13


def test_single_stage_design_has_no_interim(protocol: Protocol) -> None:
    design = chosen_design(variant(protocol, type="single_stage", planned=None), "overt")
    s = simon_status([False] * 9, design)
    assert s.stage1_decision == "not_applicable" and s.final_decision == "pending"
    done = simon_status([True] * (design.r + 1) + [False] * (design.n - design.r - 1), design)
    assert done.final_decision == "efficacy"


def _first_stop(a: float, b: float, limit: float, cutoff: float, n: int, min_n: int) -> int:
    """Least x with Pr(rate > limit | x of n) > cutoff (scipy Beta posterior), n+1 if none."""
    if n < min_n:
        return n + 1
    return next((x for x in range(n + 1) if stats.beta.sf(limit, a + x, b + n - x) > cutoff), n + 1)


def test_rule_against_the_beta_posterior(protocol: Protocol) -> None:
    rule = next(r for r in protocol.monitoring if r.event == "dlt")
    args = (rule.prior_a, rule.prior_b, rule.limit, rule.cutoff)
    events = [True, False, True, True, False, True, True, False]
    expected, x = None, 0
    for n, e in enumerate(events, start=1):
        x += e
        if expected is None and x >= _first_stop(*args, n, rule.min_patients):
            expected = n
    status = rule_status(rule, events, "overt", 27)
    assert expected is not None and status.crossed_at == expected and status.decision == "stop"
    assert status.events == 5 and status.patients == 8
    assert status.path == (1, 1, 2, 3, 3, 4, 5, 5)
    for n in range(1, 28):
        b = _first_stop(*args, n, rule.min_patients)
        assert status.boundary[n - 1] == (b if b <= n else None)
    quiet = rule_status(rule, [False] * 6, "overt", 27)
    assert quiet.decision == "continue" and quiet.boundary_now == _first_stop(*args, 6, 3)


def test_no_stop_before_min_patients(protocol: Protocol) -> None:
    rule = next(r for r in protocol.monitoring if r.event == "dlt")
    early = rule_status(rule, [True] * (rule.min_patients - 1), "mrd", 27)
    assert early.decision == "continue" and early.boundary_now is None
    assert "no stop possible before n = 3" in early.text


def test_more_patients_than_planned_extend_the_table(protocol: Protocol) -> None:
    rule = next(r for r in protocol.monitoring if r.event == "dlt")
    assert rule_status(rule, [False] * 30, "overt", 27).nmax == 30


def test_fit_flags_dlt_crossing_in_enrolment_order(protocol: Protocol) -> None:
    # enrolment order is by date, not by row order: three DLTs among the first three
    rows = [subject(i, has_dlt=i <= 3) for i in range(1, 7)]
    rows.append(subject(7, dlt_evaluable_fl=False, has_dlt=True))  # not evaluable: not counted
    fit = MonitoringAnalysis(protocol).fit(trial_data(list(reversed(rows))))
    tox = fit.rules["overt"][0]
    assert tox.code == "toxicity" and tox.patients == 6 and tox.events == 3
    assert tox.crossed_at == 3  # Pr(rate > 0.3 | 3 of 3, Beta(0.3, 0.7)) > 0.9
    assert stats.beta.sf(0.3, 3.3, 0.7) > 0.9
    assert any("toxicity" in f for f in fit.flagged)
    assert fit.rules["mrd"][0].patients == 0 and "no DLT-evaluable" in fit.rules["mrd"][0].text
    feas = fit.rules["all"][0]
    assert feas.code == "feasibility" and feas.nmax == 54 and feas.patients == 7


def test_fit_simon_counts_settled_outcomes(protocol: Protocol) -> None:
    rows = responders([True, False, None, False])
    # unknown outcome but the assessment window closed long before the cut-off: non-responder
    rows[2]["enrolment_date"] = rows[0]["enrolment_date"]
    recent = subject(9, responder=None, enrolment_date=CUTOFF - timedelta(days=3))
    fit = MonitoringAnalysis(protocol).fit(trial_data([*rows, recent]))
    s = fit.simon["overt"]
    assert s.treated == 5 and s.stage1_known == 4 and s.stage1_responders == 1
    assert fit.summary.loc[0, "rule"] == "simon" and not fit.summary["crossed"].any()
    assert fit.to_dict()["simon"]["overt"]["stage1_decision"] == "pending"


def test_fit_on_empty_data(protocol: Protocol) -> None:
    fit = MonitoringAnalysis(protocol).fit(trial_data())
    assert fit.simon["overt"].final_known == 0 and fit.flagged == ()
    with pytest.raises(RuntimeError):
        _ = MonitoringAnalysis(protocol).summary
