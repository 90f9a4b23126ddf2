"""Bayesian monitoring rules: published values, brute-force checks and property tests."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from nakip.stats.bayes_monitor import (
    BayesianToxicityMonitor,
    PredictiveProbabilityMonitor,
    ThallSimonEsteyMonitor,
    predictive_probability,
    tse_probability,
)


# ------------------------------------------------------------------ published values
def test_predictive_probability_matches_ph2bye_example() -> None:
    # R package ph2bye, PredP documentation example: PredP(16, 23, 40, 1, 1, 0.5, 0.9) = 0.8871897
    assert predictive_probability(16, 23, 40, 1.0, 1.0, 0.5, 0.9)[0] == pytest.approx(
        0.8871897, abs=1e-6
    )


def test_predictive_probability_matches_lee_liu_2008_example() -> None:
    # Lee & Liu, Clin Trials 2008;5:93, worked example: Beta(0.6, 0.4) prior, p0 = 0.60,
    # 16 responses in 23 patients, Nmax = 40, theta_T = 0.90 -> PP = 0.5656.
    assert predictive_probability(16, 23, 40, 0.6, 0.4, 0.6, 0.9)[0] == pytest.approx(
        0.5656, abs=5e-5
    )


# ------------------------------------------------------------------ brute-force checks
def _posterior_tail_by_quadrature(x: int, n: int, a: float, b: float, limit: float) -> float:
    """Pr(p > limit | x, n) from the unnormalised likelihood x prior, integrated numerically."""

    def dens(p: float) -> float:
        return p ** (a + x - 1) * (1 - p) ** (b + n - x - 1)

    num = integrate.quad(dens, limit, 1, limit=200)[0]
    den = integrate.quad(dens, 0, 1, limit=200, points=[limit])[0]
    return num / den


@pytest.mark.parametrize(("a", "b", "limit", "cutoff"), [(1, 1, 0.3, 0.9), (0.3, 0.7, 0.3, 0.9)])
def test_boundary_is_the_threshold_of_the_posterior(
    a: float, b: float, limit: float, cutoff: float
) -> None:
    mon = BayesianToxicityMonitor(a, b, limit, cutoff, nmax=20)
    for n, bn in enumerate(mon.stop_counts, start=1):
        if bn <= n:
            assert _posterior_tail_by_quadrature(int(bn), n, a, b, limit) > cutoff
        if bn - 1 >= 0:
            assert _posterior_tail_by_quadrature(int(min(bn - 1, n)), n, a, b, limit) <= cutoff


def test_uniform_prior_first_patient_threshold() -> None:
    # Beta(1,1), 1 event of 1: posterior Beta(2,1), Pr(p > 0.3) = 1 - 0.3^2 = 0.91.
    assert BayesianToxicityMonitor(1, 1, 0.3, 0.90, 5).stop_counts[0] == 1
    assert BayesianToxicityMonitor(1, 1, 0.3, 0.91, 5).stop_counts[0] == 2  # 0.91 is not > 0.91


def _brute_force_oc(stop_counts: tuple[int, ...], p: float) -> tuple[float, float]:
    """Enumerate every 0/1 sequence of nmax patients: P(stop) and E[N]."""
    nmax = len(stop_counts)
    p_stop = 0.0
    e_n = 0.0
    for seq in itertools.product((0, 1), repeat=nmax):
        prob = float(np.prod([p if s else 1 - p for s in seq]))
        x = 0
        n_used = nmax
        stopped = False
        for i, s in enumerate(seq, start=1):
            x += s
            if x >= stop_counts[i - 1]:
                n_used = i
                stopped = True
                break
        p_stop += prob * stopped
        e_n += prob * n_used
    return p_stop, e_n


@pytest.mark.parametrize("p", [0.1, 0.35, 0.6])
def test_exact_oc_matches_enumeration_of_all_paths(p: float) -> None:
    mon = BayesianToxicityMonitor(0.5, 1.5, 0.25, 0.85, nmax=11, min_patients=2)
    oc = mon.operating_characteristics([p])
    p_stop, e_n = _brute_force_oc(mon.stop_counts, p)
    assert oc.prob_stop[0] == pytest.approx(p_stop, abs=1e-12)
    assert oc.expected_n[0] == pytest.approx(e_n, abs=1e-10)


def test_min_patients_blocks_early_stops() -> None:
    mon = BayesianToxicityMonitor(0.3, 0.7, 0.3, 0.9, 24, min_patients=3)
    table = mon.boundaries
    assert (
        table.loc[1, "stop_if_at_least"] is pd_na() and table.loc[2, "stop_if_at_least"] is pd_na()
    )
    assert int(table.loc[3, "stop_if_at_least"]) == 3
    oc = mon.operating_characteristics([0.9])
    assert oc.prob_stop_by_n[0][0] == 0.0 and oc.prob_stop_by_n[0][1] == 0.0


def pd_na() -> object:
    import pandas as pd

    return pd.NA


def test_tse_probability_matches_monte_carlo() -> None:
    rng = np.random.default_rng(7)
    pe = rng.beta(0.6 + 5, 1.4 + 15, 400_000)
    ps = rng.beta(15, 35, 400_000)
    mc = np.mean(pe > ps + 0.05)
    exact = tse_probability(5, 20, 0.6, 1.4, 15, 35, 0.05)[0]
    assert exact == pytest.approx(mc, abs=4 * np.sqrt(mc * (1 - mc) / pe.size) + 1e-4)


def test_tse_with_point_mass_standard_reduces_to_simple_monitor() -> None:
    # A standard prior concentrated at 0.3 makes Pr(p_E > p_S + 0) = Pr(p_E > 0.3).
    tse = ThallSimonEsteyMonitor(
        0.3e6, 0.7e6, 0.0, 0.9, 24, direction="toxicity", experimental_a=1, experimental_b=1
    )
    simple = BayesianToxicityMonitor(1, 1, 0.3, 0.9, 24)
    assert np.array_equal(tse.stop_counts, simple.stop_counts)


def test_tse_efficacy_futility_boundary_definition() -> None:
    mon = ThallSimonEsteyMonitor(15, 35, 0.15, 0.05, 30, direction="efficacy")
    for n, ln in enumerate(mon.stop_counts, start=1):
        if ln >= 0:
            assert mon.probability(int(ln), n)[0] < 0.05
        if ln + 1 <= n:
            assert mon.probability(int(ln) + 1, n)[0] >= 0.05


def test_predictive_monitor_final_rule_and_oc_against_simulation() -> None:
    pm = PredictiveProbabilityMonitor(0.6, 0.4, 0.2, 0.9, 0.05, 40, min_patients=10)
    final = int(pm.futility_counts[-1])
    post = stats.beta.sf(0.2, 0.6 + np.arange(41), 0.4 + 40 - np.arange(41))
    assert post[final] <= 0.9 < post[final + 1]
    # brute-force simulation of the rule, patient by patient
    oc = pm.operating_characteristics([0.2, 0.4])
    rng = np.random.default_rng(3)
    trials = 40_000
    bounds = dict(zip(pm.looks, pm.futility_counts, strict=True))
    for i, p in enumerate([0.2, 0.4]):
        seq = rng.random((trials, 40)) < p
        cum = seq.cumsum(axis=1)
        success = np.ones(trials, dtype=bool)
        for n in pm.looks:
            success &= ~(cum[:, n - 1] <= bounds[n])
        est = success.mean()
        se = np.sqrt(est * (1 - est) / trials)
        assert abs(est - oc.prob_success[i]) < 4 * se + 1e-9


# ------------------------------------------------------------------ properties
monitors = st.builds(
    BayesianToxicityMonitor,
    prior_a=st.floats(0.1, 5),
    prior_b=st.floats(0.1, 5),
    limit=st.floats(0.05, 0.8),
    cutoff=st.floats(0.5, 0.99),
    nmax=st.integers(1, 40),
)


@settings(max_examples=40, deadline=None)
@given(mon=monitors, rate=st.floats(0.0, 1.0))
def test_boundaries_monotone_and_oc_consistent(mon: BayesianToxicityMonitor, rate: float) -> None:
    counts = np.asarray(mon.stop_counts)
    finite = counts[counts <= np.arange(1, mon.nmax + 1)]
    assert np.all(np.diff(finite) >= 0)  # more patients never need fewer events to stop
    assert np.all(np.diff(counts) >= 0)
    oc = mon.operating_characteristics([rate])
    by_n = np.asarray(oc.prob_stop_by_n[0])
    assert np.all(by_n >= -1e-15) and np.all(by_n <= 1 + 1e-12)
    assert by_n.sum() == pytest.approx(oc.prob_stop[0], abs=1e-12)
    assert 0 <= oc.prob_stop[0] <= 1 + 1e-12
    assert oc.expected_n[0] >= 1 - 1e-9 and oc.expected_n[0] <= mon.nmax + 1e-9
    # Wald's identity: E[events] = rate * E[N] for a stopping rule on i.i.d. patients
    assert oc.expected_events[0] == pytest.approx(rate * oc.expected_n[0], abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(mon=monitors)
def test_stop_probability_increases_with_the_true_rate(mon: BayesianToxicityMonitor) -> None:
    stop = np.asarray(mon.operating_characteristics([0.05, 0.2, 0.4, 0.6, 0.8]).prob_stop)
    assert np.all(np.diff(stop) >= -1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"prior_a": 0, "prior_b": 1, "limit": 0.3, "cutoff": 0.9, "nmax": 10},
        {"prior_a": 1, "prior_b": 1, "limit": 1.3, "cutoff": 0.9, "nmax": 10},
        {"prior_a": 1, "prior_b": 1, "limit": 0.3, "cutoff": 1.0, "nmax": 10},
        {"prior_a": 1, "prior_b": 1, "limit": 0.3, "cutoff": 0.9, "nmax": 0},
    ],
)
def test_bad_parameters_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        BayesianToxicityMonitor(**kwargs)


def test_oc_result_shapes() -> None:
    oc = BayesianToxicityMonitor(1, 1, 0.3, 0.9, 12).operating_characteristics([0.1, 0.3])
    d = oc.to_dict()
    assert d["rates"] == [0.1, 0.3] and len(d["prob_stop_by_n"][0]) == 12
    assert list(oc.summary.index) == [0.1, 0.3]
    assert oc.stop_by_n.shape == (12, 2)


@pytest.mark.parametrize(
    ("sa", "sb", "delta", "cutoff", "direction", "min_patients"),
    [
        (1.5, 3.5, 0.1, 0.1, "efficacy", 5),
        (3, 7, 0.05, 0.8, "toxicity", 1),
        (3, 7, 0.05, 0.8, "toxicity", 4),
    ],
)
def test_tse_incremental_boundary_equals_full_search(
    sa: float, sb: float, delta: float, cutoff: float, direction: str, min_patients: int
) -> None:
    mon = ThallSimonEsteyMonitor(
        sa, sb, delta, cutoff, 14, direction=direction, min_patients=min_patients
    )
    for n in range(1, 15):
        xs = np.arange(n + 1)
        prob = mon.probability(xs, n)
        if direction == "efficacy":
            hit = (prob < cutoff) & (n >= min_patients)
            expected = int(xs[hit][-1]) if hit.any() else -1
        else:
            hit = (prob > cutoff) & (n >= min_patients)
            expected = int(xs[hit][0]) if hit.any() else n + 1
        assert mon.stop_counts[n - 1] == expected


def test_predictive_futility_boundary_matches_ph2bayes_example() -> None:
    """R ph2bayes 0.0.2, documented example `stopbound_pred(0.05, "futility", 40, 0.6, 1.4, 0.3,
    0.85)` (Lee & Liu 2008 criterion; output shown on its rdrr.io help page): the futility bound
    (stop if responses <= bound) first reaches each value at these n."""
    mon = PredictiveProbabilityMonitor(
        prior_a=0.6, prior_b=1.4, p0=0.3, theta_t=0.85, theta_l=0.05, nmax=40
    )
    bounds = mon.boundaries["stop_if_at_most"]
    assert all(pd.isna(bounds.loc[n]) for n in (1, 2, 3))
    published_first_n = {0: 4, 1: 8, 2: 11, 3: 14, 4: 17, 5: 20, 6: 22, 7: 25, 8: 27, 9: 29}
    for bound, first_n in published_first_n.items():
        assert bounds.loc[first_n] == bound
        assert pd.isna(bounds.loc[first_n - 1]) or bounds.loc[first_n - 1] == bound - 1


def _full_search_stop_counts(a: float, b: float, limit: float, cutoff: float, nmax: int, m: int):
    """The former quadratic search: for every n, scan x = 0..n for the first stopping count."""
    out = []
    for n in range(1, nmax + 1):
        xs = np.arange(n + 1)
        hit = (stats.beta.sf(limit, a + xs, b + n - xs) > cutoff) & (n >= m)
        out.append(int(xs[hit][0]) if hit.any() else n + 1)
    return np.asarray(out)


@pytest.mark.parametrize(
    ("a", "b", "limit", "cutoff", "nmax", "min_patients"),
    [
        (1, 1, 0.3, 0.90, 200, 1),
        (0.5, 0.5, 0.2, 0.95, 200, 1),
        (3, 7, 0.35, 0.80, 150, 6),
        (0.6, 1.4, 0.3, 0.85, 200, 10),
        (9, 1, 0.5, 0.99, 60, 1),  # a pessimistic prior: stops may start at x = 0
    ],
)
def test_linear_boundary_search_equals_full_search(
    a: float, b: float, limit: float, cutoff: float, nmax: int, min_patients: int
) -> None:
    mon = BayesianToxicityMonitor(a, b, limit, cutoff, nmax, min_patients=min_patients)
    expected = _full_search_stop_counts(a, b, limit, cutoff, nmax, min_patients)
    assert np.array_equal(mon.stop_counts, expected)
    started = expected[min_patients - 1 :]
    assert np.all(np.diff(started) >= 0)  # the monotonicity the linear search relies on
