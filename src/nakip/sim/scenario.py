"""Scenarios of the virtual trial (`scenarios.yaml`): true rates per cohort, the calibrated NK
potency that makes the mechanistic model deliver each response rate, and the calibration.

A scenario is what the statistician chooses: the true response rate of each cohort (e.g. the
design's p0 0.35 or p1 0.60), and the per-patient probabilities of a DLT, an NK-product failure
and an early drop-out. The model has no response-rate parameter; `calibrate` finds the NK
potency whose model patients, classified by the clinical rules, respond at the target rate
(common random numbers, bisection then secant steps on log potency).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from nakip.protocol import Protocol
from nakip.sim.cohort import CohortRates, simulate_cohort

SCENARIOS_FILE = Path(__file__).with_name("scenarios.yaml")
DEFAULT_SCENARIO = "target"


class ScenarioError(ValueError):
    """A scenario name or file that cannot be used (the message names it)."""


@dataclass(frozen=True)
class CohortScenario:
    """A scenario's truth for one cohort."""

    response_rate: float
    rates: CohortRates

    def to_dict(self) -> dict[str, Any]:
        return {"response_rate": self.response_rate, **self.rates.to_dict()}


@dataclass(frozen=True)
class TrialScenario:
    """A named scenario: its description, screen-failure rate and each cohort's truth."""

    name: str
    description: str
    screen_failure_rate: float
    cohorts: Mapping[str, CohortScenario]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "screen_failure_rate": self.screen_failure_rate,
            "cohorts": {k: v.to_dict() for k, v in self.cohorts.items()},
        }


def _probability(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ScenarioError(f"{where}: expected a probability in [0, 1], got {value!r}")
    return float(value)


@cache
def load_scenarios(path: Path = SCENARIOS_FILE) -> dict[str, TrialScenario]:
    """All scenarios of the file, by name (validated; a bad entry raises ScenarioError)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, TrialScenario] = {}
    defaults = data.get("defaults", {})
    for key, spec in data["scenarios"].items():
        name = str(key)
        cohorts: dict[str, CohortScenario] = {}
        for code, c in spec["cohorts"].items():
            merged = {**defaults, **spec.get("rates", {}), **c}
            where = f"{path.name}: {name}.{code}"
            potency = merged.get("potency")
            if not isinstance(potency, int | float) or potency <= 0:
                raise ScenarioError(f"{where}.potency: expected a positive number")
            cohorts[code] = CohortScenario(
                _probability(f"{where}.response_rate", merged["response_rate"]),
                CohortRates(
                    float(potency),
                    _probability(f"{where}.dlt_rate", merged["dlt_rate"]),
                    _probability(
                        f"{where}.feasibility_failure_rate", merged["feasibility_failure_rate"]
                    ),
                    _probability(f"{where}.early_dropout_rate", merged["early_dropout_rate"]),
                ),
            )
        out[name] = TrialScenario(
            name,
            " ".join(str(spec.get("description", "")).split()),
            _probability(f"{name}.screen_failure_rate", merged["screen_failure_rate"]),
            cohorts,
        )
    return out


def get_scenario(name: str) -> TrialScenario:
    """The scenario called `name`, or ScenarioError listing the known names."""
    scenarios = load_scenarios()
    if name not in scenarios:
        raise ScenarioError(
            f"--scenario: unknown scenario {name!r}; choose one of {', '.join(scenarios)}"
        )
    return scenarios[name]


# =========================================================================== calibration
def model_response_rate(
    protocol: Protocol, cohort_code: str, rates: CohortRates, n: int, seed: int
) -> float:
    """Share of `n` model patients who respond under the clinical rules."""
    cohort = protocol.cohort(cohort_code)
    run = simulate_cohort(cohort, n, rates, np.random.default_rng(seed), protocol)
    return float(run.responders.mean())


def calibrate(
    protocol: Protocol,
    cohort_code: str,
    target: float,
    rates: CohortRates,
    *,
    seed: int = 20261202,
    coarse_n: int = 2000,
    fine_n: int = 12000,
    bounds: tuple[float, float] = (1e-3, 30.0),
) -> tuple[float, float]:
    """The NK potency giving response rate `target` (and the rate reached at `fine_n`):
    bisection on log potency with `coarse_n` patients, then secant steps with `fine_n`
    (the same seed each time, so the rate is a smooth function of potency)."""

    def rate(log_potency: float, n: int) -> float:
        r = replace(rates, potency=math.exp(log_potency))
        return model_response_rate(protocol, cohort_code, r, n, seed)

    lo, hi = math.log(bounds[0]), math.log(bounds[1])
    for _ in range(8):
        mid = (lo + hi) / 2
        if rate(mid, coarse_n) < target:
            lo = mid
        else:
            hi = mid
    x0, x1 = lo, hi
    f0, f1 = rate(x0, fine_n) - target, rate(x1, fine_n) - target
    for _ in range(4):
        if f1 == f0:
            break
        x2 = x1 - f1 * (x1 - x0) / (f1 - f0)
        x0, f0 = x1, f1
        x1, f1 = x2, rate(x2, fine_n) - target
        if abs(f1) < 0.003:
            break
    return math.exp(x1), f1 + target
