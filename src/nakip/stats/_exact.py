"""Exact operating characteristics of single-arm sequential rules on a binary endpoint.

A rule looks at the cumulative count x of events after n_1 < ... < n_K patients and stops when
x <= lower[k] or x >= upper[k]. The probabilities follow from a forward recursion over the
(n, x) lattice (one patient at a time), so they are exact up to floating-point rounding.
Plain Python floats: the lattices here have at most a few hundred patients, where list
arithmetic is as fast as numpy, and `nakip design monitor` starts without numpy (issue 13).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NO_LOWER = -1
"""Sentinel lower bound: no futility stop at this look (x <= -1 is impossible)."""


def no_upper(n: int) -> int:
    """Sentinel upper bound at a look with n patients: x >= n + 1 is impossible."""
    return n + 1


@dataclass(frozen=True)
class LatticeOC:
    """Raw exact results of a sequential rule, one row per true rate, one column per look.

    `stop_lower[r][k]` / `stop_upper[r][k]`: probability of stopping at look k through the lower
    (x <= lower) / upper (x >= upper) boundary; `completed[r]`: probability of passing every look;
    `final_dist[r][x]`: probability of passing every look with x events after n_K patients.
    Tuples of floats (wrap in numpy.asarray for array arithmetic).
    """

    rates: tuple[float, ...]
    looks: tuple[int, ...]
    stop_lower: tuple[tuple[float, ...], ...]
    stop_upper: tuple[tuple[float, ...], ...]
    completed: tuple[float, ...]
    expected_n: tuple[float, ...]
    expected_events: tuple[float, ...]
    final_dist: tuple[tuple[float, ...], ...]


def _validate(looks: Iterable[int], lower: Sequence[int], upper: Sequence[int]) -> tuple[int, ...]:
    lk = tuple(int(n) for n in looks)
    if not lk:
        raise ValueError("looks must be a non-empty sequence")
    if lk[0] < 1 or any(b <= a for a, b in zip(lk, lk[1:], strict=False)):
        raise ValueError("looks must be strictly increasing positive integers")
    if len(lower) != len(lk) or len(upper) != len(lk):
        raise ValueError("lower and upper need one entry per look")
    return lk


@dataclass(frozen=True)
class _RateRun:
    """The recursion's results at one true rate."""

    stop_lower: tuple[float, ...]
    stop_upper: tuple[float, ...]
    expected_n: float
    expected_events: float
    final_dist: tuple[float, ...]


def _run(looks: tuple[int, ...], lower: Sequence[int], upper: Sequence[int], p: float) -> _RateRun:
    """Push the distribution of x one patient at a time, removing the mass that stops."""
    q = 1.0 - p
    dist = [1.0]  # dist[x] = P(x events so far and not stopped), x = 0..n
    stop_lo: list[float] = []
    stop_up: list[float] = []
    expected_n = expected_events = 0.0
    n = 0
    for look, lo, up in zip(looks, lower, upper, strict=True):
        while n < look:
            # P(x after n+1) = q P(x after n) + p P(x-1 after n)
            dist = (
                [q * dist[0]]
                + [q * b + p * a for a, b in zip(dist[:-1], dist[1:], strict=True)]
                + [p * dist[-1]]
            )
            n += 1
        lo, up = int(lo), int(up)
        mass_lo = 0.0
        if lo >= 0:
            for x in range(min(lo, n) + 1):
                mass_lo += dist[x]
                expected_events += x * dist[x]
                dist[x] = 0.0
        mass_up = 0.0
        if up <= n:
            for x in range(max(up, 0), n + 1):
                mass_up += dist[x]
                expected_events += x * dist[x]
                dist[x] = 0.0
        stop_lo.append(mass_lo)
        stop_up.append(mass_up)
        expected_n += (mass_lo + mass_up) * n
    expected_n += sum(dist) * looks[-1]
    expected_events += sum(x * d for x, d in enumerate(dist))
    return _RateRun(tuple(stop_lo), tuple(stop_up), expected_n, expected_events, tuple(dist))


def sequential_oc(
    looks: Iterable[int],
    lower: Sequence[int],
    upper: Sequence[int],
    rates: Iterable[float],
) -> LatticeOC:
    """Exact stopping probabilities of the rule (stop if x <= lower[k] or x >= upper[k]).

    One recursion per true event rate; the cost is O(len(rates) * n_K^2).
    """
    lk = _validate(looks, lower, upper)
    p = tuple(float(r) for r in rates)
    if not all(0.0 <= r <= 1.0 for r in p):
        raise ValueError("rates must lie in [0, 1]")
    runs = [_run(lk, lower, upper, r) for r in p]
    return LatticeOC(
        rates=p,
        looks=lk,
        stop_lower=tuple(r.stop_lower for r in runs),
        stop_upper=tuple(r.stop_upper for r in runs),
        completed=tuple(sum(r.final_dist) for r in runs),
        expected_n=tuple(r.expected_n for r in runs),
        expected_events=tuple(r.expected_events for r in runs),
        final_dist=tuple(r.final_dist for r in runs),
    )
