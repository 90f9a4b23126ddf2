"""Tests of nakip.stats.simon: Simon (1989) Table 1, brute force, exact enumeration.

SIMON1989 = Simon R. Optimal two-stage designs for phase II clinical trials.
Controlled Clinical Trials 1989; 10: 1-10, Table 1 (r1/n1, r/n, EN(p0), PET(p0)).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from nakip.stats.simon import (
    NoDesignError,
    SimonDesign,
    TwoStageInference,
    TwoStageRule,
    operating_characteristics,
    search,
    smallest_feasible_n,
)

# (p0, p1, alpha, beta, optimal (r1, n1, r, n, EN0, PET0), minimax (r1, n1, r, n, EN0, PET0))
SIMON1989_TABLE1 = [
    (0.05, 0.25, 0.05, 0.20, (0, 9, 2, 17, 12.0, 0.63), (0, 12, 2, 16, 13.8, 0.54)),
    (0.05, 0.25, 0.10, 0.10, (0, 9, 2, 24, 14.5, 0.63), (0, 13, 2, 20, 16.4, 0.51)),
    (0.10, 0.30, 0.10, 0.10, (1, 12, 5, 35, 19.8, 0.66), (1, 16, 4, 25, 20.4, 0.51)),
    (0.10, 0.30, 0.05, 0.20, (1, 10, 5, 29, 15.0, 0.74), (1, 15, 5, 25, 19.5, 0.55)),
    (0.10, 0.30, 0.05, 0.10, (2, 18, 6, 35, 22.5, 0.73), (2, 22, 6, 33, 26.2, 0.62)),
    (0.20, 0.40, 0.10, 0.10, (3, 17, 10, 37, 26.0, 0.55), (3, 19, 10, 36, 28.3, 0.46)),
    (0.20, 0.40, 0.05, 0.20, (3, 13, 12, 43, 20.6, 0.75), (4, 18, 10, 33, 22.3, 0.72)),
    (0.20, 0.40, 0.05, 0.10, (4, 19, 15, 54, 30.4, 0.67), (5, 24, 13, 45, 31.2, 0.66)),
    (0.30, 0.50, 0.05, 0.20, (5, 15, 18, 46, 23.6, 0.72), (6, 19, 16, 39, 25.7, 0.67)),
    (0.70, 0.90, 0.05, 0.20, (4, 6, 22, 27, 14.8, 0.58), (19, 23, 21, 26, 23.2, 0.95)),
]


def _check_row(d: SimonDesign, row: tuple[int, int, int, int, float, float]) -> None:
    r1, n1, r, n, en0, pet0 = row
    assert (d.r1, d.n1, d.r, d.n) == (r1, n1, r, n)
    assert round(d.en0, 1) == en0
    assert round(d.pet0, 2) == pet0


@pytest.mark.parametrize(("p0", "p1", "alpha", "beta", "opt", "mm"), SIMON1989_TABLE1)
def test_simon_1989_table1(
    p0: float, p1: float, alpha: float, beta: float, opt: tuple, mm: tuple
) -> None:
    # Source: SIMON1989 Table 1 (also reproduced by R clinfun::ph2simon).
    res = search(p0, p1, alpha, 1 - beta, nmax=100)
    _check_row(res.optimal, opt)
    _check_row(res.minimax, mm)


def test_nakip_aml_optimal_design() -> None:
    # NAKIP-AML (p0 0.35, p1 0.60, alpha 0.05, power 0.80): optimal 3/9, 13/27 as expected by the
    # trial team; least EN0 confirmed by brute force (BRUTE_CASES), properties by enumeration.
    res = search(0.35, 0.60, 0.05, 0.80)
    o = res.optimal
    assert (o.r1, o.n1, o.r, o.n) == (3, 9, 13, 27)
    assert o.alpha == pytest.approx(_brute_reject(3, 9, 13, 27, 0.35), rel=1e-12)
    assert o.power == pytest.approx(_brute_reject(3, 9, 13, 27, 0.60), rel=1e-12)
    assert o.pet0 == pytest.approx(stats.binom.cdf(3, 9, 0.35), rel=1e-12)


def test_clinfun_documented_example_admissible_endpoints() -> None:
    # clinfun::twostage.admissible puts the minimax first (qHi = 1) and optimal last (qLo = 0).
    res = search(0.10, 0.30, 0.05, 0.80)
    assert res.admissible[0] == res.minimax and res.minimax.q_high == 1.0
    assert res.admissible[-1] == res.optimal and res.optimal.q_low == 0.0
    # adjacent admissible designs share their boundary weight
    for a, b in zip(res.admissible[:-1], res.admissible[1:], strict=True):
        assert a.q_low == pytest.approx(b.q_high, abs=1e-12)
        q = a.q_low  # at the shared weight the two losses are equal
        assert q * a.n + (1 - q) * a.en0 == pytest.approx(q * b.n + (1 - q) * b.en0, abs=1e-9)


# ------------------------------------------------------------------------------ brute force
def _brute_reject(r1: int, n1: int, r: int, n: int, p: float) -> float:
    """P(X1 > r1 and X1 + X2 > r) by summing the joint pmf of (X1, X2) cell by cell."""
    b1 = stats.binom.pmf(np.arange(n1 + 1), n1, p)
    b2 = stats.binom.pmf(np.arange(n - n1 + 1), n - n1, p)
    total = 0.0
    for x1 in range(r1 + 1, n1 + 1):
        for x2 in range(n - n1 + 1):
            if x1 + x2 > r:
                total += b1[x1] * b2[x2]
    return total


@cache
def _brute_designs(p0: float, p1: float, alpha: float, power: float, nmax: int) -> list[tuple]:
    """Every feasible (r1, n1, r, n, EN0) with n <= nmax: all n, n1, r1 and r, no pruning."""
    out = []
    for n in range(2, nmax + 1):
        for n1 in range(1, n):
            n2 = n - n1
            x1 = np.arange(n1 + 1)[:, None]
            r = np.arange(n)[None, :]
            # cont[x1, r] = P(X1 = x1) P(X2 > r - x1), for every first-stage count and every r
            cont0 = stats.binom.pmf(x1, n1, p0) * stats.binom.sf(r - x1, n2, p0)
            cont1 = stats.binom.pmf(x1, n1, p1) * stats.binom.sf(r - x1, n2, p1)
            for r1 in range(n1):
                pet0 = float(stats.binom.cdf(r1, n1, p0))
                en0 = n1 + (1 - pet0) * n2
                a = cont0[r1 + 1 :].sum(axis=0)
                pw = cont1[r1 + 1 :].sum(axis=0)
                for rr in range(r1, n):
                    if a[rr] <= alpha and pw[rr] >= power:
                        out.append((r1, n1, rr, n, en0))
    return out


BRUTE_CASES = [
    (0.20, 0.40, 0.10, 0.80, 25),
    (0.30, 0.60, 0.05, 0.80, 25),
    (0.10, 0.40, 0.05, 0.80, 20),
    (0.50, 0.80, 0.10, 0.80, 20),
    (0.35, 0.60, 0.05, 0.80, 30),  # NAKIP-AML rates
    # minimax 29, optimal 38: many n between them and above, where the scan's pruning (alpha
    # certificate, r walk from the last n's r, EN0 bound) does most of its work
    (0.20, 0.45, 0.05, 0.90, 45),
]


@pytest.mark.parametrize(("p0", "p1", "alpha", "power", "nmax"), BRUTE_CASES)
def test_search_matches_brute_force(
    p0: float, p1: float, alpha: float, power: float, nmax: int
) -> None:
    designs = _brute_designs(p0, p1, alpha, power, nmax)
    assert designs, "the case should admit designs"
    res = search(p0, p1, alpha, power, nmax=nmax)
    min_en = min(d[4] for d in designs)
    min_n = min(d[3] for d in designs)
    assert res.optimal.en0 == pytest.approx(min_en, abs=1e-12)
    assert res.minimax.n == min_n
    assert res.minimax.en0 == pytest.approx(min(d[4] for d in designs if d[3] == min_n), abs=1e-12)
    feasible = {d[:4] for d in designs}
    for d in res.admissible:
        assert (d.r1, d.n1, d.r, d.n) in feasible
    # Admissibility: for each weight q, the best loss over all feasible designs is attained by
    # an admissible design whose q range contains q.
    for q in np.linspace(0, 1, 41):
        best = min(q * d[3] + (1 - q) * d[4] for d in designs)
        ours = min(
            q * d.n + (1 - q) * d.en0
            for d in res.admissible
            if d.q_low - 1e-9 <= q <= d.q_high + 1e-9
        )
        assert ours == pytest.approx(best, abs=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    p0=st.floats(0.05, 0.6),
    delta=st.floats(0.15, 0.35),
    alpha=st.sampled_from([0.05, 0.1]),
    power=st.sampled_from([0.8, 0.9]),
)
def test_returned_designs_meet_constraints(
    p0: float, delta: float, alpha: float, power: float
) -> None:
    p1 = min(p0 + delta, 0.95)
    try:
        res = search(p0, p1, alpha, power, nmax=80)
    except NoDesignError as exc:
        assert exc.smallest_nmax is None or exc.smallest_nmax > 80
        return
    for d in (res.optimal, res.minimax, *res.admissible):
        a = _brute_reject(d.r1, d.n1, d.r, d.n, p0)
        pw = _brute_reject(d.r1, d.n1, d.r, d.n, p1)
        assert a <= alpha + 1e-12
        assert pw >= power - 1e-12
        assert d.alpha == pytest.approx(a, rel=1e-9, abs=1e-14)
        assert d.power == pytest.approx(pw, rel=1e-9)
        assert d.en0 == pytest.approx(
            d.n1 + (1 - stats.binom.cdf(d.r1, d.n1, p0)) * (d.n - d.n1), rel=1e-12
        )
    assert res.minimax.n <= res.optimal.n
    assert res.optimal.en0 <= res.minimax.en0


def test_smallest_feasible_n_and_frontier() -> None:
    # SIMON1989 Table 1 minimax n: 25 for (0.10, 0.30, 0.05, 0.20), 36 for (0.20, 0.40, 0.10, 0.10).
    assert smallest_feasible_n(0.10, 0.30, 0.05, 0.80) == 25
    assert smallest_feasible_n(0.20, 0.40, 0.10, 0.90) == 36
    res = search(0.10, 0.30, 0.05, 0.80)
    ns = [d.n for d in res.frontier]
    ens = [d.en0 for d in res.frontier]
    assert ns == sorted(ns) and ens == sorted(ens, reverse=True)
    assert res.frontier[0].rule == res.minimax.rule and res.frontier[-1].rule == res.optimal.rule


def test_no_design_reports_smallest_nmax() -> None:
    # SIMON1989 Table 1: the minimax n for (0.10, 0.30, 0.05, 0.20) is 25.
    with pytest.raises(NoDesignError, match="smallest nmax that works is 25") as info:
        search(0.10, 0.30, 0.05, 0.80, nmax=24)
    assert info.value.smallest_nmax == 25
    assert search(0.10, 0.30, 0.05, 0.80, nmax=25).minimax.n == 25


@pytest.mark.parametrize(
    ("args", "word"),
    [
        ((0.4, 0.3, 0.05, 0.8, 100), "p0 must be smaller than p1"),
        ((0.0, 0.3, 0.05, 0.8, 100), "p0"),
        ((0.1, 1.0, 0.05, 0.8, 100), "p1"),
        ((0.1, 0.3, 1.05, 0.8, 100), "alpha"),
        ((0.1, 0.3, 0.05, 0.0, 100), "power"),
        ((0.1, 0.3, 0.05, 0.8, 1), "nmax"),
    ],
)
def test_search_bad_input(args: tuple, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        search(*args)


# ------------------------------------------------------------------------------ OC
def test_operating_characteristics_scalar_and_array() -> None:
    rule = TwoStageRule(3, 9, 13, 27)
    ps = np.array([0.2, 0.35, 0.5, 0.6])
    oc = operating_characteristics(rule, ps)
    assert isinstance(oc.prob_reject, np.ndarray) and oc.prob_reject.shape == (4,)
    for i, p in enumerate(ps):
        single = operating_characteristics(rule, float(p))
        assert isinstance(single.prob_reject, float)
        assert single.prob_reject == pytest.approx(_brute_reject(3, 9, 13, 27, p), rel=1e-12)
        assert oc.prob_reject[i] == pytest.approx(single.prob_reject, rel=1e-14)
        pet = stats.binom.cdf(3, 9, p)
        assert oc.pet[i] == pytest.approx(pet, rel=1e-12)
        assert oc.en[i] == pytest.approx(9 + (1 - pet) * 18, rel=1e-12)
    assert operating_characteristics(rule, 0.0).prob_reject == 0.0
    assert operating_characteristics(rule, 1.0).prob_reject == pytest.approx(1.0)


def test_design_from_boundaries_and_rule_validation() -> None:
    d = SimonDesign.from_boundaries(1, 10, 5, 29, 0.1, 0.3)
    assert round(d.en0, 1) == 15.0 and round(d.pet0, 2) == 0.74  # SIMON1989 Table 1
    assert d.to_dict()["n"] == 29
    for bad, word in [
        ((2, 2, 5, 10), "r1"),
        ((0, 10, 5, 10), "n1"),
        ((3, 5, 2, 10), "r"),
        ((-1, 5, 2, 10), "r1"),
        ((0, 5, 10, 10), "r"),
    ]:
        with pytest.raises(ValueError, match=word):
            TwoStageRule(*bad)


# ------------------------------------------------------------------------------ inference
def _outcomes(rule: TwoStageRule, p: float) -> list[tuple[tuple[int, int], float]]:
    """All outcomes (stage, total) with probabilities, enumerated from the joint pmf."""
    b1 = stats.binom.pmf(np.arange(rule.n1 + 1), rule.n1, p)
    b2 = stats.binom.pmf(np.arange(rule.n2 + 1), rule.n2, p)
    probs: dict[tuple[int, int], float] = {}
    for x1 in range(rule.n1 + 1):
        if x1 <= rule.r1:
            probs[(1, x1)] = probs.get((1, x1), 0.0) + b1[x1]
        else:
            for x2 in range(rule.n2 + 1):
                key = (2, x1 + x2)
                probs[key] = probs.get(key, 0.0) + b1[x1] * b2[x2]
    return sorted(probs.items())  # tuple order = stage-wise ordering


def _tail_ge(rule: TwoStageRule, t: tuple[int, int], p: float) -> float:
    return sum(pr for key, pr in _outcomes(rule, p) if key >= t)


def _tail_le(rule: TwoStageRule, t: tuple[int, int], p: float) -> float:
    return sum(pr for key, pr in _outcomes(rule, p) if key <= t)


NAKIP = TwoStageRule(3, 9, 13, 27)


@pytest.mark.parametrize(("x1", "x2"), [(0, None), (2, None), (3, None), (4, 0), (5, 10), (9, 18)])
def test_inference_p_value_and_ci_invert_exact_ordering(x1: int, x2: int | None) -> None:
    fit = TwoStageInference(NAKIP, p0=0.35).fit(x1, x2)
    res = fit.result_
    assert res is not None
    t = (res.stage, res.x_total)
    assert fit.p_value == pytest.approx(_tail_ge(NAKIP, t, 0.35), rel=1e-10)
    if t == (1, 0):
        assert fit.ci_lower == 0.0
    else:
        assert _tail_ge(NAKIP, t, fit.ci_lower) == pytest.approx(0.025, abs=1e-10)
        assert _tail_ge(NAKIP, t, fit.ci_lower + 1e-6) > 0.025  # the boundary, not any root
    if t == (2, 27):
        assert fit.ci_upper == 1.0
    else:
        assert _tail_le(NAKIP, t, fit.ci_upper) == pytest.approx(0.025, abs=1e-10)
        assert _tail_le(NAKIP, t, fit.ci_upper - 1e-6) > 0.025
    assert fit.ci_lower <= fit.mue <= fit.ci_upper
    assert fit.ci_lower < fit.ci_upper


def test_ci_has_exact_coverage_and_agrees_with_p_value() -> None:
    # Exact intervals from inverting the ordering cover p with probability >= 95% for every p,
    # and exclude p0 from below exactly when the one-sided p-value is below 0.025.
    rule = TwoStageRule(1, 10, 5, 29)  # SIMON1989 optimal for 0.10 vs 0.30
    cis = {}
    for (stage, x), _ in _outcomes(rule, 0.3):
        x1 = x if stage == 1 else max(rule.r1 + 1, x - rule.n2)
        fit = TwoStageInference(rule, p0=0.1).fit(x1, x_total=x if stage == 2 else None)
        cis[(stage, x)] = (fit.ci_lower, fit.ci_upper)
        assert (fit.ci_lower > 0.1) == (fit.p_value < 0.025)
    for p in np.linspace(0.01, 0.99, 50):
        cover = sum(pr for key, pr in _outcomes(rule, p) if cis[key][0] <= p <= cis[key][1])
        assert cover >= 0.95 - 1e-9


def test_umvue_is_exactly_unbiased() -> None:
    # Jung & Kim (2004): the estimator is unbiased for every p; checked by full enumeration.
    rule = NAKIP
    est = {}
    for (stage, x), _ in _outcomes(rule, 0.5):
        x1 = x if stage == 1 else max(rule.r1 + 1, x - rule.n2)
        est[(stage, x)] = TwoStageInference(rule).fit(x1, x_total=x if stage == 2 else None).umvue
    for p in (0.1, 0.35, 0.6, 0.9):
        mean = sum(pr * est[key] for key, pr in _outcomes(rule, p))
        assert mean == pytest.approx(p, abs=1e-12)
    # the naive proportion is biased for the same design (so the test can fail)
    naive = sum(pr * (x / (9 if s == 1 else 27)) for (s, x), pr in _outcomes(rule, 0.35))
    assert abs(naive - 0.35) > 1e-3


def test_mue_is_midpoint_of_median_solutions() -> None:
    fit = TwoStageInference(NAKIP).fit(5, 10)
    t = (2, 15)
    lo = _bisect(lambda p: _tail_ge(NAKIP, t, p) - 0.5)
    hi = _bisect(lambda p: 0.5 - _tail_le(NAKIP, t, p))
    assert fit.mue == pytest.approx((lo + hi) / 2, abs=1e-9)


def _bisect(f, a: float = 0.0, b: float = 1.0) -> float:
    for _ in range(60):
        m = (a + b) / 2
        if f(m) < 0:
            a = m
        else:
            b = m
    return (a + b) / 2


def test_fit_with_x_total_equals_fit_with_x2_and_summary() -> None:
    a = TwoStageInference(NAKIP, p0=0.35).fit(5, 10)
    b = TwoStageInference(NAKIP, p0=0.35).fit(5, x_total=15)
    assert a.result_ == b.result_
    assert a.summary.loc[0, "responders"] == 15
    assert math.isclose(a.summary.loc[0, "p"], a.p_value)
    assert a.result_ is not None and a.result_.reject_h0


def test_design_carries_p0_into_inference() -> None:
    d = SimonDesign.from_boundaries(3, 9, 13, 27, 0.35, 0.60)
    assert TwoStageInference(d).fit(2).p_value == pytest.approx(stats.binom.sf(1, 9, 0.35))


@pytest.mark.parametrize(
    ("x1", "x2", "word"),
    [
        (-1, None, "x1"),
        (10, None, "x1"),
        (2, 3, "stops after stage 1"),
        (5, None, "x2"),
        (5, 19, "x2"),
        (5, -1, "x2"),
    ],
)
def test_fit_bad_input(x1: int, x2: int | None, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        TwoStageInference(NAKIP).fit(x1, x2)


def test_fit_before_use() -> None:
    with pytest.raises(RuntimeError):
        _ = TwoStageInference(NAKIP).p_value


# ------------------------------------------------------------------------------ issue 13
def test_admissible_design_optimal_at_a_single_weight_is_listed() -> None:
    # R clinfun 1.1.5: print(ph2simon(0.5, 0.65, 0.1, 0.1)) (twostage.admissible) lists
    #   Minimax    19 40 41 72  58.01  0.4373 0.556 1.000
    #   Admissible 18 37 42 74  55.50  0.5000 0.333 0.556
    #   Admissible 16 33 43 76  54.50  0.5000 0.333 0.333
    #   Admissible 14 29 44 78  53.50  0.5000 0.073 0.333
    #   Optimal    18 35 47 84  53.03  0.6321 0.000 0.073
    # 16/33, 43/76 lies on the segment between its neighbours: optimal at q = 1/3 only
    # (Jung, Lee, Kim & George 2004 call it admissible all the same).
    res = search(0.5, 0.65, 0.1, 0.9, 100)
    clinfun = [
        (19, 40, 41, 72, 58.01, 0.556, 1.000),
        (18, 37, 42, 74, 55.50, 0.333, 0.556),
        (16, 33, 43, 76, 54.50, 0.333, 0.333),
        (14, 29, 44, 78, 53.50, 0.073, 0.333),
        (18, 35, 47, 84, 53.03, 0.000, 0.073),
    ]
    assert len(res.admissible) == len(clinfun)
    for d, (r1, n1, r, n, en0, q_lo, q_hi) in zip(res.admissible, clinfun, strict=True):
        assert (d.r1, d.n1, d.r, d.n) == (r1, n1, r, n)
        assert d.en0 == pytest.approx(en0, abs=5e-3)
        assert d.q_low == pytest.approx(q_lo, abs=5e-4)
        assert d.q_high == pytest.approx(q_hi, abs=5e-4)
    middle = res.admissible[2]
    assert middle.q_low == middle.q_high == pytest.approx(1 / 3, abs=1e-9)


def test_design_strictly_above_the_hull_is_not_admissible() -> None:
    # The threshold the other way: nudging the middle point's EN0 up by 1e-6 takes it off the
    # line, so it is optimal for no q.
    from nakip.stats.simon.frontier import _admissible_ranges

    points = [(72, 58.005929), (74, 55.5), (76, 54.5), (78, 53.5)]
    assert [i for i, _, _ in _admissible_ranges(points)] == [0, 1, 2, 3]
    raised = [(72, 58.005929), (74, 55.5), (76, 54.500001), (78, 53.5)]
    assert [i for i, _, _ in _admissible_ranges(raised)] == [0, 1, 3]


def test_search_looks_beyond_nmax_and_says_which_nmax_is_needed() -> None:
    # R clinfun 1.1.5: ph2simon(0.3, 0.4, 0.05, 0.2, nmax = 150) gives the optimal 20/65, 53/148
    # (EN0 97.12) and print() warns "Optimal sample size too close to nmax"; with nmax = 200 the
    # optimal is 19/59, 59/168 (EN0 91.68).
    cut = search(0.3, 0.4, 0.05, 0.8, 150)
    assert (cut.optimal.r1, cut.optimal.n1, cut.optimal.r, cut.optimal.n) == (20, 65, 53, 148)
    assert cut.optimal.en0 == pytest.approx(97.12, abs=5e-3)
    better = cut.optimal_beyond_nmax
    assert better is not None
    assert (better.r1, better.n1, better.r, better.n) == (19, 59, 59, 168)
    assert better.en0 == pytest.approx(91.68, abs=5e-3)
    assert cut.nmax_warning is not None and "--nmax 168" in cut.nmax_warning
    # At exactly nmax = 168 the optimal is inside and nothing larger does better.
    exact = search(0.3, 0.4, 0.05, 0.8, 168)
    assert exact.optimal.n == 168 and exact.optimal_beyond_nmax is None
    assert exact.nmax_warning is None
    # nmax = 167 cuts it off again.
    beyond = search(0.3, 0.4, 0.05, 0.8, 167).optimal_beyond_nmax
    assert beyond is not None and beyond.rule == exact.optimal.rule
