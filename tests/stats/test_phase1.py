"""Phase-I rules: BOIN boundaries against the published table; 3+3 exact OC vs hand/simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nakip.stats.phase1 import (
    BoinDesign,
    ThreePlusThree,
    boin_boundaries,
    isotonic_rates,
    select_mtd_boin,
)


# ------------------------------------------------------------------------------ BOIN
def test_boin_lambda_for_target_030() -> None:
    # Liu & Yuan (JRSS-C 2015) Table 1 and BOIN::get.boundary(target = 0.3): 0.236 and 0.358
    # (published to 3 decimals; the closed form gives 0.23649 and 0.35852).
    lam_e, lam_d = boin_boundaries(0.3)
    assert lam_e == pytest.approx(0.236, abs=1e-3)
    assert lam_d == pytest.approx(0.358, abs=1e-3)
    assert lam_e < 0.237 and lam_d < 0.359


def test_boin_lambda_for_target_025() -> None:
    # Liu & Yuan 2015, Table 1 (phi1 = 0.6 phi, phi2 = 1.4 phi): target 0.25 -> 0.197, 0.298.
    lam_e, lam_d = boin_boundaries(0.25)
    assert lam_e == pytest.approx(0.197, abs=1e-3)
    assert lam_d == pytest.approx(0.298, abs=1e-3)


def test_boin_boundary_table_matches_get_boundary() -> None:
    # BOIN R package documentation, get.boundary(target = 0.3, ncohort = 10, cohortsize = 3):
    # rows for n = 1..30 ("escalate if # of DLT <=", "deescalate if >=", "eliminate if >=").
    esc = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7]
    de = [1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 9, 10, 10, 11]
    de += [11, 11]
    eli = [None, None, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 8, 8, 8, 9, 9, 9, 10, 10, 11, 11, 11]
    eli += [12, 12, 12, 13, 13, 14]
    table = BoinDesign(0.3, 5, cohort_size=3, n_cohorts=10).boundaries
    assert [int(v) for v in table["escalate_if_at_most"]] == esc
    assert [int(v) for v in table["deescalate_if_at_least"]] == de
    got = [None if pd.isna(v) else int(v) for v in table["eliminate_if_at_least"].tolist()]
    assert got == eli
    # the brief's spot checks: n=3 -> 3, n=6 -> 4, n=9 -> 5, n=12 -> 7
    assert [int(table.loc[n, "eliminate_if_at_least"]) for n in (3, 6, 9, 12)] == [3, 4, 5, 7]


def test_isotonic_regression_pools_violators() -> None:
    x = np.array([1, 0, 3])
    n = np.array([3, 3, 6])
    iso = isotonic_rates(x, n)
    assert np.all(np.diff(iso) >= -1e-15)
    # doses 1-2 pooled with inverse-variance weights (BOIN select.mtd convention)
    phat = (x + 0.05) / (n + 0.1)
    w = (n + 0.1) ** 2 * (n + 1.1) / ((x + 0.05) * (n - x + 0.05))
    pooled = (phat[0] * w[0] + phat[1] * w[1]) / (w[0] + w[1])
    assert iso[0] == pytest.approx(pooled) and iso[1] == pytest.approx(pooled)
    assert iso[2] == pytest.approx(phat[2])


def test_select_mtd_excludes_eliminated_doses() -> None:
    # dose 2 has 5/6 DLT -> eliminated (Pr(p > 0.3 | 5/6) > 0.95), so dose 1 is selected
    assert select_mtd_boin(np.array([1, 5, 0]), np.array([6, 6, 0]), 0.3) == 0
    # lowest dose eliminated -> no MTD
    assert select_mtd_boin(np.array([3, 0]), np.array([3, 0]), 0.3) is None


def test_boin_simulation_sanity_and_reproducibility() -> None:
    design = BoinDesign(0.3, 4, cohort_size=3, n_cohorts=10)
    a = design.simulate([0.02, 0.03, 0.04, 0.05], n_trials=2000, seed=5)
    assert a.prob_select[-1] > 0.9  # all doses safe: the top dose is chosen
    toxic = design.simulate([0.8, 0.85, 0.9, 0.95], n_trials=2000, seed=5)
    assert toxic.prob_no_mtd > 0.9
    b = design.simulate([0.02, 0.03, 0.04, 0.05], n_trials=2000, seed=5)
    assert a.to_dict() == b.to_dict()
    assert sum(a.prob_select) + a.prob_no_mtd == pytest.approx(1.0)
    assert a.expected_n == pytest.approx(30.0)  # no early stop: all 10 cohorts treated


# ------------------------------------------------------------------------------ 3+3
def test_three_plus_three_single_dose_by_hand() -> None:
    # one dose, top-dose confirmation: select iff (0/3 then <= 1/3) or (1/3 then 0/3)
    q = 0.2
    p0, p1 = (1 - q) ** 3, 3 * q * (1 - q) ** 2
    expected = p0 * (p0 + p1) + p1 * p0
    oc = ThreePlusThree().operating_characteristics([q])
    assert oc.prob_select[0] == pytest.approx(expected, abs=1e-14)
    assert oc.prob_no_mtd == pytest.approx(1 - expected, abs=1e-14)
    # always 6 patients except >= 2/3 at the first cohort (3 patients)
    p_ge2 = 1 - p0 - p1
    assert oc.expected_n == pytest.approx(3 * p_ge2 + 6 * (1 - p_ge2), abs=1e-12)
    assert oc.expected_dlts == pytest.approx(q * oc.expected_n, abs=1e-12)


def test_three_plus_three_escalation_probability_storer() -> None:
    # Storer (1989): P(escalate past a dose) = (1-p)^3 + 3p(1-p)^5; with zero toxicity at dose
    # 1 and rate q at dose 2, dose 2 is selected (without top confirmation) with that probability.
    q = 0.25
    oc = ThreePlusThree(confirm_top=False).operating_characteristics([0.0, q])
    assert oc.prob_select[1] == pytest.approx((1 - q) ** 3 + 3 * q * (1 - q) ** 5, abs=1e-14)


@settings(max_examples=8, deadline=None)
@given(
    rates=st.lists(st.floats(0.0, 0.7), min_size=2, max_size=4).map(sorted),
    confirm=st.booleans(),
)
def test_three_plus_three_exact_matches_simulation(rates: list[float], confirm: bool) -> None:
    design = ThreePlusThree(confirm_top=confirm)
    exact = design.operating_characteristics(rates)
    sim = design.simulate(rates, n_trials=6000, seed=1)
    probs = np.array([*exact.prob_select, exact.prob_no_mtd])
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all((probs >= -1e-15) & (probs <= 1 + 1e-12))
    sim_probs = np.array([*sim.prob_select, sim.prob_no_mtd])
    se = np.sqrt(np.maximum(probs * (1 - probs), 1e-12) / 6000)
    assert np.all(np.abs(sim_probs - probs) <= 4 * se + 1e-9)
    assert abs(sim.expected_n - exact.expected_n) < 0.35
    assert exact.expected_dlts == pytest.approx(
        float(np.dot(rates, exact.expected_patients)), abs=1e-10
    )


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError):
        boin_boundaries(1.2)
    with pytest.raises(ValueError):
        BoinDesign(0.3, 0)
    with pytest.raises(ValueError):
        ThreePlusThree().operating_characteristics([0.2, 1.5])
    with pytest.raises(ValueError):
        BoinDesign(0.3, 3).simulate([0.1, 0.2], n_trials=10)


# ----------------------------------------------- BOIN against the R package (BOIN 2.7.2), issue 13
# Values typed from R: b <- BOIN::get.boundary(target, ncohort, cohortsize, cutoff.eli = ...);
# b$lambda_e, b$lambda_d and b$full_boundary_tab (b$boundary_tab for cohortsize = 1).
_NA = -1
_GET_BOUNDARY = {
    # (target, cohortsize, ncohort, cutoff.eli): (lambda_e, lambda_d, escalate, deesc, eliminate)
    (0.3, 3, 10, 0.95): (
        0.236491,
        0.358519,
        "0 0 0 0 1 1 1 1 2 2 2 2 3 3 3 3 4 4 4 4 4 5 5 5 5 6 6 6 6 7",
        "1 1 2 2 2 3 3 3 4 4 4 5 5 6 6 6 7 7 7 8 8 8 9 9 9 10 10 11 11 11",
        "-1 -1 3 3 4 4 5 5 5 6 6 7 7 8 8 8 9 9 9 10 10 11 11 11 12 12 12 13 13 14",
    ),
    (0.25, 3, 10, 0.95): (
        0.196801,
        0.298392,
        "0 0 0 0 0 1 1 1 1 1 2 2 2 2 2 3 3 3 3 3 4 4 4 4 4 5 5 5 5 5",
        "1 1 1 2 2 2 3 3 3 3 4 4 4 5 5 5 6 6 6 6 7 7 7 8 8 8 9 9 9 9",
        "-1 -1 3 3 3 4 4 4 5 5 6 6 6 7 7 7 8 8 8 9 9 9 10 10 10 11 11 11 12 12",
    ),
    (0.2, 1, 12, 0.95): (
        0.157242,
        0.238462,
        "0 0 0 0 0 0 1 1 1 1 1 1",
        "1 1 1 1 2 2 2 2 3 3 3 3",
        "-1 -1 2 3 3 3 4 4 4 5 5 5",
    ),
    (0.33, 2, 8, 0.9): (
        0.260377,
        0.394716,
        "0 0 0 1 1 1 1 2 2 2 2 3 3 3 3 4",
        "1 1 2 2 2 3 3 4 4 4 5 5 6 6 6 7",
        "-1 -1 3 3 3 4 4 5 5 6 6 6 7 7 8 8",
    ),
    (0.3, 3, 10, 0.99): (
        0.236491,
        0.358519,
        "0 0 0 0 1 1 1 1 2 2 2 2 3 3 3 3 4 4 4 4 4 5 5 5 5 6 6 6 6 7",
        "1 1 2 2 2 3 3 3 4 4 4 5 5 6 6 6 7 7 7 8 8 8 9 9 9 10 10 11 11 11",
        "-1 -1 3 4 5 5 6 6 7 7 7 8 8 9 9 10 10 11 11 11 12 12 13 13 13 14 14 15 15 15",
    ),
}


@pytest.mark.parametrize("setting", list(_GET_BOUNDARY))
def test_boin_boundaries_match_r_get_boundary(setting: tuple[float, int, int, float]) -> None:
    target, cohort_size, n_cohorts, cutoff_eli = setting
    lam_e, lam_d, esc, deesc, elim = _GET_BOUNDARY[setting]
    design = BoinDesign(target, 3, cohort_size, n_cohorts, cutoff_eli=cutoff_eli)
    assert design.lambda_e == pytest.approx(lam_e, abs=5e-7)
    assert design.lambda_d == pytest.approx(lam_d, abs=5e-7)
    table = design.boundaries.fillna(_NA).astype(int)
    assert table["escalate_if_at_most"].tolist() == [int(v) for v in esc.split()]
    assert table["deescalate_if_at_least"].tolist() == [int(v) for v in deesc.split()]
    assert table["eliminate_if_at_least"].tolist() == [int(v) for v in elim.split()]


# R: o <- BOIN::get.oc(target, p.true, ncohort, cohortsize, ntrial = 10000, seed = 6);
# o$selpercent, o$npatients, o$percentstop (percentages and mean patients per dose).
_GET_OC = [
    (0.3, (0.05, 0.15, 0.3, 0.45, 0.6), 3, 10, (1.08, 23.52, 54.96, 19.03, 1.39),
     (4.152, 9.197, 11.150, 4.732, 0.764), 0.02),
    (0.25, (0.1, 0.25, 0.4, 0.55), 3, 12, (18.50, 66.24, 14.32, 0.64),
     (12.436, 16.397, 6.045, 1.031), 0.30),
    (0.3, (0.45, 0.55, 0.65), 3, 10, (30.19, 1.52, 0.03), (15.449, 2.051, 0.203), 68.26),
]  # fmt: skip


@pytest.mark.parametrize(
    ("target", "rates", "cohort_size", "n_cohorts", "sel", "npts", "stop"), _GET_OC
)
def test_boin_oc_matches_r_get_oc_within_monte_carlo_error(
    target: float,
    rates: tuple[float, ...],
    cohort_size: int,
    n_cohorts: int,
    sel: tuple[float, ...],
    npts: tuple[float, ...],
    stop: float,
) -> None:
    trials = 10_000
    oc = BoinDesign(target, len(rates), cohort_size, n_cohorts).simulate(rates, trials, seed=11)
    r_sel = np.array(sel) / 100
    # Both sides are Monte Carlo estimates from 10,000 trials: 4 standard errors of a difference.
    pooled = np.maximum((np.array(oc.prob_select) + r_sel) / 2, 1 / trials)
    assert np.all(
        np.abs(np.array(oc.prob_select) - r_sel) < 4 * np.sqrt(2 * pooled * (1 - pooled) / trials)
    )
    p_stop = max((oc.prob_no_mtd + stop / 100) / 2, 1 / trials)
    assert abs(oc.prob_no_mtd - stop / 100) < 4 * np.sqrt(2 * p_stop * (1 - p_stop) / trials)
    # Patients at a dose lie in [0, N], so their SD is at most N/2.
    n_max = cohort_size * n_cohorts
    assert np.all(
        np.abs(np.array(oc.expected_patients) - npts) < 4 * (n_max / 2) * np.sqrt(2 / trials)
    )


@pytest.mark.parametrize(
    ("target", "cutoff"), [(0.3, 0.95), (0.25, 0.95), (0.2, 0.9), (0.33, 0.99)]
)
def test_elimination_counts_equal_the_beta_posterior_rule(target: float, cutoff: float) -> None:
    # BOIN's rule is 1 - pbeta(target, x + 1, n - x + 1) > cutoff.eli; NAKIP reads it off the
    # binomial cdf (Pr(Beta(x+1, n-x+1) > t) = Pr(Bin(n+1, t) <= x)). Checked against scipy at
    # the threshold count and the count below it, for every n.
    from scipy import stats

    from nakip.stats.phase1 import elimination_counts

    elim = elimination_counts(target, cutoff, 60)
    for n in range(61):
        x = int(elim[n])
        if x <= n:
            assert stats.beta.sf(target, x + 1, n - x + 1) > cutoff
        if x >= 1:
            assert stats.beta.sf(target, x, n - x + 2) <= cutoff
