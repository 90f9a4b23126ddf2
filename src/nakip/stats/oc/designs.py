"""Single-arm binary-endpoint rules for operating characteristics, and their spec mapping.

Single-stage, Simon two-stage and a generic boundary rule (stop if x <= lower or x >= upper at a
look); `design_from_spec` reads one from a scenario file's ``design`` mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nakip.stats._exact import NO_LOWER, no_upper


@dataclass(frozen=True)
class SingleStage:
    """Single-stage rule: treat n patients, success (reject H0) if responses > r.

    Simon's convention, the one of `nakip design single|oc` and the reports: r is the largest
    count that does not reject (nakip.stats.binomial.SINGLE_STAGE_RULE).
    """

    r: int
    n: int

    def __post_init__(self) -> None:
        if self.n < 1 or not -1 <= self.r <= self.n:
            raise ValueError("single-stage design needs n >= 1 and -1 <= r <= n")

    def rule(self) -> BoundaryRule:
        """The equivalent generic boundary rule."""
        return BoundaryRule((self.n,), (self.r,), (no_upper(self.n),))

    def to_dict(self) -> dict[str, Any]:
        """Spec as in the scenario file."""
        return {"type": "single_stage", "r": self.r, "n": self.n}


@dataclass(frozen=True)
class SimonTwoStage:
    """Simon two-stage rule: stop if <= r1 of n1 respond; success if > r of n respond."""

    r1: int
    n1: int
    r: int
    n: int

    def __post_init__(self) -> None:
        if not (1 <= self.n1 < self.n and -1 <= self.r1 < self.n1 and self.r1 <= self.r <= self.n):
            raise ValueError("Simon design needs 1 <= n1 < n, -1 <= r1 < n1 and r1 <= r <= n")

    def rule(self) -> BoundaryRule:
        """The equivalent generic boundary rule."""
        return BoundaryRule(
            (self.n1, self.n), (self.r1, self.r), (no_upper(self.n1), no_upper(self.n))
        )

    def to_dict(self) -> dict[str, Any]:
        """Spec as in the scenario file."""
        return {"type": "simon", "r1": self.r1, "n1": self.n1, "r": self.r, "n": self.n}


@dataclass(frozen=True)
class BoundaryRule:
    """Generic rule: at look k (after looks[k] patients) stop if x <= lower[k] or x >= upper[k].

    lower = -1 / upper = looks[k] + 1 mean no stop on that side. Passing every look = success.
    """

    looks: tuple[int, ...]
    lower: tuple[int, ...]
    upper: tuple[int, ...]

    def __post_init__(self) -> None:
        lk = self.looks
        if not lk or lk[0] < 1 or any(b <= a for a, b in zip(lk, lk[1:], strict=False)):
            raise ValueError("looks must be strictly increasing positive integers")
        if len(self.lower) != len(lk) or len(self.upper) != len(lk):
            raise ValueError("lower and upper need one entry per look")

    def rule(self) -> BoundaryRule:
        """Itself."""
        return self

    def to_dict(self) -> dict[str, Any]:
        """Spec as in the scenario file."""
        return {
            "type": "boundary",
            "looks": list(self.looks),
            "lower": list(self.lower),
            "upper": list(self.upper),
        }


Design = SingleStage | SimonTwoStage | BoundaryRule


def _int(spec: Mapping[str, Any], key: str) -> int:
    if key not in spec:
        raise ValueError(f"design spec lacks '{key}'")
    v = spec[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or int(v) != v:
        raise ValueError(f"design '{key}' must be an integer, got {v!r}")
    return int(v)


def design_from_spec(spec: Mapping[str, Any]) -> Design:
    """Build a design from a scenario-file mapping (see the module docstring for the types)."""
    kind = str(spec.get("type", "")).lower().replace("-", "_")
    if kind in ("single_stage", "single"):
        return SingleStage(_int(spec, "r"), _int(spec, "n"))
    if kind == "simon":
        return SimonTwoStage(_int(spec, "r1"), _int(spec, "n1"), _int(spec, "r"), _int(spec, "n"))
    if kind == "boundary":
        looks = tuple(int(v) for v in spec.get("looks", ()))
        lower = tuple(int(v) for v in spec.get("lower", [NO_LOWER] * len(looks)))
        upper = tuple(int(v) for v in spec.get("upper", [no_upper(n) for n in looks]))
        return BoundaryRule(looks, lower, upper)
    if kind in ("bayes_toxicity", "bayes_monitor", "monitor"):
        from nakip.stats.bayes_monitor import BayesianToxicityMonitor

        mon = BayesianToxicityMonitor(
            float(spec["prior_a"]),
            float(spec["prior_b"]),
            float(spec["limit"]),
            float(spec["cutoff"]),
            _int(spec, "nmax"),
            int(spec.get("min_patients", 1)),
        )
        looks = tuple(range(1, mon.nmax + 1))
        return BoundaryRule(looks, (NO_LOWER,) * mon.nmax, tuple(int(v) for v in mon.stop_counts))
    if kind == "predictive":
        from nakip.stats.bayes_monitor import PredictiveProbabilityMonitor

        pm = PredictiveProbabilityMonitor(
            float(spec["prior_a"]),
            float(spec["prior_b"]),
            float(spec["p0"]),
            float(spec["theta_t"]),
            float(spec["theta_l"]),
            _int(spec, "nmax"),
            int(spec.get("min_patients", 1)),
        )
        return BoundaryRule(
            pm.looks,
            tuple(int(v) for v in pm.futility_counts),
            tuple(no_upper(n) for n in pm.looks),
        )
    raise ValueError(
        f"unknown design type {spec.get('type')!r} "
        "(single_stage, simon, boundary, bayes_toxicity, predictive)"
    )
