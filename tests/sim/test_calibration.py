"""Calibration: with the potencies of scenarios.yaml, 10,000 model patients of each cohort —
drawn with a seed other than the calibration's — respond at the scenario's target rate within
+-0.015 (the MC SE at 10,000 is 0.005), the endpoint decided by the clinical rules
(nakip.clinical.eln2022 / nakip.clinical.mrd, without the ORM)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nakip.protocol import load_protocol
from nakip.sim.scenario import get_scenario, model_response_rate

PROTO = load_protocol()


@pytest.mark.slow
@pytest.mark.parametrize("cohort", ["overt", "mrd"])
@pytest.mark.parametrize(("scenario", "target"), [("null", 0.35), ("target", 0.60)])
def test_model_response_rate_lands_on_the_target(scenario: str, target: float, cohort: str) -> None:
    truth = get_scenario(scenario).cohorts[cohort]
    assert truth.response_rate == target
    rate = model_response_rate(PROTO, cohort, truth.rates, 10_000, seed=777)
    assert abs(rate - target) <= 0.015, rate


def test_more_nk_potency_more_responders() -> None:
    """The calibrated quantity acts in the expected direction (what makes calibration work)."""
    rates = get_scenario("target").cohorts["overt"].rates
    weaker = replace(rates, potency=rates.potency / 4)
    low = model_response_rate(PROTO, "overt", weaker, 600, seed=3)
    high = model_response_rate(PROTO, "overt", rates, 600, seed=3)
    assert low < high - 0.1
