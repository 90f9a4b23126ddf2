"""Exact one-sample binomial inference and exact single-stage phase II designs.

The test, the intervals and the single-stage design all work from the exact binomial distribution
(no normal approximation), so a design's attained alpha and power are what the trial will have.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

from nakip.stats.binomial_probabilities import at_most, greater, pmf_list, upper_tail_list

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

# Neither scipy nor numpy at import: the exact test and the single-stage design run in pure
# Python (nakip.stats.binomial_probabilities), so `nakip design single` starts fast; scipy is
# imported by the beta-quantile intervals alone, numpy only when an array comes in.

Alternative = Literal["two-sided", "greater", "less"]
IntervalMethod = Literal["clopper-pearson", "wilson", "jeffreys"]

_ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "less")
_METHODS: tuple[str, ...] = ("clopper-pearson", "wilson", "jeffreys")
# Relative tolerance used by R's binom.test (and scipy) when comparing likelihoods for the
# two-sided minimum-likelihood p-value, so that exactly tied probabilities count as tied.
_TIE_TOLERANCE = 1.0 + 1e-7


# --------------------------------------------------------------------------- validation helpers
def check_probability(name: str, value: float) -> float:
    """Return `value` as a float strictly inside (0, 1), else raise ValueError naming it."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 1), got {value!r}") from None
    if not (0.0 < v < 1.0) or math.isnan(v):
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return v


