"""The search behind nakip.stats.simon.search: every Simon two-stage design, vectorised with numpy.

Split from nakip.stats.simon so that the rules, their exact operating characteristics and the
inference after a trial import no numpy (`nakip design oc|infer` start fast); only the search
needs it. Call it through nakip.stats.simon.search.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nakip.stats._binom_tables import BinomialTables, stacked_tables
from nakip.stats.binomial import check_count, check_probability, check_rates
from nakip.stats.simon import (
    SEARCH_LIMIT,
    NoDesignError,
    SimonDesign,
    SimonSearchResult,
)

# Upper bound on the number of float64 cells in one block of the search tensors (memory cap).
_BLOCK_CELLS = 1_500_000
# Size of the first binomial tables built by a search (doubled while the search goes on).
_FIRST_TABLE_SIZE = 64
# Totals n evaluated together in one tensor: first batch, then doubling up to the maximum.
_FIRST_CHUNK = 4
_MAX_CHUNK = 16
# Weights q closer than this count as equal when deciding admissibility (EN0 is exact to ~1e-13).
_TIE_Q = 1e-9


@dataclass(frozen=True)
class _Found:
    r1: int
    n1: int
    r: int
    n: int
    en0: float
    pet0: float
    alpha: float
    power: float


def _first_stage_limits(t1: BinomialTables, power: float) -> NDArray[np.int64]:
    """r1max[n1]: largest r1 >= 0 with P(X1 > r1 | p1) >= power (-1 if none).

    A design can never have more power than its chance of passing stage 1, so r1 <= r1max.
    """
    off, size = t1.offset, t1.size
    pass_prob = t1.sf[:, off + 1 : off + size + 2]  # P(X1 >= j) for j = 1..size+1
    return (pass_prob >= power - 1e-12).sum(axis=1).astype(np.int64) - 1


def _ump_power(t0: BinomialTables, t1: BinomialTables, alpha: float) -> NDArray[np.float64]:
    """Power at p1 of the randomised UMP level-alpha test with n patients, for n = 0..size.

    No two-stage design with n patients can beat it (Neyman–Pearson), so n whose UMP power is
    below the target are skipped without loss.
    """
    off, size = t0.offset, t0.size
    ns = np.arange(size + 1)
    s0 = t0.sf[:, off : off + size + 2]  # P(X >= j), j = 0..size+1
    k = (s0 > alpha).sum(axis=1)  # least k with P(X >= k) <= alpha (k >= 1)
    k = np.minimum(k, ns + 1)
    km1 = k - 1
    gamma = (alpha - t0.sf[ns, off + k]) / np.where(t0.pmf[ns, km1] > 0, t0.pmf[ns, km1], np.inf)
    gamma = np.clip(gamma, 0.0, 1.0)
    return t1.sf[ns, off + k] + gamma * t1.pmf[ns, km1]


@dataclass(frozen=True)
class _Stacked:
    """p0 and p1 tables stacked on a leading axis so one numpy call serves both rates."""

    pmf: NDArray[np.float64]  # (2, size+1, size+1)
    sf: NDArray[np.float64]  # (2, size+1, 2*size+3)
    windows: NDArray[np.float64]  # windows[k, m, s, :] = sf[k, m, s : s + size + 1] (a view)
    offset: int
    size: int

    @classmethod
    def build(cls, p0: float, p1: float, size: int) -> _Stacked:
        pmf, sf, offset = stacked_tables((p0, p1), size)
        windows = np.lib.stride_tricks.sliding_window_view(sf, size + 1, axis=2)
        return cls(pmf, sf, windows, offset, size)

    def single(self, k: int) -> BinomialTables:
        """Tables of one rate (0 = p0, 1 = p1)."""
        return BinomialTables(
            p=float("nan"), size=self.size, pmf=self.pmf[k], sf=self.sf[k], offset=self.offset
        )


def _distinct(sorted_values: NDArray[np.int64]) -> NDArray[np.int64]:
    """The distinct values of an ascending array (np.unique would import numpy.ma: 30 ms)."""
    if sorted_values.size == 0:
        return sorted_values
    keep = np.empty(sorted_values.size, dtype=bool)
    keep[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=keep[1:])
    return sorted_values[keep]


def _best_designs(
    ns: NDArray[np.int64],
    tabs: _Stacked,
    alpha: float,
    power: float,
    r1max: NDArray[np.int64],
    en_bound: float,
) -> dict[int, _Found]:
    """For each total n in `ns`: the feasible design with least EN0 < en_bound, if any.

    Vectorised over (n, n1) rows, x1 and r: alpha(r1, r) = sum_{x1>r1} b0(x1; n1) P0(X2 >= r+1-x1)
    is a reverse cumulative sum over x1 (power likewise under p1). For each (n1, r1), r is the
    largest value keeping power >= target (clinfun's choice); the design is feasible when alpha
    at that r is <= nominal. Ties in EN0 go to the smallest n1, then the largest r1 (clinfun's
    loop order). Several n share one tensor, which saves numpy call overhead.
    """
    off = tabs.offset
    sf0, sf1 = tabs.sf[0], tabs.sf[1]
    grid_n, grid_n1 = np.meshgrid(ns, np.arange(1, int(ns.max())), indexing="ij")
    keep = grid_n1 < grid_n
    n_row, n1_row = grid_n[keep], grid_n1[keep]  # ordered by n, then n1
    r1m = r1max[n1_row]
    width = int(r1m.max()) + 1 if r1m.size else 0
    if width <= 0:
        return {}
    r1_grid = np.arange(width)[None, :]
    cont = sf0[n1_row[:, None], off + r1_grid + 1]  # 1 - PET0 = P0(X1 > r1)
    en = n1_row[:, None] + cont * (n_row - n1_row)[:, None]
    cand = (r1_grid <= r1m[:, None]) & (en < en_bound)
    rows = np.flatnonzero(cand.any(axis=1))
    if rows.size == 0:
        return {}
    # Largest r whose single-stage power reaches the target bounds every two-stage r.
    single_power = sf1[_distinct(n_row[rows]), off + 1 :]
    n_r = int((single_power >= power).sum(axis=1).max())
    if n_r == 0:
        return {}
    best: dict[int, tuple[tuple[float, int, int], _Found]] = {}
    x_len = int(n1_row[rows].max()) + 1
    step = max(1, _BLOCK_CELLS // (2 * x_len * n_r))
    for start in range(0, rows.size, step):
        blk = rows[start : start + step]
        n1b, nb = n1_row[blk], n_row[blk]
        kmax = int(r1m[blk].max()) + 1  # r1 = 0..kmax-1
        xb = int(n1b.max()) + 1
        starts = off + 1 - np.arange(xb)
        # Gather with x1 leading: row x1 of surv is the window starting at off + 1 - x1,
        # i.e. P(X2 >= r + 1 - x1) for r = 0..n_r-1; shape (X, 2, C, R).
        ix_x = starts[:, None, None]
        ix_k = np.arange(2)[None, :, None]
        ix_c = (nb - n1b)[None, None, :]
        surv = tabs.windows[ix_k, ix_c, ix_x, :n_r]
        weight = tabs.pmf[ix_k, n1b[None, None, :], np.arange(xb)[:, None, None]]
        joint = (weight[..., None] * surv).reshape(xb, -1)
        # tail[j] = sum_{x1 >= j+1} joint[x1]: alpha (k=0) / power (k=1) for r1 = j. A running
        # sum from the top (small terms first) over contiguous rows beats cumsum and BLAS here.
        tail = np.empty((kmax, joint.shape[1]))
        acc = np.zeros(joint.shape[1])
        for x in range(xb - 1, 0, -1):
            acc += joint[x]
            if x <= kmax:
                tail[x - 1] = acc
        tail = tail.reshape(kmax, 2, blk.size, n_r)
        t_alpha = tail[:, 0].transpose(1, 0, 2)  # (C, K, R)
        t_power = tail[:, 1].transpose(1, 0, 2)
        n_ok = (t_power >= power).sum(axis=2)  # number of r with power >= target
        r_sel = np.maximum(n_ok - 1, 0)
        ci = np.arange(blk.size)[:, None]
        ki = np.arange(kmax)[None, :]
        alpha_at = t_alpha[ci, ki, r_sel]
        feas = cand[blk, :kmax] & (n_ok > 0) & (alpha_at <= alpha)
        if not feas.any():
            continue
        en_blk = np.where(feas, en[blk, :kmax], np.inf)
        row_min = en_blk.min(axis=1)
        # largest r1 attaining the row minimum
        row_r1 = kmax - 1 - np.argmax((en_blk == row_min[:, None])[:, ::-1], axis=1)
        for n in _distinct(nb[np.isfinite(row_min)]):
            sel = np.flatnonzero((nb == n) & np.isfinite(row_min))
            c = int(sel[np.argmin(row_min[sel])])  # first = smallest n1 among equal minima
            r1 = int(row_r1[c])
            key = (float(row_min[c]), int(n1b[c]), -r1)
            if int(n) in best and best[int(n)][0] <= key:
                continue
            best[int(n)] = (
                key,
                _Found(
                    r1=r1,
                    n1=int(n1b[c]),
                    r=max(int(r_sel[c, r1]), r1),
                    n=int(n),
                    en0=key[0],
                    pet0=float(1.0 - cont[blk[c], r1]),
                    alpha=float(alpha_at[c, r1]),
                    power=float(t_power[c, r1, r_sel[c, r1]]),
                ),
            )
    return {n: f for n, (_, f) in best.items()}


def _en_lower_bounds(t0: BinomialTables, r1max: NDArray[np.int64]) -> NDArray[np.float64]:
    """lb[n]: a lower bound on EN0 of every design with total sample size n' >= n.

    With r1 <= r1max(n1), EN0 >= n1 + (1 - PET0(r1max)) (n' - n1), increasing in n'; first
    stages with n1 >= n contribute at least n. Computed for all n at once.
    """
    off, size = t0.offset, t0.size
    n1 = np.arange(size + 1)
    ok = (r1max >= 0) & (n1 >= 1)
    cont = np.where(ok, t0.sf[n1, off + np.maximum(r1max, 0) + 1], 1e18)  # P0(X1 > r1max)
    n = n1[:, None]  # rows: total n; columns: n1 < n
    bound = np.where(n1[None, :] < n, n1[None, :] + cont[None, :] * (n - n1[None, :]), np.inf)
    return np.minimum(bound.min(axis=1), n1.astype(float))


def _scan(
    p0: float,
    p1: float,
    alpha: float,
    power: float,
    n_from: int,
    n_to: int,
    *,
    first_only: bool,
    best_en: float = math.inf,
) -> tuple[list[_Found], bool]:
    """Designs with n in [n_from, n_to] that improve the least EN0 of every smaller n.

    The first entry is the minimax design; the last has the least EN0 (the optimal design).
    Pruning: n below the UMP bound are skipped; (n1, r1) whose EN0 cannot beat the best so
    far (`best_en` to start with) are dropped; the scan stops once no larger n can beat it.
    The flag says whether it stopped so (no n beyond n_to can beat the last design either).
    """
    found: list[_Found] = []
    bounded = False
    n_next = max(n_from, 2)
    # Tables grow by doubling: most searches end far below nmax, so small tables suffice.
    size = min(n_to, max(_FIRST_TABLE_SIZE, n_next + 32))
    while True:
        tabs = _Stacked.build(p0, p1, size)
        t0, t1 = tabs.single(0), tabs.single(1)
        r1max = _first_stage_limits(t1, power)
        ump = _ump_power(t0, t1, alpha)
        lower_bounds = _en_lower_bounds(t0, r1max)
        # Tolerances only widen the candidate set; feasibility itself is checked exactly.
        possible = np.flatnonzero(ump >= power - 1e-9)
        possible = possible[possible >= n_next]
        stopped = False
        chunk = _FIRST_CHUNK
        i = 0
        while i < possible.size and not stopped:
            batch = possible[i : i + chunk]
            i += batch.size
            chunk = min(2 * chunk, _MAX_CHUNK)
            if best_en < math.inf and lower_bounds[batch[0]] > best_en + 1e-9:
                stopped = bounded = True
                break
            per_n = _best_designs(batch, tabs, alpha, power, r1max, best_en)
            for n in sorted(per_n):
                d = per_n[n]
                if d.en0 < best_en:  # the batch used the bound from its start
                    found.append(d)
                    best_en = d.en0
                    if first_only:
                        stopped = True
                        break
        if stopped or size >= n_to:
            # lower_bounds[size] bounds every n >= size, so also those beyond n_to.
            bounded = bounded or bool(lower_bounds[size] > best_en + 1e-9)
            return found, bounded
        n_next, size = size + 1, min(n_to, 2 * size)


def _admissible_ranges(points: Sequence[tuple[int, float]]) -> list[tuple[int, float, float]]:
    """Indices and weight ranges [q_low, q_high] of points minimising q*n + (1-q)*EN0.

    Each design's loss is linear in q, so the set of q where it is no worse than every other
    design is an interval. Jung, Lee, Kim & George (2004) call a design admissible when it
    minimises the loss for some q, so a design optimal at a single q (on the segment between two
    others, as 16/33, 43/76 at q = 1/3 for p0 0.5, p1 0.65, alpha 0.1, power 0.9) is listed too,
    with the degenerate interval [q, q]; clinfun's twostage.admissible lists it the same way.
    """
    ns = np.array([p[0] for p in points], dtype=float)
    es = np.array([p[1] for p in points], dtype=float)
    out: list[tuple[int, float, float]] = []
    for i in range(len(points)):
        lo, hi = 0.0, 1.0
        for j in range(len(points)):
            if i == j:
                continue
            # loss_i - loss_j = a + q * b <= 0
            a = es[i] - es[j]
            b = (ns[i] - ns[j]) - (es[i] - es[j])
            if b > 0:
                hi = min(hi, -a / b)
            elif b < 0:
                lo = max(lo, -a / b)
            elif a > 0:
                lo, hi = 1.0, 0.0
        if hi - lo > -_TIE_Q:  # a tie within rounding is a degenerate interval, not a gap
            lo, hi = max(lo, 0.0), min(hi, 1.0)
            if hi < lo:
                lo = hi = 0.5 * (lo + hi)
            out.append((i, lo, hi))
    return out


def _validate_search(
    p0: float, p1: float, alpha: float, power: float, nmax: int
) -> tuple[float, float, float, float, int]:
    p0, p1 = check_rates(p0, p1)
    alpha = check_probability("alpha", alpha)
    power = check_probability("power", power)
    nmax = check_count("nmax", nmax, minimum=2)
    if nmax > SEARCH_LIMIT:
        raise ValueError(f"nmax must be at most {SEARCH_LIMIT}, got {nmax}")
    return p0, p1, alpha, power, nmax


def smallest_feasible_n(
    p0: float, p1: float, alpha: float = 0.05, power: float = 0.80, *, start: int = 2
) -> int | None:
    """Least total n >= start of any feasible design (the minimax n); None beyond the limit."""
    p0, p1, alpha, power, _ = _validate_search(p0, p1, alpha, power, 2)
    found, _ = _scan(p0, p1, alpha, power, start, SEARCH_LIMIT, first_only=True)
    return found[0].n if found else None


def search(
    p0: float, p1: float, alpha: float = 0.05, power: float = 0.80, nmax: int = 100
) -> SimonSearchResult:
    """Optimal, minimax and admissible Simon two-stage designs with n <= nmax.

    Optimal: least EN0 (Simon 1989); minimax: least n, ties by EN0; admissible: Jung, Lee, Kim &
    George (2004, JSPI 119:205). Constraints exact: alpha <= nominal, power >= nominal. The
    search also looks beyond nmax (up to SEARCH_LIMIT, stopping when no larger n can do
    better) and keeps the optimal design there, if any, for the `nmax_warning`.
    """
    p0, p1, alpha, power, nmax = _validate_search(p0, p1, alpha, power, nmax)
    found, bounded = _scan(p0, p1, alpha, power, 2, nmax, first_only=False)
    if not found:
        more, _ = _scan(p0, p1, alpha, power, nmax + 1, SEARCH_LIMIT, first_only=True)
        raise NoDesignError(nmax, more[0].n if more else None)

    def as_design(f: _Found, q: tuple[float, float] | None = None) -> SimonDesign:
        return SimonDesign(
            r1=f.r1,
            n1=f.n1,
            r=f.r,
            n=f.n,
            p0=p0,
            p1=p1,
            en0=f.en0,
            pet0=f.pet0,
            alpha=f.alpha,
            power=f.power,
            q_low=None if q is None else q[0],
            q_high=None if q is None else q[1],
        )

    beyond = []
    if not bounded and nmax < SEARCH_LIMIT:
        beyond, _ = _scan(
            p0, p1, alpha, power, nmax + 1, SEARCH_LIMIT, first_only=False, best_en=found[-1].en0
        )
    ranges = _admissible_ranges([(f.n, f.en0) for f in found])
    admissible = tuple(as_design(found[i], (lo, hi)) for i, lo, hi in ranges)
    admissible = tuple(sorted(admissible, key=lambda d: d.n))
    return SimonSearchResult(
        p0=p0,
        p1=p1,
        nominal_alpha=alpha,
        nominal_power=power,
        nmax=nmax,
        optimal=admissible[-1],
        minimax=admissible[0],
        admissible=admissible,
        frontier=tuple(as_design(f) for f in found),
        optimal_beyond_nmax=as_design(beyond[-1]) if beyond else None,
    )
