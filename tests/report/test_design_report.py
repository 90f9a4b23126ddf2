"""Numbers and words of the design report, checked against independent brute-force sums.

The NAKIP-AML cohorts (p0 0.35, p1 0.60, one-sided alpha 0.05, power 0.80) use the Simon optimal
design 3/9, 13/27 (Simon 1989 criteria; it is also what the registry's 54 = 2 x 27 patients
imply). Exact properties are recomputed here with math.comb, independently of nakip.stats.
"""

from __future__ import annotations

import json
from math import comb

import pytest
from scipy import stats

from nakip.report.design_report import (
    DEFAULT_RESPONSE_RATES,
    DesignReport,
    build_design_report,
    simon_decision_rules,
    single_stage_decision_rules,
)
from tests.report.conftest import protocol_with


def _pmf(k: int, n: int, p: float) -> float:
    return comb(n, k) * p**k * (1 - p) ** (n - k)


def _two_stage(r1: int, n1: int, r: int, n: int, p: float) -> tuple[float, float, float]:
    """Brute force: (P(reject H0), PET, E[N]) by summing over every (x1, x2)."""
    n2 = n - n1
    pet = sum(_pmf(x1, n1, p) for x1 in range(r1 + 1))
    reject = sum(
        _pmf(x1, n1, p) * _pmf(x2, n2, p)
        for x1 in range(r1 + 1, n1 + 1)
        for x2 in range(n2 + 1)
        if x1 + x2 > r
    )
    return reject, pet, n1 + (1 - pet) * n2


# --------------------------------------------------------------------------- cohort designs
def test_both_cohorts_use_simon_optimal_3_9_13_27(report: DesignReport) -> None:
    assert [c.code for c in report.cohorts] == ["overt", "mrd"]
    for c in report.cohorts:
        assert (c.p0, c.p1, c.alpha, c.power) == (0.35, 0.60, 0.05, 0.80)
        assert c.chosen.boundaries == (3, 9, 13, 27)
        assert c.optimal.boundaries == (3, 9, 13, 27)
        assert c.planned_check.status == "match"
        assert c.max_n == 27


def test_chosen_design_properties_match_brute_force(report: DesignReport) -> None:
    c = report.cohorts[0]
    alpha, pet0, en0 = _two_stage(3, 9, 13, 27, 0.35)
    power, _, _ = _two_stage(3, 9, 13, 27, 0.60)
    assert c.chosen.alpha == pytest.approx(alpha, abs=1e-12)
    assert c.chosen.power == pytest.approx(power, abs=1e-12)
    assert c.chosen.pet0 == pytest.approx(pet0, abs=1e-12)
    assert c.chosen.en0 == pytest.approx(en0, abs=1e-10)
    # the design meets the constraints, with the thresholds on the right side
    assert alpha <= 0.05 < _two_stage(3, 9, 12, 27, 0.35)[0]
    assert power >= 0.80 > _two_stage(3, 9, 14, 27, 0.60)[0]


def test_minimax_is_smaller_but_has_larger_en0(report: DesignReport) -> None:
    c = report.cohorts[0]
    mm = c.minimax
    assert mm.n <= c.optimal.n and mm.en0 >= c.optimal.en0
    alpha, pet0, en0 = _two_stage(mm.r1, mm.n1, mm.r, mm.n, 0.35)
    power = _two_stage(mm.r1, mm.n1, mm.r, mm.n, 0.60)[0]
    assert alpha <= 0.05 and power >= 0.80
    assert (mm.alpha, mm.power, mm.en0) == pytest.approx((alpha, power, en0), abs=1e-10)


def test_single_stage_reference_is_smallest_exact_design(report: DesignReport) -> None:
    s = report.cohorts[0].single_stage
    assert s is not None and not s.two_stage

    def ok(n: int) -> bool:
        return any(
            stats.binom.sf(r, n, 0.35) <= 0.05 and stats.binom.sf(r, n, 0.60) >= 0.80
            for r in range(n)
        )

    assert ok(s.n) and not any(ok(n) for n in range(1, s.n))
    assert stats.binom.sf(s.r, s.n, 0.35) == pytest.approx(s.alpha)


def test_oc_grid_and_values(report: DesignReport) -> None:
    c = report.cohorts[0]
    assert [row.p for row in c.oc] == pytest.approx(list(DEFAULT_RESPONSE_RATES))
    assert DEFAULT_RESPONSE_RATES[0] == 0.20 and DEFAULT_RESPONSE_RATES[-1] == 0.70
    for row in c.oc:
        reject, pet, en = _two_stage(3, 9, 13, 27, row.p)
        assert (row.prob_promising, row.pet, row.expected_n) == pytest.approx(
            (reject, pet, en), abs=1e-10
        )
    at_p0 = next(row for row in c.oc if row.p == pytest.approx(0.35))
    assert at_p0.prob_promising == pytest.approx(c.chosen.alpha)


# --------------------------------------------------------------------------- words
def test_decision_rule_wording_for_nakip() -> None:
    assert simon_decision_rules(3, 9, 13, 27)[0] == (
        "Enrol 9 patients. If 3 or fewer respond, stop for futility. Otherwise enrol 18 more; "
        "the treatment is declared promising if more than 13 of 27 respond."
    )


def test_decision_rule_wording_follows_numbers() -> None:
    text = simon_decision_rules(0, 12, 4, 30)[0]
    assert text.startswith("Enrol 12 patients. If none responds, stop for futility.")
    assert "enrol 18 more" in text and "more than 4 of 30 respond" in text
    single = single_stage_decision_rules(12, 26)[0]
    assert "more than 12 of 26 respond (at least 13)" in single


