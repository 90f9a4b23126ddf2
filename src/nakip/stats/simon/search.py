"""Search for Simon two-stage designs: optimal, minimax and admissible, and the nmax that works.

Optimal and minimax after Simon (1989), admissible after Jung, Lee, Kim & George (2004, JSPI
119:205). The work is done by nakip.stats.simon.frontier, imported on the first call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nakip.stats.simon.design import SimonDesign

# Largest total sample size considered when looking for the nmax that would work.
SEARCH_LIMIT = 1000


# clinfun's rule of thumb: an optimal design with n > nmax - 10 may be cut off by nmax.
NEAR_NMAX = 10


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


def smallest_feasible_n(
    p0: float, p1: float, alpha: float = 0.05, power: float = 0.80, *, start: int = 2
) -> int | None:
    """Least total n >= start of any feasible design (the minimax n); None beyond the limit."""
    from nakip.stats.simon import frontier

    return frontier.smallest_feasible_n(p0, p1, alpha, power, start=start)


def search(
    p0: float, p1: float, alpha: float = 0.05, power: float = 0.80, nmax: int = 100
) -> SimonSearchResult:
    """Optimal, minimax and admissible Simon two-stage designs with n <= nmax.

    Optimal: least EN0 (Simon 1989); minimax: least n, ties by EN0; admissible: Jung, Lee, Kim &
    George (2004, JSPI 119:205). Constraints exact: alpha <= nominal, power >= nominal. The
    search also looks beyond nmax (up to SEARCH_LIMIT, stopping when no larger n can do
    better) and keeps the optimal design there, if any, for the `nmax_warning`. The work is
    done by nakip.stats.simon.frontier, imported on the first call.
    """
    from nakip.stats.simon import frontier

    return frontier.search(p0, p1, alpha, power, nmax)