def check_count(name: str, value: int, *, minimum: int = 0) -> int:
    """Return `value` as int if it is an integer >= minimum, else raise ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if v < minimum:
        what = "non-negative" if minimum == 0 else f">= {minimum}"
        raise ValueError(f"{name} must be {what}, got {v}")
    return v


def check_rates(p0: float, p1: float) -> tuple[float, float]:
    """Validate a null and an alternative response rate with 0 < p0 < p1 < 1."""
    p0 = check_probability("p0", p0)
    p1 = check_probability("p1", p1)
    if p0 >= p1:
        raise ValueError(f"p0 must be smaller than p1 (got p0={p0}, p1={p1})")
    return p0, p1


def _check_x_n(x: int, n: int) -> tuple[int, int]:
    n = check_count("n", n, minimum=1)
    x = check_count("x", x)
    if x > n:
        raise ValueError(f"x must not exceed n (got x={x}, n={n})")
    return x, n


def _check_conf(conf_level: float) -> float:
    return check_probability("conf_level", conf_level)


# --------------------------------------------------------------------------- exact test
@dataclass(frozen=True)
class BinomialTestResult:
    """Result of an exact one-sample binomial test of H0: p = p0 (crosses layers, hence frozen)."""

    x: int
    n: int
    p0: float
    alternative: str
    p_value: float
    estimate: float

    def to_dict(self) -> dict[str, object]:
        """Plain-JSON view of the result."""
        return asdict(self)


def binom_test(
    x: int, n: int, p0: float = 0.5, alternative: Alternative = "two-sided"
) -> BinomialTestResult:
    """Exact binomial test of H0: p = p0; the two-sided p-value uses the minimum-likelihood rule.

    Two-sided: sum of P(X = k) over all k with P(X = k) <= P(X = x) (relative tolerance 1e-7),
    as R's binom.test and scipy.stats.binomtest do (Conover 1999, section 3.1).
    """
    x, n = _check_x_n(x, n)
    p0 = check_probability("p0", p0)
    if alternative not in _ALTERNATIVES:
        raise ValueError(
            f"alternative must be one of {', '.join(_ALTERNATIVES)}; got {alternative!r}"
        )
    if alternative == "greater":
        pval = greater(x - 1, n, p0)
    elif alternative == "less":
        pval = at_most(x, n, p0)
    else:
        pmf = pmf_list(n, p0)
        d = pmf[x]
        pval = math.fsum(v for v in pmf if v <= d * _TIE_TOLERANCE)
    return BinomialTestResult(
        x=x, n=n, p0=p0, alternative=alternative, p_value=min(1.0, pval), estimate=x / n
    )


# --------------------------------------------------------------------------- intervals
@dataclass(frozen=True)
class ProportionInterval:
    """A confidence interval for a binomial proportion, with the method that produced it."""

    lower: float
    upper: float
    conf_level: float
    method: str

    def to_dict(self) -> dict[str, object]:
        """Plain-JSON view of the interval."""
        return asdict(self)


def clopper_pearson_interval(x: int, n: int, conf_level: float = 0.95) -> ProportionInterval:
    """Exact Clopper–Pearson (1934) interval from beta quantiles; lower 0 at x=0, upper 1 at x=n.

    Guarantees coverage >= conf_level for every p (conservative), the classical reference.
    """
    from scipy import special

    x, n = _check_x_n(x, n)
    a = 1.0 - _check_conf(conf_level)
    lower = 0.0 if x == 0 else float(special.betaincinv(x, n - x + 1, a / 2))
    upper = 1.0 if x == n else float(special.betaincinv(x + 1, n - x, 1 - a / 2))
    return ProportionInterval(lower, upper, conf_level, "clopper-pearson")


def wilson_interval(x: int, n: int, conf_level: float = 0.95) -> ProportionInterval:
    """Wilson (1927) score interval: the p for which the score test does not reject at 1-conf.

    Recommended by Brown, Cai & DasGupta (2001, Stat Sci 16:101) for its near-nominal coverage.
    """
    from statistics import NormalDist

    x, n = _check_x_n(x, n)
    a = 1.0 - _check_conf(conf_level)
    z = NormalDist().inv_cdf(1.0 - a / 2)
    phat = x / n
    denom = 1.0 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = (z / denom) * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n))
    lower = 0.0 if x == 0 else max(0.0, centre - half)
    upper = 1.0 if x == n else min(1.0, centre + half)
    return ProportionInterval(lower, upper, conf_level, "wilson")


def jeffreys_interval(x: int, n: int, conf_level: float = 0.95) -> ProportionInterval:
    """Jeffreys interval: equal-tailed Beta(x+1/2, n-x+1/2) quantiles (Brown, Cai & DasGupta 2001).

    As in that paper (section 4.1.2) the lower limit is 0 when x=0 and the upper limit 1 when x=n.
    """
    from scipy import special

    x, n = _check_x_n(x, n)
    a = 1.0 - _check_conf(conf_level)
    lower = 0.0 if x == 0 else float(special.betaincinv(x + 0.5, n - x + 0.5, a / 2))
    upper = 1.0 if x == n else float(special.betaincinv(x + 0.5, n - x + 0.5, 1 - a / 2))
    return ProportionInterval(lower, upper, conf_level, "jeffreys")


def proportion_interval(
    x: int, n: int, conf_level: float = 0.95, method: IntervalMethod = "clopper-pearson"
) -> ProportionInterval:
    """Confidence interval for x responders out of n by the named method."""
    if method == "clopper-pearson":
        return clopper_pearson_interval(x, n, conf_level)
    if method == "wilson":
        return wilson_interval(x, n, conf_level)
    if method == "jeffreys":
        return jeffreys_interval(x, n, conf_level)
    raise ValueError(f"method must be one of {', '.join(_METHODS)}; got {method!r}")


# --------------------------------------------------------------------------- single-stage design
SINGLE_STAGE_RULE = "reject H0 (the treatment is promising) if more than r of n respond (X > r)"
"""The one single-stage convention of NAKIP, Simon's (1989): r is the largest count that does
not reject. The CLI, scenario files, the protocol and the reports all use it."""


def single_stage_reject_prob(r: int, n: int, p: ArrayLike) -> float | NDArray[np.float64]:
    """P(X > r) for X ~ Binomial(n, p): the chance that `reject H0 if X > r` rejects.

    At p = p0 this is the exact type-I error, at p = p1 the exact power. Scalar in, scalar out.
    r follows Simon's convention (the largest count that does not reject), 0 <= r <= n.
    """
    n = check_count("n", n, minimum=1)
    r = check_count("r", r)
    if r > n:
        raise ValueError(f"r must not exceed n (got r={r}, n={n})")
    if isinstance(p, numbers.Real):
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError("p must lie in [0, 1]")
        return greater(r, n, float(p))
    import numpy as np

    parr = np.asarray(p, dtype=float)
    if np.any(~((parr >= 0) & (parr <= 1))):
        raise ValueError("p must lie in [0, 1]")
    out = np.array([greater(r, n, float(v)) for v in parr.ravel()])
    return float(out[0]) if parr.ndim == 0 else out.reshape(parr.shape)


@dataclass(frozen=True)
class SingleStageDesign:
    """Single-stage exact design: treat n patients, declare efficacy (reject H0) if X > r.

    r is the largest responder count that does not reject (Simon's convention, as for the final
    boundary of a two-stage design), so `r/n = 13/27` means "promising if 14 or more of 27".
    """

    r: int
    n: int
    p0: float
    p1: float
    alpha: float
    power: float

    def to_dict(self) -> dict[str, object]:
        """Plain-JSON view of the design."""
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"Single-stage design: reject H0 if more than {self.r} of {self.n} respond "
            f"(p0={self.p0:g}, p1={self.p1:g}; alpha={self.alpha:.4f}, power={self.power:.4f})"
        )


class NoSingleStageDesignError(ValueError):
    """No single-stage design with n <= nmax meets the alpha and power constraints."""


def single_stage_design(
    p0: float, p1: float, alpha: float = 0.05, power: float = 0.80, nmax: int = 1000
) -> SingleStageDesign:
    """Smallest exact single-stage design: the least n (then the least r) with the constraints.

    Constraints as in A'Hern (2001, Stat Med 20:859): P(X > r | p0) <= alpha and
    P(X > r | p1) >= power, exact binomial. For each n the least r meeting alpha has most power.
    """
    p0, p1 = check_rates(p0, p1)
    alpha = check_probability("alpha", alpha)
    power = check_probability("power", power)
    nmax = check_count("nmax", nmax, minimum=1)
    for n in range(1, nmax + 1):
        tail0 = upper_tail_list(n, p0)  # P(X >= j | p0), j = 0..n+1
        # least r with P(X > r | p0) = tail0[r + 1] <= alpha (r = n always qualifies)
        r = next(r for r in range(n + 1) if tail0[r + 1] <= alpha)
        att_power = upper_tail_list(n, p1)[r + 1]
        if att_power >= power:
            return SingleStageDesign(r=r, n=n, p0=p0, p1=p1, alpha=tail0[r + 1], power=att_power)
    raise NoSingleStageDesignError(
        f"no single-stage design with n <= nmax={nmax} meets alpha <= {alpha} and "
        f"power >= {power}; increase nmax"
    )