def test_report_rule_text_is_generated_from_design(report: DesignReport) -> None:
    assert report.cohorts[0].decision_rules[0] == simon_decision_rules(3, 9, 13, 27)[0]


# --------------------------------------------------------------------------- planned check
def test_planned_mismatch_is_flagged() -> None:
    rep = build_design_report(protocol_with(planned={"r1": 2, "n1": 9, "r": 13, "n": 27}))
    c = rep.cohorts[0]
    assert c.planned_check.status == "mismatch"
    assert "MISMATCH" in c.planned_check.message and "2/9" in c.planned_check.message
    assert rep.mismatches == (c,)
    assert rep.cohorts[1].planned_check.status == "match"


def test_minimax_type_and_absent_plan() -> None:
    rep = build_design_report(protocol_with(type="simon_minimax", planned=None))
    c = rep.cohorts[0]
    assert c.chosen.boundaries == c.minimax.boundaries
    assert c.planned_check.status == "absent"
    assert c.max_n == c.minimax.n


def test_single_stage_type() -> None:
    rep = build_design_report(protocol_with(type="single_stage", planned=None))
    c = rep.cohorts[0]
    assert not c.chosen.two_stage
    assert c.decision_rules == single_stage_decision_rules(c.chosen.r, c.chosen.n)
    row = next(r for r in c.oc if r.p == pytest.approx(0.60))
    assert row.prob_promising == pytest.approx(stats.binom.sf(c.chosen.r, c.chosen.n, 0.60))
    assert row.pet == 0 and row.expected_n == c.chosen.n


# --------------------------------------------------------------------------- monitoring
def _boundaries(a: float, b: float, limit: float, cutoff: float, n_min: int, n_max: int):
    """Least x with Pr(rate > limit | x of n) > cutoff, per n (None: no stop), by scipy."""
    out = {}
    for n in range(n_min, n_max + 1):
        hits = [x for x in range(n + 1) if stats.beta.sf(limit, a + x, b + n - x) > cutoff]
        out[n] = hits[0] if hits else None
    return out


def _monitor_oc(bounds: dict[int, int | None], n_max: int, p: float) -> tuple[float, float]:
    """(P(stop), expected number treated) by a plain dynamic programme over event counts."""
    dist = {0: 1.0}
    stopped = 0.0
    expected = 0.0
    for n in range(1, n_max + 1):
        expected += sum(dist.values())  # patient n is treated if the trial is still running
        new: dict[int, float] = {}
        for x, q in dist.items():
            new[x] = new.get(x, 0.0) + q * (1 - p)
            new[x + 1] = new.get(x + 1, 0.0) + q * p
        b = bounds.get(n)
        if b is not None:
            stopped += sum(q for x, q in new.items() if x >= b)
            new = {x: q for x, q in new.items() if x < b}
        dist = new
    return stopped, expected


def test_monitoring_sections(report: DesignReport) -> None:
    tox, feas = report.monitoring
    assert (tox.code, tox.nmax, tox.per_cohort) == ("toxicity", 27, True)
    assert (feas.code, feas.nmax, feas.per_cohort) == ("feasibility", 54, False)
    assert "each cohort separately" in tox.scope and "pooled" in feas.scope


@pytest.mark.parametrize("index", [0, 1])
def test_monitoring_boundaries_match_scipy(report: DesignReport, index: int) -> None:
    m = report.monitoring[index]
    expect = _boundaries(m.prior_a, m.prior_b, m.limit, m.cutoff, m.min_patients, m.nmax)
    got = {b.n: b.stop_if_at_least for b in m.boundaries}
    assert got == expect
    assert m.boundaries[0].n == m.min_patients and m.boundaries[-1].n == m.nmax
    # the boundary is tight: one event fewer does not reach the cutoff
    for b in m.boundaries:
        assert b.stop_if_at_least is not None
        below = stats.beta.sf(
            m.limit, m.prior_a + b.stop_if_at_least - 1, m.prior_b + b.n - b.stop_if_at_least + 1
        )
        assert below <= m.cutoff < b.posterior_at_boundary


def test_toxicity_first_boundary_in_words(report: DesignReport) -> None:
    tox = report.monitoring[0]
    # Pr(rate > 0.3 | 3 of 3) under Beta(0.3, 0.7) is 0.989; with 2 of 3 it is below 0.9
    assert tox.ranges[0].stop_if_at_least == 3 and tox.ranges[0].n_from == 3
    assert "3 or more DLTs among the first 3\u20134 patients" in tox.words
    assert "Beta(0.3, 0.7)" in tox.words and "> 0.9" in tox.words


@pytest.mark.parametrize("index", [0, 1])
def test_monitoring_oc_matches_dynamic_programme(report: DesignReport, index: int) -> None:
    m = report.monitoring[index]
    bounds = {b.n: b.stop_if_at_least for b in m.boundaries}
    assert any(row.rate == pytest.approx(m.limit) for row in m.oc)
    for row in m.oc:
        stop, expected = _monitor_oc(bounds, m.nmax, row.rate)
        assert row.prob_stop == pytest.approx(stop, abs=1e-10)
        assert row.expected_n == pytest.approx(expected, abs=1e-8)


def test_report_to_dict_is_json(report: DesignReport) -> None:
    data = json.loads(json.dumps(report.to_dict()))
    assert data["trial"]["protocol_version"] == report.protocol_version
    assert data["cohorts"][0]["chosen"]["n"] == 27
    assert data["monitoring"][0]["boundaries"][0] == {
        "n": 3,
        "stop_if_at_least": 3,
        "posterior_at_boundary": pytest.approx(stats.beta.sf(0.3, 3.3, 0.7)),
    }
    assert any("Simon R" in ref and "10(1):1-10" in ref for ref in data["references"])
