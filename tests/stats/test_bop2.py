"""BOP2: boundaries from the definition, exact OC against brute-force simulation and sums.

No published BOP2 boundary table was available to us, so the checks are independent:
(1) boundaries recomputed from the posterior definition with scipy's Beta, (2) exact OC
against direct binomial sums and against a patient-by-patient multinomial simulation, (3) the
calibration's optimum against an exhaustive search written separately here.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from nakip.stats.bop2 import (
    Bop2Scenario,
    bop2_boundaries,
    bop2_oc,
    calibrate_bop2,
    cutoff_curve,
)

LOOKS = (10, 20, 30, 40)


def test_cutoff_curve_formula() -> None:
    # Zhou, Lee & Yuan 2017: C(n) = 1 - lambda (n/N)^gamma; C(N) = 1 - lambda.
    c = cutoff_curve(LOOKS, 0.8, 1.5)
    assert c[-1] == pytest.approx(0.2)
    assert c[0] == pytest.approx(1 - 0.8 * 0.25**1.5)


@pytest.mark.parametrize(("lam", "gamma"), [(0.86, 2.15), (0.7, 1.0), (0.95, 0.5)])
def test_boundaries_follow_the_posterior_rule(lam: float, gamma: float) -> None:
    b = bop2_boundaries(LOOKS, 0.2, lam, gamma, phi_tox=0.3)
    for k, n in enumerate(LOOKS):
        c = 1 - lam * (n / 40) ** gamma
        a_k = b.futility[k]
        post = lambda x, n=n: stats.beta.cdf(0.2, 0.2 + x, 0.8 + n - x)  # noqa: E731
        if a_k >= 0:
            assert post(a_k) > c
        assert a_k + 1 > n or post(a_k + 1) <= c
        t_k = b.toxicity[k]
        tox = lambda t, n=n: stats.beta.sf(0.3, 0.3 + t, 0.7 + n - t)  # noqa: E731
        if t_k <= n:
            assert tox(t_k) > c
        assert t_k - 1 < 0 or tox(t_k - 1) <= c


def _two_look_go_probability(a1: int, n1: int, a2: int, n2: int, p: float) -> float:
    """P(x1 > a1 and x1 + x2 > a2) by explicit binomial sums."""
    total = 0.0
    for x1 in range(a1 + 1, n1 + 1):
        total += stats.binom.pmf(x1, n1, p) * stats.binom.sf(a2 - x1, n2 - n1, p)
    return total


def test_efficacy_only_oc_against_binomial_sums() -> None:
    b = bop2_boundaries((15, 35), 0.3, 0.8, 1.0)
    for p in (0.3, 0.5):
        oc = bop2_oc(b, Bop2Scenario(p))
        direct = _two_look_go_probability(b.futility[0], 15, b.futility[1], 35, p)
        assert oc.prob_go == pytest.approx(direct, abs=1e-12)
        pet = stats.binom.cdf(b.futility[0], 15, p)
        assert oc.prob_early_stop == pytest.approx(pet, abs=1e-12)
        assert oc.expected_n == pytest.approx(15 * pet + 35 * (1 - pet), abs=1e-10)


def test_joint_oc_against_patient_level_simulation() -> None:
    b = bop2_boundaries(LOOKS, 0.35, 0.9, 1.0, phi_tox=0.3)
    sc = Bop2Scenario(0.5, 0.25, p_both=0.15, name="correlated")
    oc = bop2_oc(b, sc)
    rng = np.random.default_rng(11)
    trials = 60_000
    cells = sc.cells()  # eff&tox, eff only, tox only, neither
    outcome = rng.choice(4, size=(trials, 40), p=cells)
    eff = np.cumsum((outcome == 0) | (outcome == 1), axis=1)
    tox = np.cumsum((outcome == 0) | (outcome == 2), axis=1)
    alive = np.ones(trials, dtype=bool)
    n_used = np.full(trials, 40)
    for k, n in enumerate(LOOKS):
        stop = alive & ((eff[:, n - 1] <= b.futility[k]) | (tox[:, n - 1] >= b.toxicity[k]))
        n_used[stop] = n
        alive &= ~stop
    go = alive.mean()
    assert abs(go - oc.prob_go) < 4 * np.sqrt(go * (1 - go) / trials)
    en_se = n_used.std() / np.sqrt(trials)
    assert abs(n_used.mean() - oc.expected_n) < 4 * en_se


def test_joint_with_no_toxicity_equals_efficacy_only() -> None:
    joint = bop2_boundaries(LOOKS, 0.2, 0.86, 2.15, phi_tox=0.3)
    eff = bop2_boundaries(LOOKS, 0.2, 0.86, 2.15)
    assert joint.futility == eff.futility
    a = bop2_oc(joint, Bop2Scenario(0.4, 0.0)).prob_go
    b = bop2_oc(eff, Bop2Scenario(0.4)).prob_go
    assert a == pytest.approx(b, abs=1e-12)


def test_calibration_is_the_grid_optimum() -> None:
    lams = np.round(np.arange(0.5, 1.0, 0.05), 3)
    gams = np.round(np.arange(0.0, 2.01, 0.25), 3)
    cal = calibrate_bop2(LOOKS, 0.2, 0.4, alpha=0.10, lambdas=lams, gammas=gams)
    assert cal.type_i_error <= 0.10
    best = -1.0
    for lam in lams:
        for g in gams:
            b = bop2_boundaries(LOOKS, 0.2, float(lam), float(g))
            if bop2_oc(b, Bop2Scenario(0.2)).prob_go <= 0.10:
                best = max(best, bop2_oc(b, Bop2Scenario(0.4)).prob_go)
    assert cal.power == pytest.approx(best, abs=1e-12)
    assert cal.oc[0].prob_go == pytest.approx(cal.type_i_error)
    assert cal.oc[1].prob_go == pytest.approx(cal.power)


def test_joint_calibration_controls_every_null() -> None:
    cal = calibrate_bop2(
        LOOKS,
        0.35,
        0.60,
        alpha=0.10,
        null_tox=0.30,
        alt_tox=0.15,
        lambdas=np.arange(0.5, 1.0, 0.05),
        gammas=np.arange(0.0, 2.01, 0.25),
    )
    nulls = [o for o in cal.oc if o.scenario.name.startswith("H0")]
    assert len(nulls) == 3 and all(o.prob_go <= 0.10 + 1e-12 for o in nulls)
    assert cal.power > 0.5
    for o in cal.oc:
        assert 0 <= o.prob_go <= 1 and 0 <= o.prob_early_stop <= 1
        assert o.prob_early_stop + o.prob_go <= 1 + 1e-12
    d = cal.to_dict()
    assert d["boundaries"]["stop_if_toxicities_at_least"] is not None


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError):
        calibrate_bop2(LOOKS, 0.4, 0.2)
    with pytest.raises(ValueError):
        bop2_boundaries((10, 5), 0.2, 0.8, 1.0)
    with pytest.raises(ValueError):
        Bop2Scenario(0.3, 0.2, p_both=0.5).cells()
