"""Exact operating characteristics of a rule at one true rate, by the lattice recursion.

`_exact.sequential_oc` walks every (patients, responses) state, so no Monte Carlo error.
"""

from __future__ import annotations

from dataclasses import dataclass

from nakip.stats._exact import sequential_oc
from nakip.stats.oc.designs import Design


@dataclass(frozen=True)
class ExactOC:
    """Exact early-stop and success probabilities and expected N of a rule at one rate."""

    prob_early_stop: float
    prob_success: float
    expected_n: float


def exact_oc(design: Design, rate: float) -> ExactOC:
    """Exact OC of a design at a true rate (binomial lattice recursion)."""
    rule = design.rule()
    raw = sequential_oc(rule.looks, rule.lower, rule.upper, [rate])
    stops = [lo + up for lo, up in zip(raw.stop_lower[0], raw.stop_upper[0], strict=True)]
    return ExactOC(
        prob_early_stop=float(sum(stops[:-1])),
        prob_success=float(raw.completed[0]),
        expected_n=float(raw.expected_n[0]),
    )
