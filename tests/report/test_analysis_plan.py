"""The analysis-plan sections of the design report, and the combined OC checked by brute force."""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import pytest

from nakip.protocol import load_protocol
from nakip.protocol.model import MonitoringRule
from nakip.report.analysis_plan import build_analysis_plan, combined_oc
from nakip.report.design_report import DesignReport, build_design_report
from nakip.report.render import RenderedReport
from nakip.stats.bayes_monitor import BayesianToxicityMonitor
from nakip.stats.simon import SimonDesign, operating_characteristics
from tests.report.conftest import protocol_with


class Rule(NamedTuple):
    """Boundaries only: two-stage when n1 is given."""

    r1: int | None
    n1: int | None
    r: int
    n: int


NAKIP = SimonDesign.from_boundaries(3, 9, 13, 27, 0.35, 0.60)


def _rule(event: str, limit: float, cutoff: float) -> MonitoringRule:
    return MonitoringRule(code=event, event=event, description="", prior_a=0.3, prior_b=0.7,
                          limit=limit, cutoff=cutoff, min_patients=1, per_cohort=True)  # fmt: skip


def _brute_force(design, tox, feas, p, t, f):  # type: ignore[no-untyped-def]
    """Enumerate every response/DLT/failure sequence of n patients and play the rules."""
    n = design.n
    b_tox = BayesianToxicityMonitor(0.3, 0.7, tox.limit, tox.cutoff, n).stop_counts
    b_feas = BayesianToxicityMonitor(0.3, 0.7, feas.limit, feas.cutoff, n).stop_counts
    out = dict.fromkeys(("promising", "tox", "feas", "futility", "completed", "n"), 0.0)
    for seq in itertools.product((0, 1), repeat=3 * n):
        r, d, fl = np.array(seq[:n]), np.array(seq[n : 2 * n]), np.array(seq[2 * n :])
        weight = float(
            np.prod(np.where(r, p, 1 - p)) * np.prod(np.where(d, t, 1 - t))
            * np.prod(np.where(fl, f, 1 - f))
        )  # fmt: skip
        outcome, treated = "completed", n
        for k in range(1, n + 1):
            if d[:k].sum() >= b_tox[k - 1]:
                outcome, treated = "tox", k
                break
            if fl[:k].sum() >= b_feas[k - 1]:
                outcome, treated = "feas", k
                break
            if design.n1 is not None and k == design.n1 and r[:k].sum() <= design.r1:
                outcome, treated = "futility", k
                break
        out[outcome] += weight
        out["n"] += weight * treated
        if outcome == "completed" and r.sum() > design.r:
            out["promising"] += weight
    return out


@pytest.mark.parametrize(
    ("design", "p", "t", "f"),
    [
        (Rule(0, 2, 1, 4), 0.4, 0.3, 0.2),
        (Rule(0, 2, 1, 4), 0.7, 0.5, 0.05),
        (Rule(None, None, 2, 4), 0.5, 0.35, 0.25),
    ],
)
def test_combined_oc_equals_brute_force(design, p, t, f) -> None:  # type: ignore[no-untyped-def]
    tox, feas = _rule("dlt", 0.3, 0.6), _rule("feasibility_failure", 0.2, 0.6)
    row = combined_oc("x", design, tox, feas, p, t, f)
    want = _brute_force(design, tox, feas, p, t, f)
    assert row.prob_promising == pytest.approx(want["promising"], abs=1e-12)
    assert row.prob_toxicity_stop == pytest.approx(want["tox"], abs=1e-12)
    assert row.prob_feasibility_stop == pytest.approx(want["feas"], abs=1e-12)
    assert row.prob_futility_stop == pytest.approx(want["futility"], abs=1e-12)
    assert row.prob_completed == pytest.approx(want["completed"], abs=1e-12)
    assert row.expected_n == pytest.approx(want["n"], abs=1e-12)


