"""The result every Bayesian monitoring rule returns (`MonitorOC`) and the checks they share.

Plain Python, no numpy: the toxicity rule behind `nakip design monitor` uses only this module,
`_exact` and `beta_tail`, so the command starts without numpy (issue 13).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nakip.stats._exact import LatticeOC

if TYPE_CHECKING:
    import pandas as pd


def check_prob(name: str, value: float, *, open_interval: bool = True) -> None:
    """Fail unless 0 < value < 1 (0 <= value <= 1 when not `open_interval`)."""
    ok = 0.0 < value < 1.0 if open_interval else 0.0 <= value <= 1.0
    if not ok:
        raise ValueError(f"{name} must lie in (0, 1), got {value}")


def check_positive(name: str, value: float) -> None:
    """Fail unless value > 0."""
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")


def check_sizes(nmax: int, min_patients: int) -> None:
    """Fail unless nmax is a positive integer and min_patients an integer in [1, nmax]."""
    if int(nmax) != nmax or nmax < 1:
        raise ValueError(f"nmax must be a positive integer, got {nmax}")
    if int(min_patients) != min_patients or not 1 <= min_patients <= nmax:
        raise ValueError(f"min_patients must be an integer in [1, nmax], got {min_patients}")


def check_rates(rates: Iterable[float]) -> tuple[float, ...]:
    """The true rates as floats; fail unless there is at least one and all lie in [0, 1]."""
    values = tuple(float(r) for r in rates) if hasattr(rates, "__iter__") else (float(rates),)
    if not values or not all(0.0 <= v <= 1.0 for v in values):
        raise ValueError("true rates must lie in [0, 1]")
    return values


def stops_by_n(
    raw: LatticeOC, nmax: int, looks: int | None = None
) -> tuple[tuple[float, ...], ...]:
    """Per rate, the probability of stopping exactly after n = 1..nmax patients (zero where
    there is no look); only the first `looks` looks count when given."""
    kept = raw.looks[:looks]
    out = []
    for lower, upper in zip(raw.stop_lower, raw.stop_upper, strict=True):
        row = [0.0] * nmax
        for k, n in enumerate(kept):
            row[n - 1] = lower[k] + upper[k]
        out.append(tuple(row))
    return tuple(out)


@dataclass(frozen=True)
class MonitorOC:
    """Exact operating characteristics of a monitoring rule for each true rate.

    `prob_stop[i]`: probability that the rule stops the trial (at any n, including the last
    patient for a toxicity rule); `prob_stop_by_n[i][j]`: probability of stopping exactly after
    patient j + 1; `prob_success[i]`: probability of completing and declaring success (efficacy
    rules only, else None); `expected_n`: expected number of patients treated.
    """

    rule: str
    nmax: int
    rates: tuple[float, ...]
    prob_stop: tuple[float, ...]
    prob_early_stop: tuple[float, ...]
    expected_n: tuple[float, ...]
    expected_events: tuple[float, ...]
    prob_stop_by_n: tuple[tuple[float, ...], ...]
    prob_success: tuple[float, ...] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per true rate: stopping probabilities, success probability, expected N."""
        import pandas as pd

        data: dict[str, Any] = {
            "rate": self.rates,
            "prob_stop": self.prob_stop,
            "prob_early_stop": self.prob_early_stop,
            "expected_n": self.expected_n,
            "expected_events": self.expected_events,
        }
        if self.prob_success is not None:
            data["prob_success"] = self.prob_success
        return pd.DataFrame(data).set_index("rate")

    @property
    def stop_by_n(self) -> pd.DataFrame:
        """Probability of stopping exactly at n (rows n = 1..nmax, columns the true rates)."""
        import pandas as pd

        return pd.DataFrame(
            [list(at_n) for at_n in zip(*self.prob_stop_by_n, strict=True)],
            index=pd.RangeIndex(1, self.nmax + 1, name="n"),
            columns=list(self.rates),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return {
            "rule": self.rule,
            "nmax": self.nmax,
            "parameters": dict(self.parameters),
            "rates": list(self.rates),
            "prob_stop": list(self.prob_stop),
            "prob_early_stop": list(self.prob_early_stop),
            "expected_n": list(self.expected_n),
            "expected_events": list(self.expected_events),
            "prob_success": None if self.prob_success is None else list(self.prob_success),
            "prob_stop_by_n": [list(r) for r in self.prob_stop_by_n],
        }
