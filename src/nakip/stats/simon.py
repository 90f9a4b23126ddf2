"""Simon's two-stage phase II designs: search, operating characteristics and final inference.

Rule (Simon 1989, Controlled Clinical Trials 10:1-10): treat n1 patients; stop for futility if
X1 <= r1; otherwise treat n - n1 more and declare efficacy (reject H0: p <= p0) if X1 + X2 > r.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Protocol, Self

from nakip.stats.binomial import check_count, check_probability, check_rates
from nakip.stats.binomial_probabilities import at_most, greater, pmf_list

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import ArrayLike, NDArray

# Nothing heavier than the standard library at import: `nakip design oc|infer` must start as
# fast as Rscript. The search (nakip.stats.simon_search) is plain Python too; numpy comes only
# with an array of rates, pandas with TwoStageInference.summary.

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
        return {
            k: v if isinstance(v, float) else v.tolist()  # type: ignore[union-attr]
            for k, v in asdict(self).items()
        }


def _oc_at(rule: TwoStageRule, p: float) -> tuple[float, float, float]:
    """(P(reject H0), PET, E[N]) at one true rate p: pure Python, exact."""
    pmf1 = pmf_list(rule.n1, p)
    reject = math.fsum(
        pmf1[x1] * greater(rule.r - x1, rule.n2, p) for x1 in range(rule.r1 + 1, rule.n1 + 1)
    )
    pet = at_most(rule.r1, rule.n1, p)
    return reject, pet, rule.n1 + (1.0 - pet) * rule.n2


def operating_characteristics(design: _HasBoundaries, p: ArrayLike) -> TwoStageOC:
    """Exact P(reject H0), PET and E[N] of a two-stage rule at each true rate in p.

    P(reject) = sum_{x1 > r1} P(X1 = x1) P(X2 > r - x1) (Simon 1989, section 2). A scalar p
    gives floats (no numpy needed); a sequence or array gives numpy arrays of its shape.
    """
    rule = TwoStageRule(design.r1, design.n1, design.r, design.n)
    if isinstance(p, numbers.Real):
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError("p must lie in [0, 1]")
        reject, pet, en = _oc_at(rule, float(p))
        return TwoStageOC(p=float(p), prob_reject=reject, pet=pet, en=en)
    import numpy as np

    parr = np.asarray(p, dtype=float)
    if parr.size == 0:
        raise ValueError("p must contain at least one response rate")
    if np.any(~((parr >= 0) & (parr <= 1))):
        raise ValueError("p must lie in [0, 1]")
    values = np.array([_oc_at(rule, float(v)) for v in parr.ravel()]).reshape(-1, 3)

    def shape(a: NDArray[np.float64]) -> float | NDArray[np.float64]:
        return float(a[0]) if parr.ndim == 0 else a.reshape(parr.shape)

    return TwoStageOC(
        p=shape(parr.ravel()),
        prob_reject=shape(values[:, 0]),
        pet=shape(values[:, 1]),
        en=shape(values[:, 2]),
    )


# =========================================================================== search
def smallest_feasible_n(
    p0: float, p1: float, alpha: float = 0.05, power: float = 0.80, *, start: int = 2
) -> int | None:
    """Least total n >= start of any feasible design (the minimax n); None beyond the limit."""
    from nakip.stats import simon_search

    return simon_search.smallest_feasible_n(p0, p1, alpha, power, start=start)


def search(
    p0: float, p1: float, alpha: float = 0.05, power: float = 0.80, nmax: int = 100
) -> SimonSearchResult:
    """Optimal, minimax and admissible Simon two-stage designs with n <= nmax.

    Optimal: least EN0 (Simon 1989); minimax: least n, ties by EN0; admissible: Jung, Lee, Kim &
    George (2004, JSPI 119:205). Constraints exact: alpha <= nominal, power >= nominal. The
    search also looks beyond nmax (up to SEARCH_LIMIT, stopping when no larger n can do
    better) and keeps the optimal design there, if any, for the `nmax_warning`. The work is
    done by nakip.stats.simon_search, imported on the first call.
    """
    from nakip.stats import simon_search

    return simon_search.search(p0, p1, alpha, power, nmax)


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
            return greater(x - 1, rule.n1, p)
        pmf1 = pmf_list(rule.n1, p)
        return math.fsum(
            pmf1[x1] * greater(x - x1 - 1, rule.n2, p) for x1 in range(rule.r1 + 1, rule.n1 + 1)
        )

    def _le(self, stage: int, x: int, p: float) -> float:
        """P_p(T <= (stage, x)) in the stage-wise ordering."""
        rule = self.rule
        if stage == 1:
            return at_most(x, rule.n1, p)
        pmf1 = pmf_list(rule.n1, p)
        stop = at_most(rule.r1, rule.n1, p)
        return stop + math.fsum(
            pmf1[x1] * at_most(x - x1, rule.n2, p) for x1 in range(rule.r1 + 1, rule.n1 + 1)
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
