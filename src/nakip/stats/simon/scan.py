"""The scan behind the Simon design search: for each total n, the feasible design of least EN0.

Plain Python, candidate by candidate: for each (n1, r1) whose EN0 can still beat the best so
far, the largest r keeping power >= target is found by walking from a known bound (power falls
in r, rises as r1 falls and as n grows), and alpha is evaluated once, at that r. With the
pruning this does a small fraction of the work of clinfun's full loop, and it replaced a
vectorised numpy scan that was slower at every size tried and cost `nakip design simon` the
numpy import (issue 13). Probabilities use Pascal's recurrence and tails summed from the top.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import accumulate
from operator import mul

# Rows of padding the binomial tables start with (doubled as the scan reaches larger n).
_FIRST_CAPACITY = 64


@dataclass(frozen=True)
class Found:
    """One design of the EN0 frontier: the best design for its n, better than every smaller n."""

    r1: int
    n1: int
    r: int
    n: int
    en0: float
    pet0: float
    alpha: float
    power: float


class _Tables:
    """pmf[m][k] = P(Bin(m, p) = k) and tail[m][j + off] = P(Bin(m, p) >= j), -off <= j <= cap+1.

    Pascal's recurrence b(k; m) = q b(k; m-1) + p b(k-1; m-1) mixes positive numbers only, so
    it is stable (relative error ~1e-14 at m = 1000). Rows are added on demand (`grow`) and the
    padding that lets callers index j <= 0 (probability 1) or j > m (0) doubles with them: most
    searches stop long before their nmax. Read `off` after `grow`, it moves.
    """

    def __init__(self, p: float) -> None:
        self.p, self.q = p, 1.0 - p
        self.cap = _FIRST_CAPACITY
        self.off = self.cap + 1
        self.pmf: list[list[float]] = [[1.0]]
        self.tail: list[list[float]] = [self._tail_row(self.pmf[0])]

    def _tail_row(self, pmf: list[float]) -> list[float]:
        """P(X >= j) for j = -off..cap+1: the top of the pmf summed first, capped at 1."""
        m = len(pmf) - 1
        upper = list(accumulate(pmf[m:0:-1]))  # j = m down to 1; rounding can pass 1 at the end
        for i in range(len(upper) - 1, -1, -1):
            if upper[i] < 1.0:
                break
            upper[i] = 1.0
        upper.reverse()
        return [1.0] * (self.off + 1) + upper + [0.0] * (self.cap + 1 - m)

    def grow(self, size: int) -> None:
        """Make rows 0..size available."""
        if size > self.cap:
            cap = max(2 * self.cap, size)
            more = cap - self.cap
            self.tail = [[1.0] * more + row + [0.0] * more for row in self.tail]
            self.cap, self.off = cap, cap + 1
        p, q = self.p, self.q
        for m in range(len(self.pmf), size + 1):
            prev = self.pmf[-1]
            row = [q * prev[0]] + [q * prev[k] + p * prev[k - 1] for k in range(1, m)]
            self.pmf.append([*row, p * prev[m - 1]])
            self.tail.append(self._tail_row(self.pmf[m]))


def _stage_one_limit(t1: _Tables, n1: int, power: float) -> int:
    """Largest r1 >= 0 with P(X1 > r1 | p1) >= power (-1 if none): no design can do better."""
    row, off = t1.tail[n1], t1.off
    r1 = -1
    while r1 + 1 <= n1 and row[off + r1 + 2] >= power - 1e-12:
        r1 += 1
    return r1


def _ump_power(t0: _Tables, t1: _Tables, n: int, alpha: float) -> float:
    """Power of the randomised UMP level-alpha test with n patients (Neyman-Pearson bound)."""
    s0, off = t0.tail[n], t0.off
    lo, hi = 0, n + 2  # k = least j with P0(X >= j) <= alpha (the tail falls in j), by bisection
    while lo < hi:
        mid = (lo + hi) // 2
        if s0[off + mid] > alpha:
            lo = mid + 1
        else:
            hi = mid
    k = min(lo, n + 1)
    mass = t0.pmf[n][k - 1]
    gamma = (alpha - s0[off + k]) / mass if mass > 0 else 0.0
    gamma = min(max(gamma, 0.0), 1.0)
    return t1.tail[n][off + k] + gamma * t1.pmf[n][k - 1]


def _two_stage_tail(b: list[float], tail2: list[float], off: int, r1: int, r: int) -> float:
    """P(X1 > r1 and X1 + X2 > r) = sum over x1 > r1 of b(x1) P(X2 >= r + 1 - x1), the small
    terms (largest x1) first; map and sum keep the loop in C. (From Python 3.12 sum() adds
    floats with compensation: the last bits then differ, never by more than rounding.)"""
    n1 = len(b) - 1
    base = off + r + 1
    return sum(map(mul, b[n1:r1:-1], tail2[base - n1 : base - r1]))


def _largest_r(
    b1: list[float],
    tail1: list[float],
    off: int,
    r1: int,
    floor: int,
    guess: int,
    ceiling: int,
    power: float,
) -> tuple[int, float] | None:
    """Largest r with P1(X1 > r1, X > r) >= power, and that power; None if there is none.

    Power falls as r grows. The search starts at `guess` (a hint that may be wrong either way):
    down one step at a time if it fails there, else up in doubling steps and back by bisection.
    The answer is known to lie in [floor, ceiling] if anywhere, so failing at floor means none.
    """
    ceiling = max(ceiling, floor)
    r = min(max(guess, floor), ceiling)
    pw = _two_stage_tail(b1, tail1, off, r1, r)
    while pw < power:
        if r <= floor:
            return None
        r -= 1
        pw = _two_stage_tail(b1, tail1, off, r1, r)
    fail = ceiling + 1  # least r known to fail (or beyond the range)
    step = 1
    while r + step < fail:
        nxt = _two_stage_tail(b1, tail1, off, r1, r + step)
        if nxt < power:
            fail = r + step
            break
        r, pw = r + step, nxt
        step *= 2
    while fail - r > 1:
        mid = (r + fail) // 2
        val = _two_stage_tail(b1, tail1, off, r1, mid)
        if val < power:
            fail = mid
        else:
            r, pw = mid, val
    return r, pw


def _best_for_n(
    n: int,
    t0: _Tables,
    t1: _Tables,
    alpha: float,
    power: float,
    r1max: list[int],
    en_bound: float,
    hints: dict[tuple[int, int], int],
) -> Found | None:
    """The feasible design with n patients and least EN0 < en_bound (ties: smallest n1, then
    largest r1, as clinfun's loop order); r is the largest count keeping power >= target.

    `hints` maps (n1, r1) to the r chosen at an earlier n: adding a patient to stage 2 never
    lowers power, so that r is where this n's search starts (it is updated here).
    """
    off = t0.off
    best: Found | None = None
    # Certificate of a too-large alpha, O(1) per candidate: r never exceeds r_top (the largest
    # r whose single-stage power could reach the target), alpha falls in r, and
    # alpha(r1, r) = P0(X > r) - P0(X1 <= r1, X > r) >= P0(X > r) - PET0 P0(X2 >= r + 1 - r1).
    whole1 = t1.tail[n]
    r_top = n
    while r_top >= 0 and whole1[off + r_top + 1] < power - 1e-12:
        r_top -= 1
    if r_top < 0:
        return None
    alpha_top = t0.tail[n][off + r_top + 1]
    ceiling = min(r_top, n)  # two-stage power never exceeds the single-stage power
    n1_end = n if en_bound == math.inf else min(n, math.ceil(en_bound))  # EN0 >= n1
    for n1 in range(1, n1_end):
        top = r1max[n1]
        if top < 0:
            continue
        n2 = n - n1
        b0, b1 = t0.pmf[n1], t1.pmf[n1]
        tail0, tail1 = t0.tail[n2], t1.tail[n2]
        stage1 = t0.tail[n1]
        # Power rises as r1 falls, so the r of a larger r1 bounds this r1's from below; at
        # r <= r1 power is P(X1 > r1), so failing at r = r1 means failing everywhere.
        r_known = -1
        for r1 in range(top, -1, -1):
            cont = stage1[off + r1 + 1]
            en = n1 + cont * n2
            bound = en_bound if best is None else min(en_bound, best.en0)
            if not en < bound:
                break  # EN0 only grows as r1 falls
            if alpha_top - (1.0 - cont) * tail0[off + r_top + 1 - r1] > alpha + 1e-12:
                break  # the certificate only strengthens as r1 falls (PET0 and the tail shrink)
            floor = max(r_known, r1)
            guess = hints.get((n1, r1), floor)
            hit = _largest_r(b1, tail1, off, r1, floor, guess, ceiling, power)
            if hit is None:
                continue
            r, pw = hit
            r_known = hints[(n1, r1)] = r
            a = _two_stage_tail(b0, tail0, off, r1, r)
            if a <= alpha:
                best = Found(r1, n1, r, n, en, 1.0 - cont, a, pw)
    return best


def _lower_bound(t0: _Tables, r1max: list[int], n: int) -> float:
    """A lower bound on EN0 of every design with n' >= n patients.

    With r1 <= r1max(n1), EN0 >= n1 + P0(X1 > r1max) (n' - n1), which grows with n'; first
    stages of n1 >= n patients contribute at least n.
    """
    off = t0.off
    bound = float(n)
    for n1 in range(1, n):
        if n1 >= bound:
            break  # every later term is at least its n1
        if r1max[n1] >= 0:
            bound = min(bound, n1 + t0.tail[n1][off + r1max[n1] + 1] * (n - n1))
    return bound


class DesignScan:
    """The scan for one (p0, p1, alpha, power): binomial tables, stage-1 limits and the r found
    for each (n1, r1) are kept between calls, so looking beyond nmax after the search up to
    nmax (nakip.stats.simon.frontier) continues where it stopped instead of starting over."""

    def __init__(self, p0: float, p1: float, alpha: float, power: float) -> None:
        self.alpha, self.power = alpha, power
        self.t0, self.t1 = _Tables(p0), _Tables(p1)
        self.r1max = [-1]
        self.hints: dict[tuple[int, int], int] = {}

    def _grow(self, m: int) -> None:
        self.t0.grow(m)
        self.t1.grow(m)
        start = len(self.r1max)
        self.r1max.extend(_stage_one_limit(self.t1, n1, self.power) for n1 in range(start, m + 1))

    def frontier(
        self, n_from: int, n_to: int, *, first_only: bool = False, best_en: float = math.inf
    ) -> tuple[list[Found], bool]:
        """Designs with n in [n_from, n_to] that improve the least EN0 of every smaller n.

        The first entry is the minimax design; the last has the least EN0 (the optimal
        design). Pruning: n whose UMP power misses the target are skipped (Neyman-Pearson: no
        two-stage design can beat it); (n1, r1) whose EN0 cannot beat the best so far
        (`best_en` to start with) are dropped; the scan stops once no larger n can beat it.
        The flag says whether it stopped so (no n beyond n_to can beat the last design either).
        """
        t0, t1, r1max = self.t0, self.t1, self.r1max
        found: list[Found] = []
        for n in range(max(n_from, 2), n_to + 1):
            self._grow(n)
            if best_en < math.inf and _lower_bound(t0, r1max, n) > best_en + 1e-9:
                return found, True
            if _ump_power(t0, t1, n, self.alpha) < self.power - 1e-9:
                continue
            d = _best_for_n(n, t0, t1, self.alpha, self.power, r1max, best_en, self.hints)
            if d is not None:
                found.append(d)
                best_en = d.en0
                if first_only:
                    return found, False
        self._grow(n_to)
        return found, _lower_bound(t0, r1max, n_to) > best_en + 1e-9
