"""Operating characteristics: exact vs Simon (1989) and binomial sums; Monte Carlo vs exact."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from nakip.stats.oc import (
    BoundaryRule,
    Scenario,
    SimonTwoStage,
    SingleStage,
    design_from_spec,
    exact_oc,
    load_scenarios,
    simulate_chunk,
    simulate_grid,
)


def test_simon_optimal_design_published_values() -> None:
    # Simon (Control Clin Trials 1989;10:1), Table 1: p0 = 0.10, p1 = 0.30, alpha 0.05, power 0.80,
    # optimal design r1/n1 = 1/10, r/n = 5/29: EN(p0) = 15.0, PET(p0) = 0.74.
    d = SimonTwoStage(1, 10, 5, 29)
    ex = exact_oc(d, 0.10)
    assert ex.prob_early_stop == pytest.approx(0.74, abs=0.005)
    assert ex.expected_n == pytest.approx(15.0, abs=0.05)
    assert exact_oc(d, 0.10).prob_success <= 0.05
    assert exact_oc(d, 0.30).prob_success >= 0.80


def _simon_by_sums(d: SimonTwoStage, p: float) -> tuple[float, float]:
    pet = stats.binom.cdf(d.r1, d.n1, p)
    success = sum(
        stats.binom.pmf(x1, d.n1, p) * stats.binom.sf(d.r - x1, d.n - d.n1, p)
        for x1 in range(d.r1 + 1, d.n1 + 1)
    )
    return float(pet), float(success)


@pytest.mark.parametrize("p", [0.2, 0.35, 0.6])
def test_simon_exact_against_binomial_sums(p: float) -> None:
    d = SimonTwoStage(3, 9, 13, 27)  # the registry-implied Simon design for 0.35 vs 0.60
    pet, success = _simon_by_sums(d, p)
    ex = exact_oc(d, p)
    assert ex.prob_early_stop == pytest.approx(pet, abs=1e-12)
    assert ex.prob_success == pytest.approx(success, abs=1e-12)
    assert ex.expected_n == pytest.approx(9 * pet + 27 * (1 - pet), abs=1e-10)


def test_single_stage_exact_is_binomial_tail() -> None:
    ex = exact_oc(SingleStage(13, 27), 0.35)
    assert ex.prob_success == pytest.approx(stats.binom.sf(13, 27, 0.35), abs=1e-12)


# ---------------------------------------------------------------- Monte Carlo vs exact
simon_designs = st.integers(2, 15).flatmap(
    lambda n1: st.integers(n1 + 1, n1 + 25).flatmap(
        lambda n: st.integers(-1, n1 - 1).flatmap(
            lambda r1: st.integers(max(r1, 0), n - 1).map(lambda r: SimonTwoStage(r1, n1, r, n))
        )
    )
)


@settings(max_examples=25, deadline=None)
@given(design=simon_designs, rate=st.floats(0.02, 0.98), seed=st.integers(0, 2**31))
def test_monte_carlo_simon_within_4_se_of_exact(
    design: SimonTwoStage, rate: float, seed: int
) -> None:
    res = simulate_grid([Scenario(design, rate)], 20_000, seed=seed, chunk_size=7_000)
    s = res.scenarios[0]
    for est, ex in (
        (s.prob_early_stop, s.exact_prob_early_stop),
        (s.prob_success, s.exact_prob_success),
    ):
        se = np.sqrt(max(ex * (1 - ex), 1e-12) / s.n_trials)
        assert abs(est - ex) <= 4 * se + 1e-9
    # N takes two values, n1 and n: its exact SD is (n - n1) sqrt(PET (1 - PET))
    pet = s.exact_prob_early_stop
    se_n = (design.n - design.n1) * np.sqrt(max(pet * (1 - pet), 1e-12) / s.n_trials)
    assert abs(s.expected_n - s.exact_expected_n) <= 4 * se_n + 1e-9


@settings(max_examples=10, deadline=None)
@given(
    cutoff=st.floats(0.6, 0.97),
    limit=st.floats(0.1, 0.5),
    rate=st.floats(0.05, 0.7),
    seed=st.integers(0, 2**31),
)
def test_monte_carlo_bayes_monitor_within_4_se(
    cutoff: float, limit: float, rate: float, seed: int
) -> None:
    design = design_from_spec(
        {
            "type": "bayes_toxicity",
            "prior_a": 1,
            "prior_b": 1,
            "limit": limit,
            "cutoff": cutoff,
            "nmax": 20,
        }
    )
    s = simulate_grid([Scenario(design, rate)], 20_000, seed=seed).scenarios[0]
    stop = 1 - s.exact_prob_success
    se = np.sqrt(max(stop * (1 - stop), 1e-12) / s.n_trials)
    assert abs((1 - s.prob_success) - stop) <= 4 * se + 1e-9
    # Var(N) <= nmax^2 Pr(stop), a bound that stays positive when the MC sample has no stop
    se_n = max(s.mcse_expected_n, 20 * np.sqrt(stop / s.n_trials))
    assert abs(s.expected_n - s.exact_expected_n) <= 4 * se_n + 1e-9


def test_generic_rule_lower_and_upper() -> None:
    rule = BoundaryRule((10, 20), (2, 6), (8, 15))
    ex = exact_oc(rule, 0.4)
    # brute force: x1 ~ Bin(10), x2 ~ Bin(10)
    p1 = stats.binom.pmf(np.arange(11), 10, 0.4)
    early = p1[:3].sum() + p1[8:].sum()
    succ = sum(
        p1[x1]
        * stats.binom.pmf(np.arange(11), 10, 0.4)[
            (x1 + np.arange(11) > 6) & (x1 + np.arange(11) < 15)
        ].sum()
        for x1 in range(3, 8)
    )
    assert ex.prob_early_stop == pytest.approx(early, abs=1e-12)
    assert ex.prob_success == pytest.approx(succ, abs=1e-12)


# ---------------------------------------------------------------- reproducibility, backends
def _grid() -> list[Scenario]:
    return [
        Scenario(SimonTwoStage(3, 9, 13, 27), 0.35, "simon-null"),
        Scenario(SingleStage(13, 27), 0.6, "single-alt"),
        Scenario(BoundaryRule((10, 20), (2, 6), (8, 15)), 0.4, "generic"),
    ]


def test_same_seed_same_result_and_chunks_fixed() -> None:
    a = simulate_grid(_grid(), 30_000, seed=9, chunk_size=8_000)
    b = simulate_grid(_grid(), 30_000, seed=9, chunk_size=8_000)
    c = simulate_grid(_grid(), 30_000, seed=10, chunk_size=8_000)
    strip = lambda r: [{k: v for k, v in s.to_dict().items()} for s in r.scenarios]  # noqa: E731
    assert strip(a) == strip(b)
    assert strip(a) != strip(c)


def test_dask_backend_matches_local() -> None:
    from distributed import Client, LocalCluster

    local = simulate_grid(_grid(), 30_000, seed=4, chunk_size=8_000)
    with (
        LocalCluster(
            processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        remote = simulate_grid(
            _grid(), 30_000, seed=4, chunk_size=8_000, backend="dask", scheduler=client
        )
    assert [s.to_dict() for s in local.scenarios] == [s.to_dict() for s in remote.scenarios]
    assert remote.backend == "dask"


def test_chunk_sums_are_integers_and_counts_patients() -> None:
    out = simulate_chunk(SimonTwoStage(1, 10, 5, 29), 0.1, 1000, seed=1)
    stops = out["early_stops"]
    assert out["sum_n"] == stops * 10 + (1000 - stops) * 29
    assert all(isinstance(v, int) for v in out.values())


# ---------------------------------------------------------------- scenario files
def test_load_yaml_and_json(tmp_path: Path) -> None:
    y = tmp_path / "s.yaml"
    y.write_text(
        "scenarios:\n"
        "  - name: simon\n"
        "    design: {type: simon, r1: 3, n1: 9, r: 13, n: 27}\n"
        "    rates: [0.35, 0.6]\n"
        "  - design: {type: bayes_toxicity, prior_a: 1, prior_b: 1, limit: 0.3, cutoff: 0.9,"
        " nmax: 24}\n"
        "    rate: 0.2\n",
        encoding="utf-8",
    )
    scs = load_scenarios(y)
    assert [s.name for s in scs] == ["simon@0.35", "simon@0.6", "scenario-2"]
    j = tmp_path / "s.json"
    j.write_text(json.dumps([{"design": {"type": "single_stage", "r": 5, "n": 20}, "rate": 0.3}]))
    assert load_scenarios(j)[0].design == SingleStage(5, 20)


@pytest.mark.parametrize(
    "content",
    [
        "[]",
        "- design: {type: nope}\n  rate: 0.2\n",
        "- design: {type: simon, r1: 3, n1: 9, r: 13, n: 27}\n  rate: 1.5\n",
        "- design: {type: simon, r1: 3, n1: 9, r: 13}\n  rate: 0.3\n",
        "- rate: 0.3\n",
    ],
)
def test_bad_scenario_files_raise(tmp_path: Path, content: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError):
        load_scenarios(f)