def test_without_monitoring_the_simon_oc_come_back() -> None:
    oc = operating_characteristics(NAKIP, [0.35, 0.60])
    for i, p in enumerate((0.35, 0.60)):
        row = combined_oc("overt", NAKIP, None, None, p, 0.0, 0.0)
        assert row.prob_promising == pytest.approx(float(oc.prob_reject[i]), abs=1e-13)
        assert row.prob_futility_stop == pytest.approx(float(oc.pet[i]), abs=1e-13)
        assert row.expected_n == pytest.approx(float(oc.en[i]), abs=1e-12)
        assert row.prob_toxicity_stop == row.prob_feasibility_stop == 0.0


@pytest.fixture(scope="module")
def plan():  # type: ignore[no-untyped-def]
    return build_analysis_plan(load_protocol(), {"overt": NAKIP, "mrd": NAKIP})


def test_combined_rows_partition_and_grid(plan) -> None:  # type: ignore[no-untyped-def]
    rows = plan.combined_oc
    assert len(rows) == 2 * 2 * 2 * 2  # cohorts x (p0, p1) x DLT rates x feasibility rates
    assert {r.dlt_rate for r in rows} == {0.15, 0.30}  # half the limit, the limit
    assert {r.feasibility_failure_rate for r in rows} == {0.10, 0.20}
    for r in rows:
        total = r.prob_toxicity_stop + r.prob_feasibility_stop + r.prob_futility_stop
        assert total + r.prob_completed == pytest.approx(1.0, abs=1e-12)
        assert 0 < r.prob_promising <= r.prob_completed
    # the safety rules can only lower the chance of declaring an active treatment promising
    at_p1 = [r for r in rows if r.response_rate == 0.60]
    assert max(r.prob_promising for r in at_p1) < NAKIP.power


def test_populations_name_the_adsl_flags(plan) -> None:  # type: ignore[no-untyped-def]
    from nakip.analysis.dictionary import columns

    flags = [p.flag for p in plan.populations]
    assert flags == [
        "enrolled_fl", "treated_fl", "response_evaluable_fl", "dlt_evaluable_fl",
        "feasibility_failure",
    ]  # fmt: skip
    assert set(flags) <= set(columns("adsl"))
    assert "through 28 days after the first NK-cell infusion" in plan.populations[3].definition


def test_words_follow_the_design(plan) -> None:  # type: ignore[no-untyped-def]
    assert "accrual pauses after the 9th treated patient" in plan.accrual[0]
    assert "as soon as 4 responders" in plan.accrual[0]
    assert "non-responder" in plan.non_evaluable[0]
    assert "at least 14 of 27 responders" in plan.rationale[0]
    assert "NCT05319249" in plan.rationale[0]
    assert "Brookmeyer-Crowley" in plan.time_to_event[1]
    assert "6, 12, 24 months" in plan.time_to_event[1]
    assert "treatment failure is an event at day 1" in plan.time_to_event[0]
    assert "14 responders of 27" in plan.estimation[2]


def test_single_stage_has_no_pause() -> None:
    report = build_design_report(protocol_with(type="single_stage", planned=None))
    assert report.plan is not None
    assert "single-stage design, no interim analysis" in report.plan.accrual[0]


def test_report_carries_the_plan(report: DesignReport) -> None:
    assert report.plan is not None
    data = report.to_dict()["analysis_plan"]
    assert len(data["combined_oc"]) == 16
    assert any("Koyama" in ref for ref in report.references)


def test_rendered_html_has_the_plan_sections(rendered: RenderedReport) -> None:
    html = rendered.html.read_text(encoding="utf-8")
    for anchor in ("analysis-plan", "populations", "non-evaluable", "estimation", "accrual",
                   "tte-methods", "combined-oc", "rationale"):  # fmt: skip
        assert f'id="{anchor}"' in html, anchor
    assert html.count('<tr><td class="l">overt</td>') == 8
