"""Simon decisions and monitoring status on observed outcomes, at their thresholds.

Simon's rule (Simon 1989): stop after stage 1 if X1 <= r1; efficacy if X > r. The protocol's
planned design is 3/9, 13/27. Monitoring boundaries are checked against the Beta posterior
computed independently with scipy (Pr(rate > limit | x of n) > cutoff, Thall & Simon 1994).
"""

from __future__ import annotations

import pytest
from scipy import stats

from nakip.protocol import load_protocol
from nakip.sim.results import monitoring_status, simon_status


def _outcomes(responders: int, known: int) -> list[bool | None]:
    return [True] * responders + [False] * (known - responders)


@pytest.mark.parametrize(("x1", "decision"), [(3, "stop_futility"), (4, "continue")])
def test_stage1_at_the_threshold(x1: int, decision: str) -> None:
    s = simon_status(_outcomes(x1, 9), 3, 9, 13, 27)
    assert s.stage1_decision == decision
    assert s.stage1_responders == x1 and s.stage1_known == 9


def test_stage1_pending_and_early_certainty() -> None:
    assert simon_status(_outcomes(1, 5), 3, 9, 13, 27).stage1_decision == "pending"
    # 4 responders among 5: stage 1 can no longer stop
    assert simon_status(_outcomes(4, 5), 3, 9, 13, 27).stage1_decision == "continue"
    # 0 of 7 with 2 unknown: at most 2 <= 3, futility is certain
    assert simon_status(_outcomes(0, 7), 3, 9, 13, 27).stage1_decision == "stop_futility"


@pytest.mark.parametrize(("x", "decision"), [(13, "no_efficacy"), (14, "efficacy")])
def test_final_at_the_threshold(x: int, decision: str) -> None:
    outcomes = [True] * 4 + [False] * 5 + [True] * (x - 4) + [False] * (18 - (x - 4))
    s = simon_status(outcomes, 3, 9, 13, 27)
    assert s.stage1_decision == "continue"
    assert s.final_decision == decision
    assert s.final_responders == x and s.final_known == 27


def test_final_after_stage1_stop_and_pending() -> None:
    stopped = simon_status(_outcomes(2, 9), 3, 9, 13, 27)
    assert stopped.final_decision == "stopped_at_stage1"
    pending = simon_status([True] * 6 + [False] * 6, 3, 9, 13, 27)
    assert pending.final_decision == "pending"
    assert "at least 8 more" in pending.final_text  # 6 + 8 = 14 > 13


def _first_stop(a: float, b: float, limit: float, cutoff: float, n: int, min_n: int) -> int:
    """Least x with Pr(rate > limit | x of n) > cutoff (scipy Beta posterior), n+1 if none."""
    if n < min_n:
        return n + 1
    for x in range(n + 1):
        if stats.beta.sf(limit, a + x, b + n - x) > cutoff:
            return x
    return n + 1


def test_monitoring_against_the_beta_posterior() -> None:
    rule = next(r for r in load_protocol().monitoring if r.event == "dlt")
    args = (rule.prior_a, rule.prior_b, rule.limit, rule.cutoff)
    # events in enrolment order; find where scipy says the boundary is first reached
    events = [True, False, True, True, False, True, True, False]
    expected = None
    x = 0
    for n, e in enumerate(events, start=1):
        x += e
        if expected is None and x >= _first_stop(*args, n, rule.min_patients):
            expected = n
    status = monitoring_status(rule, events, "overt", 27)
    assert status.crossed_at == expected
    assert status.decision == ("stop" if expected else "continue")
    assert status.events == 5 and status.patients == 8
    quiet = monitoring_status(rule, [False] * 6, "overt", 27)
    assert quiet.decision == "continue" and quiet.crossed_at is None
    assert quiet.boundary == _first_stop(*args, 6, rule.min_patients)


def test_no_stop_before_min_patients() -> None:
    rule = next(r for r in load_protocol().monitoring if r.event == "dlt")
    early = monitoring_status(rule, [True] * (rule.min_patients - 1), "mrd", 27)
    assert early.decision == "continue" and early.boundary is None
