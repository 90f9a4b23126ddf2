"""The search behind nakip.stats.simon.search: the EN0 frontier of Simon two-stage designs
(nakip.stats.simon.scan), the optimal, minimax and admissible designs on it, and the optimal
design beyond nmax. Plain Python: `nakip design simon` starts without numpy (issue 13).
"""

from __future__ import annotations

from collections.abc import Sequence

from nakip.stats.binomial import check_count, check_probability, check_rates
from nakip.stats.simon.design import SimonDesign
from nakip.stats.simon.scan import DesignScan, Found
from nakip.stats.simon.search import SEARCH_LIMIT, NoDesignError, SimonSearchResult

# Weights q closer than this count as equal when deciding admissibility (EN0 is exact to ~1e-13).
_TIE_Q = 1e-9


def _admissible_ranges(points: Sequence[tuple[int, float]]) -> list[tuple[int, float, float]]:
    """Indices and weight ranges [q_low, q_high] of points minimising q*n + (1-q)*EN0.

    Each design's loss is linear in q, so the set of q where it is no worse than every other
    design is an interval. Jung, Lee, Kim & George (2004) call a design admissible when it
    minimises the loss for some q, so a design optimal at a single q (on the segment between two
    others, as 16/33, 43/76 at q = 1/3 for p0 0.5, p1 0.65, alpha 0.1, power 0.9) is listed too,
    with the degenerate interval [q, q]; clinfun's twostage.admissible lists it the same way.
    """
    ns = [float(p[0]) for p in points]
    es = [p[1] for p in points]
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
    found, _ = DesignScan(p0, p1, alpha, power).frontier(start, SEARCH_LIMIT, first_only=True)
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
    scanner = DesignScan(p0, p1, alpha, power)
    found, bounded = scanner.frontier(2, nmax)
    if not found:
        more, _ = scanner.frontier(nmax + 1, SEARCH_LIMIT, first_only=True)
        raise NoDesignError(nmax, more[0].n if more else None)

    def as_design(f: Found, q: tuple[float, float] | None = None) -> SimonDesign:
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
        beyond, _ = scanner.frontier(nmax + 1, SEARCH_LIMIT, best_en=found[-1].en0)
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
