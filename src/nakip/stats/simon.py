"""Simon's two-stage phase II designs: search, operating characteristics and final inference.

Rule (Simon 1989, Controlled Clinical Trials 10:1-10): treat n1 patients; stop for futility if
X1 <= r1; otherwise treat n - n1 more and declare efficacy (reject H0: p <= p0) if X1 + X2 > r.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Protocol, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nakip.stats._binom_tables import BinomialTables, stacked_tables
from nakip.stats.binomial import check_count, check_probability, check_rates
from nakip.stats.binomial_probabilities import pmf_rows, prob_at_most, prob_greater

if TYPE_CHECKING:
    import pandas as pd

# No scipy or pandas at import: `nakip design simon` must start as fast as Rscript (pandas is
# imported by TwoStageInference.summary alone).

__all__ = [
    "NoDesignError",
    "SimonDesign",
    "SimonSearchResult",
    "TwoStageInference",
    "TwoStageInferenceResult",
    "TwoStageOC",
    "TwoStageRule",
    "operating_characteristics",
    "search",
    "simon_design",
    "smallest_feasible_n",
]

# Largest total sample size considered when looking for the nmax that would work.
SEARCH_LIMIT = 1000
# Upper bound on the number of float64 cells in one block of the search tensors (memory cap).
_BLOCK_CELLS = 1_500_000
# Size of the first binomial tables built by a search (doubled while the search goes on).
_FIRST_TABLE_SIZE = 64
# Totals n evaluated together in one tensor: first batch, then doubling up to the maximum.
_FIRST_CHUNK = 4
_MAX_CHUNK = 16
# Weights q closer than this count as equal when deciding admissibility (EN0 is exact to ~1e-13).
_TIE_Q = 1e-9
# clinfun's rule of thumb: an optimal design with n > nmax - 10 may be cut off by nmax.
NEAR_NMAX = 10


# =========================================================================== designs
class _HasBoundaries(Protocol):
    r1: int
    n1: int
    r: int
    n: int


def _validate_boundaries(r1: int, n1: int, r: int, n: int) -> tuple[int, int, int, int]:
    r1 = check_count("r1", r1)
    n1 = check_count("n1", n1, minimum=1)
    r = check_count("r", r)
    n = check_count("n", n, minimum=2)
    if not n1 < n:
        raise ValueError(f"n1 must be smaller than n (got n1={n1}, n={n})")
    if not r1 < n1:
        raise ValueError(f"r1 must be smaller than n1 (got r1={r1}, n1={n1})")
    if not r1 <= r < n:
        raise ValueError(f"r must satisfy r1 <= r < n (got r1={r1}, r={r}, n={n})")
    return r1, n1, r, n


@dataclass(frozen=True)
class TwoStageRule:
    """The boundaries of a two-stage rule: stop if X1 <= r1 of n1; efficacy if X > r of n."""

    r1: int
    n1: int
    r: int
    n: int

    def __post_init__(self) -> None:
        _validate_boundaries(self.r1, self.n1, self.r, self.n)

    @property
    def n2(self) -> int:
        """Number of patients in stage 2."""
        return self.n - self.n1

    def to_dict(self) -> dict[str, int]:
        """Plain-JSON view of the rule."""
        return asdict(self)

    def __str__(self) -> str:
        return f"r1/n1 = {self.r1}/{self.n1}, r/n = {self.r}/{self.n}"


@dataclass(frozen=True)
class SimonDesign:
    """A two-stage design with its exact properties under p0 and p1.

    `alpha` and `power` are the attained (exact) values; `q_low`..`q_high` is the range of weights
    q for which the design minimises q*n + (1-q)*EN0 (Jung, Lee, Kim & George 2004), when known.
    """

    r1: int
    n1: int
    r: int
    n: int
    p0: float
    p1: float
    en0: float
    pet0: float
    alpha: float
    power: float
    q_low: float | None = None
    q_high: float | None = None

    @classmethod
    def from_boundaries(cls, r1: int, n1: int, r: int, n: int, p0: float, p1: float) -> Self:
        """Build a design from its boundaries and compute EN0, PET0, alpha and power exactly."""
        rule = TwoStageRule(r1, n1, r, n)
        p0, p1 = check_rates(p0, p1)
        oc = operating_characteristics(rule, [p0, p1])
        return cls(
            r1=rule.r1,
            n1=rule.n1,
            r=rule.r,
            n=rule.n,
            p0=p0,
            p1=p1,
            en0=float(oc.en[0]),
            pet0=float(oc.pet[0]),
            alpha=float(oc.prob_reject[0]),
            power=float(oc.prob_reject[1]),
        )

    @property
    def rule(self) -> TwoStageRule:
        """The boundaries alone."""
        return TwoStageRule(self.r1, self.n1, self.r, self.n)

    @property
    def n2(self) -> int:
        """Number of patients in stage 2."""
        return self.n - self.n1

    def to_dict(self) -> dict[str, object]:
        """Plain-JSON view: integer boundaries, float properties, weight range if known."""
        return asdict(self)

    def __str__(self) -> str:
        text = (
            f"r1/n1 = {self.r1}/{self.n1}, r/n = {self.r}/{self.n}: EN0 = {self.en0:.2f}, "
            f"PET0 = {self.pet0:.3f}, alpha = {self.alpha:.4f}, power = {self.power:.4f}"
        )
        if self.q_low is not None and self.q_high is not None:
            text += f", q in [{self.q_low:.3f}, {self.q_high:.3f}]"
        return text


def simon_design(r1: int, n1: int, r: int, n: int, p0: float, p1: float) -> SimonDesign:
    """Shorthand for SimonDesign.from_boundaries."""
    return SimonDesign.from_boundaries(r1, n1, r, n, p0, p1)


class NoDesignError(ValueError):
    """No two-stage design with n <= nmax meets the constraints; says which nmax would work."""

    def __init__(self, nmax: int, smallest_nmax: int | None, limit: int = SEARCH_LIMIT) -> None:
        self.nmax = nmax
        self.smallest_nmax = smallest_nmax
        if smallest_nmax is None:
            message = (
                f"no Simon two-stage design with n <= nmax={nmax} meets the constraints, "
                f"nor any with n <= {limit}"
            )
        else:
            message = (
                f"no Simon two-stage design with n <= nmax={nmax} meets the constraints; "
                f"the smallest nmax that works is {smallest_nmax}"
            )
        super().__init__(message)


@dataclass(frozen=True)
class SimonSearchResult:
    """Outcome of a design search: the optimal, minimax and all admissible designs.

    `frontier` lists, by increasing n, every n's least-EN0 design that beats all smaller n
    (the Pareto front in (n, EN0)); admissible designs are its lower-convex-hull vertices.
    """

    p0: float
    p1: float
    nominal_alpha: float
    nominal_power: float
    nmax: int
    optimal: SimonDesign
    minimax: SimonDesign
    admissible: tuple[SimonDesign, ...]
    frontier: tuple[SimonDesign, ...] = field(default=(), repr=False)
    optimal_beyond_nmax: SimonDesign | None = None

    @property
    def nmax_warning(self) -> str | None:
        """A warning when nmax cut the search off: the optimal design over every n says which
        nmax is needed. Like clinfun (optimal n > nmax - 10), but the search beyond nmax is
        exact: it goes up until no larger n can have a smaller EN0."""
        better = self.optimal_beyond_nmax
        if better is None:
            return None
        return (
            f"the optimal design sits at n={self.optimal.n}, near nmax={self.nmax}, and a "
            f"larger n does better: {better.r1}/{better.n1}, {better.r}/{better.n} "
            f"(EN0 {better.en0:.2f} against {self.optimal.en0:.2f}); rerun with "
            f"--nmax {better.n} or more"
            if self.optimal.n > self.nmax - NEAR_NMAX
            else f"nmax={self.nmax} cut the search off: {better.r1}/{better.n1}, "
            f"{better.r}/{better.n} has EN0 {better.en0:.2f} against {self.optimal.en0:.2f}; "
            f"rerun with --nmax {better.n} or more"
        )

    def to_dict(self) -> dict[str, object]:
        """Optimal, minimax and admissible designs (SimonDesign.to_dict()) and the nmax warning."""
        return {
            "optimal": self.optimal.to_dict(),
            "minimax": self.minimax.to_dict(),
            "admissible": [d.to_dict() for d in self.admissible],
            "optimal_beyond_nmax": (
                None if self.optimal_beyond_nmax is None else self.optimal_beyond_nmax.to_dict()
            ),
            "nmax_warning": self.nmax_warning,
        }

    def table(self) -> str:
        """Plain-text table of the admissible designs (minimax first, optimal last)."""
        head = f"{'design':<10} {'r1/n1':>7} {'r/n':>7} {'EN0':>7} {'PET0':>6} "
        head += f"{'alpha':>7} {'power':>7} {'q range':>13}"
        lines = [
            f"Simon two-stage designs: p0={self.p0:g}, p1={self.p1:g}, "
            f"alpha<={self.nominal_alpha:g}, power>={self.nominal_power:g}, nmax={self.nmax}",
            head,
        ]
        for d in self.admissible:
            label = []
            if d.rule == self.minimax.rule:
                label.append("minimax")
            if d.rule == self.optimal.rule:
                label.append("optimal")
            name = "/".join(label) or "admissible"
            lines.append(
                f"{name:<10} {f'{d.r1}/{d.n1}':>7} {f'{d.r}/{d.n}':>7} {d.en0:7.2f} "
                f"{d.pet0:6.3f} {d.alpha:7.4f} {d.power:7.4f} "
                f"{f'[{d.q_low:.3f},{d.q_high:.3f}]':>13}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


# =========================================================================== operating chars
@dataclass(frozen=True)
class TwoStageOC:
    """Exact operating characteristics of a two-stage rule at true response rate(s) p.

    prob_reject = P(declare efficacy); pet = P(stop after stage 1); en = expected sample size.
    Scalars when p was a scalar, numpy arrays otherwise.
    """

    p: float | NDArray[np.float64]
    prob_reject: float | NDArray[np.float64]
    pet: float | NDArray[np.float64]
    en: float | NDArray[np.float64]

    def to_dict(self) -> dict[str, object]:
        """Plain-JSON view (lists for arrays)."""
        return {k: np.asarray(v).tolist() for k, v in asdict(self).items()}


def operating_characteristics(design: _HasBoundaries, p: ArrayLike) -> TwoStageOC:
    """Exact P(reject H0), PET and E[N] of a two-stage rule at each true rate in p.

    P(reject) = sum_{x1 > r1} P(X1 = x1) P(X2 > r - x1) (Simon 1989, section 2).
    """
    rule = TwoStageRule(design.r1, design.n1, design.r, design.n)
    parr = np.asarray(p, dtype=float)
    if parr.size == 0:
        raise ValueError("p must contain at least one response rate")
    if np.any(~((parr >= 0) & (parr <= 1))):
        raise ValueError("p must lie in [0, 1]")
    flat = parr.reshape(-1, 1)
    x1 = np.arange(rule.r1 + 1, rule.n1 + 1)
    cont = pmf_rows(rule.n1, flat)[:, x1] * prob_greater(rule.r - x1, rule.n2, flat)
    reject = cont.sum(axis=1)
    pet = prob_at_most(rule.r1, rule.n1, flat)[:, 0]
    en = rule.n1 + (1.0 - pet) * rule.n2

    def shape(a: NDArray[np.float64]) -> float | NDArray[np.float64]:
        return float(a[0]) if parr.ndim == 0 else a.reshape(parr.shape)

    return TwoStageOC(p=shape(flat[:, 0]), prob_reject=shape(reject), pet=shape(pet), en=shape(en))


# =========================================================================== search
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


# =========================================================================== inference
@dataclass(frozen=True)
class TwoStageInferenceResult:
    """Inference after a completed two-stage trial (stage-wise ordering of the sample space)."""

    r1: int
    n1: int
    r: int
    n: int
    stage: int
    x1: int
    x_total: int
    n_treated: int
    p0: float | None
    p_value: float | None
    reject_h0: bool
    mle: float
    mue: float
    umvue: float
    ci_lower: float
    ci_upper: float
    conf_level: float

    def to_dict(self) -> dict[str, object]:
        """Plain-JSON view."""
        return asdict(self)


class TwoStageInference:
    """Exact inference after a Simon two-stage trial, lifelines-style: fit() then attributes.

    Outcomes are ordered stage-wise (Koyama & Chen 2008, Stat Med 27:3145): every stage-1 stop
    ranks below every stage-2 completion, and within a stage by responder count. The p-value is
    P_p0(T >= t); the two-sided CI takes each tail at (1 - conf_level)/2 by inverting that same
    ordering, so the CI lies above p0 exactly when the one-sided p-value is below (1-conf)/2.
    Limits come from root-finding on the exact tail probabilities (not a grid, unlike
    clinfun's twostage.inference); the lower limit is 0 at x = 0, the upper 1 when all respond.
    """

    def __init__(
        self, design: _HasBoundaries, p0: float | None = None, conf_level: float = 0.95
    ) -> None:
        self.rule = TwoStageRule(design.r1, design.n1, design.r, design.n)
        if p0 is None:
            p0 = getattr(design, "p0", None)
        self.p0 = None if p0 is None else check_probability("p0", p0)
        self.conf_level = check_probability("conf_level", conf_level)
        self.result_: TwoStageInferenceResult | None = None

    # -- tail probabilities of the stage-wise ordering --------------------------------------
    def _ge(self, stage: int, x: int, p: float) -> float:
        """P_p(T >= (stage, x)) in the stage-wise ordering."""
        rule = self.rule
        if stage == 1:
            return float(prob_greater(x - 1, rule.n1, p)[0, 0])
        x1 = np.arange(rule.r1 + 1, rule.n1 + 1)
        return float(np.sum(pmf_rows(rule.n1, p)[0, x1] * prob_greater(x - x1 - 1, rule.n2, p)[0]))

    def _le(self, stage: int, x: int, p: float) -> float:
        """P_p(T <= (stage, x)) in the stage-wise ordering."""
        rule = self.rule
        if stage == 1:
            return float(prob_at_most(x, rule.n1, p)[0, 0])
        x1 = np.arange(rule.r1 + 1, rule.n1 + 1)
        stop = float(prob_at_most(rule.r1, rule.n1, p)[0, 0])
        return stop + float(
            np.sum(pmf_rows(rule.n1, p)[0, x1] * prob_at_most(x - x1, rule.n2, p)[0])
        )

    def _solve(self, func: str, stage: int, x: int, target: float) -> float:
        """The p in (0, 1) where the (monotone) tail probability equals target."""
        f = self._ge if func == "ge" else self._le
        return _root_of_monotone(lambda p: f(stage, x, p) - target)

    def fit(self, x1: int, x2: int | None = None, *, x_total: int | None = None) -> Self:
        """Analyse stage-1 count x1 and, if the trial continued, stage-2 count x2 (or x_total).

        Returns self; results in p_value, mue, umvue, ci_lower, ci_upper, summary, result_.
        """
        rule = self.rule
        x1 = check_count("x1", x1)
        if x1 > rule.n1:
            raise ValueError(f"x1 must not exceed n1={rule.n1}, got {x1}")
        if x1 <= rule.r1:
            if (x2 is not None and x2 != 0) or (x_total is not None and x_total != x1):
                raise ValueError(
                    f"x2/x_total given but the trial stops after stage 1 (x1={x1} <= r1={rule.r1})"
                )
            stage, total = 1, x1
        else:
            if x2 is None and x_total is None:
                raise ValueError(
                    f"x1={x1} > r1={rule.r1}: the trial continues, so give x2 or x_total"
                )
            if x2 is not None and x_total is not None and x1 + x2 != x_total:
                raise ValueError(f"x_total={x_total} differs from x1 + x2 = {x1 + x2}")
            if x2 is None:
                total = check_count("x_total", x_total)  # type: ignore[arg-type]
                x2 = total - x1
                if x2 < 0:
                    raise ValueError(f"x_total must be at least x1={x1}, got {total}")
            x2 = check_count("x2", x2)
            if x2 > rule.n2:
                raise ValueError(f"x2 must not exceed n - n1 = {rule.n2}, got {x2}")
            stage, total = 2, x1 + x2

        is_min = stage == 1 and total == 0
        is_max = stage == 2 and total == rule.n
        half = (1.0 - self.conf_level) / 2.0
        lower = 0.0 if is_min else self._solve("ge", stage, total, half)
        upper = 1.0 if is_max else self._solve("le", stage, total, half)
        med_lo = 0.0 if is_min else self._solve("ge", stage, total, 0.5)
        med_hi = 1.0 if is_max else self._solve("le", stage, total, 0.5)
        p_value = None if self.p0 is None else min(1.0, self._ge(stage, total, self.p0))
        n_treated = rule.n1 if stage == 1 else rule.n
        self.result_ = TwoStageInferenceResult(
            r1=rule.r1,
            n1=rule.n1,
            r=rule.r,
            n=rule.n,
            stage=stage,
            x1=x1,
            x_total=total,
            n_treated=n_treated,
            p0=self.p0,
            p_value=p_value,
            reject_h0=stage == 2 and total > rule.r,
            mle=total / n_treated,
            mue=(med_lo + med_hi) / 2.0,
            umvue=_umvue(rule, stage, total),
            ci_lower=lower,
            ci_upper=upper,
            conf_level=self.conf_level,
        )
        return self

    def _fitted(self) -> TwoStageInferenceResult:
        if self.result_ is None:
            raise RuntimeError("call fit() first")
        return self.result_

    @property
    def p_value(self) -> float | None:
        """One-sided exact p-value for H0: p <= p0 (None when p0 is unknown)."""
        return self._fitted().p_value

    @property
    def mue(self) -> float:
        """Median-unbiased estimate: mid-point of the p solving P_p(T >= t) = 1/2 and the p
        solving P_p(T <= t) = 1/2 (Hirji, Tsiatis & Mehta 1989 convention for discrete data;
        0 and 1 stand in at the extreme outcomes)."""
        return self._fitted().mue

    @property
    def umvue(self) -> float:
        """Uniformly minimum-variance unbiased estimate (Jung & Kim 2004)."""
        return self._fitted().umvue

    @property
    def ci_lower(self) -> float:
        """Lower exact confidence limit."""
        return self._fitted().ci_lower

    @property
    def ci_upper(self) -> float:
        """Upper exact confidence limit."""
        return self._fitted().ci_upper

    @property
    def summary(self) -> pd.DataFrame:
        """One-row table of the estimates, CI and p-value."""
        import pandas as pd

        r = self._fitted()
        pct = f"{100 * r.conf_level:g}%"
        return pd.DataFrame(
            [
                {
                    "stage": r.stage,
                    "responders": r.x_total,
                    "treated": r.n_treated,
                    "mle": r.mle,
                    "mue": r.mue,
                    "umvue": r.umvue,
                    f"lower {pct}": r.ci_lower,
                    f"upper {pct}": r.ci_upper,
                    "p": r.p_value,
                }
            ]
        )


def _root_of_monotone(f: Callable[[float], float], tol: float = 1e-15) -> float:
    """The root in [0, 1] of a continuous monotone f whose sign differs at 0 and 1.

    Regula falsi with the Illinois modification, ended by the bracket width (1e-15): as sure as
    bisection, a few times fewer evaluations; scipy's brentq would cost scipy's import.
    """
    a, b = 0.0, 1.0
    fa, fb = f(a), f(b)
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    if (fa > 0) == (fb > 0):
        raise ValueError("no sign change on [0, 1]")
    side = 0
    for _ in range(200):
        c = (a * fb - b * fa) / (fb - fa)
        if not a < c < b:
            c = 0.5 * (a + b)
        fc = f(c)
        if fc == 0.0 or b - a < tol:
            return c
        if (fc > 0) == (fb > 0):
            b, fb = c, fc
            if side == -1:
                fa /= 2
            side = -1
        else:
            a, fa = c, fc
            if side == 1:
                fb /= 2
            side = 1
        if b - a < tol:
            break
    return 0.5 * (a + b)


def _umvue(rule: TwoStageRule, stage: int, total: int) -> float:
    """UMVUE of p (Jung & Kim 2004, Stat Med 23:561): Rao–Blackwellised X1/n1.

    Stage 1: x1/n1. Stage 2 with total s: sum C(n1-1, x1-1) C(n2, s-x1) / sum C(n1, x1) C(n2, s-x1)
    over x1 from max(r1+1, s-n2) to min(n1, s).
    """
    if stage == 1:
        return total / rule.n1
    lo, hi = max(rule.r1 + 1, total - rule.n2), min(rule.n1, total)
    num = sum(
        math.comb(rule.n1 - 1, k - 1) * math.comb(rule.n2, total - k) for k in range(lo, hi + 1)
    )
    den = sum(math.comb(rule.n1, k) * math.comb(rule.n2, total - k) for k in range(lo, hi + 1))
    return num / den
