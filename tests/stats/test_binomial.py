"""Tests of nakip.stats.binomial against scipy, R's documented output and brute force."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from nakip.stats.binomial import (
    NoSingleStageDesignError,
    binom_test,
    clopper_pearson_interval,
    jeffreys_interval,
    proportion_interval,
    single_stage_design,
    single_stage_reject_prob,
    wilson_interval,
)

GRID = [
    (x, n, p0)
    for n in (1, 7, 20, 53)
    for x in sorted({0, 1, n // 3, n // 2, n - 1, n})
    for p0 in (0.1, 0.35, 0.5, 0.82)
]


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_binom_test_matches_scipy_binomtest(alternative: str) -> None:
    # Reference: scipy.stats.binomtest (same minimum-likelihood two-sided rule as R binom.test).
    for x, n, p0 in GRID:
        ours = binom_test(x, n, p0, alternative).p_value
        ref = stats.binomtest(x, n, p0, alternative=alternative).pvalue
        assert ours == pytest.approx(ref, rel=1e-10, abs=1e-15), (x, n, p0)


def test_binom_test_r_documentation_mendel_example() -> None:
    # R ?binom.test example: binom.test(c(682, 243), p = 3/4) -> p-value = 0.3825,
    # 95 percent CI 0.7076683 0.7654066 (Clopper-Pearson).
    res = binom_test(682, 925, 0.75)
    assert res.p_value == pytest.approx(0.3825, abs=5e-5)
    ci = clopper_pearson_interval(682, 925)
    assert ci.lower == pytest.approx(0.7076683, abs=5e-8)
    assert ci.upper == pytest.approx(0.7654066, abs=5e-8)


def test_binom_test_observed_at_mode_gives_one() -> None:
    assert binom_test(5, 10, 0.5).p_value == pytest.approx(1.0, abs=1e-12)


def test_clopper_pearson_and_wilson_match_scipy() -> None:
    # Reference: scipy BinomTestResult.proportion_ci(method="exact" / "wilson").
    for x, n, _ in GRID:
        res = stats.binomtest(x, n, 0.5)
        for conf in (0.8, 0.95):
            cp = clopper_pearson_interval(x, n, conf)
            ref = res.proportion_ci(conf, method="exact")
            assert (cp.lower, cp.upper) == pytest.approx((ref.low, ref.high), abs=1e-12)
            wi = wilson_interval(x, n, conf)
            ref = res.proportion_ci(conf, method="wilson")
            assert (wi.lower, wi.upper) == pytest.approx((ref.low, ref.high), abs=1e-12)


def test_jeffreys_tails_are_equal_beta_posterior_tails() -> None:
    # Brown, Cai & DasGupta (2001), section 4.1.2: Beta(x+1/2, n-x+1/2) equal tails,
    # lower limit 0 at x = 0 and upper limit 1 at x = n.
    for x, n, _ in GRID:
        ci = jeffreys_interval(x, n, 0.95)
        post = stats.beta(x + 0.5, n - x + 0.5)
        if x == 0:
            assert ci.lower == 0.0
        else:
            assert post.cdf(ci.lower) == pytest.approx(0.025, abs=1e-10)
        if x == n:
            assert ci.upper == 1.0
        else:
            assert post.sf(ci.upper) == pytest.approx(0.025, abs=1e-10)


def test_interval_edges_and_dispatch() -> None:
    for method in ("clopper-pearson", "wilson", "jeffreys"):
        assert proportion_interval(0, 12, method=method).lower == 0.0
        assert proportion_interval(12, 12, method=method).upper == 1.0
    # Clopper-Pearson at x=0: upper limit solves (1-p)^n = alpha/2 exactly.
    assert clopper_pearson_interval(0, 12).upper == pytest.approx(1 - 0.025 ** (1 / 12), rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"x": -1, "n": 5}, "x"),
        ({"x": 6, "n": 5}, "x"),
        ({"x": 1, "n": 0}, "n"),
        ({"x": 1, "n": 5, "p0": 1.0}, "p0"),
        ({"x": 1, "n": 5, "alternative": "bigger"}, "alternative"),
    ],
)
def test_binom_test_bad_input_names_argument(kwargs: dict[str, object], word: str) -> None:
    with pytest.raises(ValueError, match=word):
        binom_test(**kwargs)  # type: ignore[arg-type]


def _brute_single_stage(p0: float, p1: float, alpha: float, power: float) -> tuple[int, int]:
    """Independent search: first n, then first r, with P(X>r|p0)<=alpha and P(X>r|p1)>=power."""
    for n in range(1, 400):
        for r in range(n + 1):
            if stats.binom.sf(r, n, p0) <= alpha:
                if stats.binom.sf(r, n, p1) >= power:
                    return r, n
                break  # larger r only lowers power
    raise AssertionError("no design")


@pytest.mark.parametrize(
    ("p0", "p1", "alpha", "power"),
    [
        (0.35, 0.60, 0.05, 0.80),
        (0.10, 0.30, 0.05, 0.80),
        (0.20, 0.40, 0.10, 0.90),
        (0.05, 0.25, 0.05, 0.80),
        (0.50, 0.70, 0.05, 0.90),
    ],
)
def test_single_stage_design_matches_brute_force(
    p0: float, p1: float, alpha: float, power: float
) -> None:
    d = single_stage_design(p0, p1, alpha, power)
    assert (d.r, d.n) == _brute_single_stage(p0, p1, alpha, power)
    # Thresholds: the constraints hold, and r - 1 would break alpha.
    assert d.alpha <= alpha
    assert d.power >= power
    assert stats.binom.sf(d.r - 1, d.n, p0) > alpha
    assert single_stage_reject_prob(d.r, d.n, p0) == pytest.approx(d.alpha, rel=1e-12)


def test_single_stage_nakip_design() -> None:
    # NAKIP-AML rates; independently: P(X>13 | 26, 0.35) = 0.0377, P(X>13 | 26, 0.60) = 0.8007.
    # Simon's convention: r = 13 is the largest count that does not reject.
    d = single_stage_design(0.35, 0.60, 0.05, 0.80)
    assert (d.r, d.n) == (13, 26)
    assert d.alpha == pytest.approx(stats.binom.sf(13, 26, 0.35), rel=1e-12)


@pytest.mark.parametrize("n", [1, 7, 27, 150, 1000])
@pytest.mark.parametrize("p", [0.0, 1e-9, 0.05, 0.35, 0.6, 0.999, 1.0])
def test_numpy_binomial_tails_match_scipy(n: int, p: float) -> None:
    # nakip.stats.binomial_probabilities replaces scipy.stats.binom on the design paths.
    from nakip.stats.binomial_probabilities import pmf_rows, prob_at_most, prob_greater

    k = np.arange(-2, n + 3)
    assert np.allclose(pmf_rows(n, p)[0], stats.binom.pmf(np.arange(n + 1), n, p), 1e-10, 1e-300)
    assert np.allclose(prob_greater(k, n, p)[0], stats.binom.sf(k, n, p), 1e-9, 1e-250)
    assert np.allclose(prob_at_most(k, n, p)[0], stats.binom.cdf(k, n, p), 1e-9, 1e-250)
    # the pure-Python versions (design commands without numpy)
    from nakip.stats.binomial_probabilities import at_most, greater, pmf_list

    assert np.allclose(pmf_list(n, p), stats.binom.pmf(np.arange(n + 1), n, p), 1e-10, 1e-300)
    assert np.allclose([greater(int(j), n, p) for j in k], stats.binom.sf(k, n, p), 1e-9, 1e-250)
    assert np.allclose([at_most(int(j), n, p) for j in k], stats.binom.cdf(k, n, p), 1e-9, 1e-250)


def test_single_stage_nmax_too_small() -> None:
    with pytest.raises(NoSingleStageDesignError, match="nmax"):
        single_stage_design(0.35, 0.60, 0.05, 0.80, nmax=25)


def test_single_stage_bad_rates() -> None:
    with pytest.raises(ValueError, match="p0 must be smaller than p1"):
        single_stage_design(0.6, 0.35)
    with pytest.raises(ValueError, match="power"):
        single_stage_design(0.2, 0.4, power=1.2)
