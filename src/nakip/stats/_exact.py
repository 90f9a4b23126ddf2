"""Exact operating characteristics of single-arm sequential rules on a binary endpoint.

A rule looks at the cumulative count x of events after n_1 < ... < n_K patients and stops when
x <= lower[k] or x >= upper[k]. The probabilities follow from a forward recursion over the
(n, x) lattice (one patient at a time), so they are exact up to floating-point rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

NO_LOWER = -1
"""Sentinel lower bound: no futility stop at this look (x <= -1 is impossible)."""


def no_upper(n: int) -> int:
    """Sentinel upper bound at a look with n patients: x >= n + 1 is impossible."""
    return n + 1


@dataclass(frozen=True)
class LatticeOC:
    """Raw exact results of a sequential rule, one row per true rate, one column per look.

    `stop_lower[r, k]` / `stop_upper[r, k]`: probability of stopping at look k through the lower
    (x <= lower) / upper (x >= upper) boundary; `completed[r]`: probability of passing every look;
    `final_dist[r, x]`: probability of passing every look with x events after n_K patients.
    """

    rates: np.ndarray
    looks: np.ndarray
    stop_lower: np.ndarray
    stop_upper: np.ndarray
    completed: np.ndarray
    expected_n: np.ndarray
    expected_events: np.ndarray
    final_dist: np.ndarray


def _validate(looks: Sequence[int], lower: Sequence[int], upper: Sequence[int]) -> np.ndarray:
    lk = np.asarray(looks, dtype=np.int64)
    if lk.ndim != 1 or lk.size == 0:
        raise ValueError("looks must be a non-empty sequence")
    if lk[0] < 1 or np.any(np.diff(lk) <= 0):
        raise ValueError("looks must be strictly increasing positive integers")
    if len(lower) != lk.size or len(upper) != lk.size:
        raise ValueError("lower and upper need one entry per look")
    return lk


def sequential_oc(
    looks: Sequence[int],
    lower: Sequence[int],
    upper: Sequence[int],
    rates: Sequence[float] | np.ndarray,
) -> LatticeOC:
    """Exact stopping probabilities of the rule (stop if x <= lower[k] or x >= upper[k]).

    Vectorised over the true event rates; the cost is O(len(rates) * n_K^2).
    """
    lk = _validate(looks, lower, upper)
    p = np.atleast_1d(np.asarray(rates, dtype=float))
    if np.any((p < 0) | (p > 1)):
        raise ValueError("rates must lie in [0, 1]")
    nmax = int(lk[-1])
    n_rates = p.size
    k_looks = lk.size
    dist = np.zeros((n_rates, nmax + 1))
    dist[:, 0] = 1.0
    stop_lower = np.zeros((n_rates, k_looks))
    stop_upper = np.zeros((n_rates, k_looks))
    expected_n = np.zeros(n_rates)
    expected_events = np.zeros(n_rates)
    xs = np.arange(nmax + 1)
    q = (1.0 - p)[:, None]
    pp = p[:, None]
    n = 0
    for k, look in enumerate(lk):
        while n < look:
            shifted = np.zeros_like(dist)
            shifted[:, 1:] = dist[:, :-1]
            dist = dist * q + shifted * pp
            n += 1
        lo = int(lower[k])
        up = int(upper[k])
        if lo >= 0:
            hi_idx = min(lo, n) + 1
            mass = dist[:, :hi_idx]
            stop_lower[:, k] = mass.sum(axis=1)
            expected_n += stop_lower[:, k] * n
            expected_events += mass @ xs[:hi_idx]
            dist[:, :hi_idx] = 0.0
        if up <= n:
            start = max(up, 0)
            mass = dist[:, start : n + 1]
            stop_upper[:, k] = mass.sum(axis=1)
            expected_n += stop_upper[:, k] * n
            expected_events += mass @ xs[start : n + 1]
            dist[:, start : n + 1] = 0.0
    completed = dist.sum(axis=1)
    expected_n += completed * nmax
    expected_events += dist @ xs
    return LatticeOC(
        rates=p,
        looks=lk,
        stop_lower=stop_lower,
        stop_upper=stop_upper,
        completed=completed,
        expected_n=expected_n,
        expected_events=expected_events,
        final_dist=dist,
    )
