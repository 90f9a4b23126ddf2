"""Replicates on the light path agree with the exact operating characteristics of the design
(nakip.stats.simon.operating_characteristics, BayesianToxicityMonitor) within 4 Monte Carlo SE."""

from __future__ import annotations

import math

import pytest

from nakip.protocol import load_protocol
from nakip.sim.replicates import run_replicates
from nakip.sim.scenario import get_scenario

PROTO = load_protocol()


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["null", "toxic"])
def test_small_replicate_run_agrees_with_the_exact_oc(scenario: str) -> None:
    res = run_replicates(PROTO, get_scenario(scenario), 100, seed=11, backend="local")
    assert {r.cohort for r in res.rows} == {"overt", "mrd"}
    for row in res.rows:
        assert abs(row.z) <= 4, row
        if row.quantity.startswith("P("):
            # against the scenario's own rate too (calibration offset is far below 1 SE here)
            se = math.sqrt(row.exact_at_target * (1 - row.exact_at_target) / 100)
            assert abs(row.empirical - row.exact_at_target) <= 4 * se + 1e-12, row
    for code, rate in res.model_rates.items():
        assert abs(rate - res.target_rates[code]) < 0.05


@pytest.mark.slow
def test_dask_local_cluster_gives_the_local_result() -> None:
    sc = get_scenario("null")
    local = run_replicates(PROTO, sc, 30, seed=5, backend="local")
    dask = run_replicates(PROTO, sc, 30, seed=5, backend="dask")
    assert [r.empirical for r in dask.rows] == [r.empirical for r in local.rows]
