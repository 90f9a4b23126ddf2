"""Bayesian continuous monitoring of a binary rate in a single-arm trial, with exact OC.

Three rules share one exact engine (forward recursion over the (n, x) lattice, `_exact.py`):

* `BayesianToxicityMonitor` (defined in `toxicity_monitor`, without numpy, re-exported here):
  stop when Pr(rate > limit | x events of n) > cutoff under a Beta(a, b) prior
  (posterior-probability monitoring of toxicity or infeasibility; Thall & Simon, Biometrics
  1994;50:337; Geller et al. 2003).
* `ThallSimonEsteyMonitor`: the experimental rate p_E against a standard-therapy prior for p_S
  (Thall, Simon & Estey, Stat Med 1995;14:357): futility stops when
  Pr(p_E > p_S + delta | data) < cutoff; toxicity stops when Pr(p_E > p_S + delta | data) > cutoff.
* `PredictiveProbabilityMonitor`: Lee & Liu (Clin Trials 2008;5:93) futility rule: stop when the
  predictive probability of final success (Pr(p > p0 | data at Nmax) > theta_T) is < theta_L.

Each rule exposes `.boundaries` (a pandas DataFrame, one row per patient count n) and
`.operating_characteristics(rates)`, returning a frozen `MonitorOC` with `to_dict()` and `summary`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from nakip.stats._exact import NO_LOWER, no_upper, sequential_oc
from nakip.stats.beta_tail import beta_sf
from nakip.stats.monitor_oc import (
    MonitorOC,
    check_positive,
    check_prob,
    check_rates,
    check_sizes,
    stops_by_n,
)
from nakip.stats.toxicity_monitor import BayesianToxicityMonitor

if TYPE_CHECKING:
    import pandas as pd

# pandas only for the tables and scipy.stats only for the TSE and predictive rules. The CLI's
# `design monitor` imports `toxicity_monitor` directly, so it loads none of numpy, scipy, pandas.

__all__ = [
    "BayesianToxicityMonitor",
    "MonitorOC",
    "PredictiveProbabilityMonitor",
    "ThallSimonEsteyMonitor",
    "posterior_exceedance",
    "predictive_probability",
    "tse_probability",
]


def posterior_exceedance(
    x: int | np.ndarray, n: int | np.ndarray, a: float, b: float, limit: float
) -> np.ndarray:
    """Pr(rate > limit | x events among n) under a Beta(a, b) prior: the Beta(a+x, b+n-x) tail."""
    x, n = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(n, dtype=float))
    tails = [beta_sf(limit, a + xi, b + ni - xi) for xi, ni in zip(x.flat, n.flat, strict=True)]
    return np.asarray(tails, dtype=float).reshape(x.shape)


def _nullable(counts: np.ndarray, possible: np.ndarray) -> pd.arrays.IntegerArray:
    """Integer column with <NA> where no stop is possible."""
    import pandas as pd

    return pd.array(
        [int(c) if ok else None for c, ok in zip(counts, possible, strict=True)], dtype="Int64"
    )


@lru_cache(maxsize=1)
def _unit_quadrature() -> tuple[np.ndarray, np.ndarray]:
    """400-node Gauss-Legendre nodes and weights on (0, 1), built on first use, not at import
    (the eigenvalue solve takes seconds and most callers never integrate)."""
    nodes, weights = np.polynomial.legendre.leggauss(400)
    return 0.5 * (nodes + 1.0), 0.5 * weights


@lru_cache(maxsize=64)
def _standard_quantiles(a: float, b: float) -> np.ndarray:
    """Quantiles of Beta(a, b) at the Gauss-Legendre nodes (cached: ppf is the slow part)."""
    from scipy import stats

    out = stats.beta.ppf(_unit_quadrature()[0], a, b)
    out.setflags(write=False)
    return out


def tse_probability(
    x: int | np.ndarray,
    n: int | np.ndarray,
    experimental_a: float,
    experimental_b: float,
    standard_a: float,
    standard_b: float,
    delta: float,
) -> np.ndarray:
    """Pr(p_E > p_S + delta | x of n) with p_E ~ Beta(a_E + x, b_E + n - x), p_S ~ Beta(a_S, b_S).

    Integrates over the quantiles u of p_S by 400-node Gauss-Legendre: E_u[1 - F_E(F_S^-1(u) + d)].
    """
    x = np.atleast_1d(np.asarray(x, dtype=float))
    n = np.broadcast_to(np.asarray(n, dtype=float), x.shape)
    s = _standard_quantiles(float(standard_a), float(standard_b))
    thresh = np.clip(s + delta, 0.0, 1.0)
    from scipy import stats

    tail = stats.beta.sf(
        thresh[None, :], experimental_a + x[:, None], experimental_b + (n - x)[:, None]
    )
    tail = np.where(thresh[None, :] >= 1.0, 0.0, np.where(thresh[None, :] <= 0.0, 1.0, tail))
    return tail @ _unit_quadrature()[1]


class ThallSimonEsteyMonitor:
    """Thall-Simon-Estey (1995) monitoring of an experimental rate against a standard prior.

    direction="efficacy": stop for futility when Pr(p_E > p_S + delta | data) < cutoff (a low
    cutoff such as 0.05); direction="toxicity": stop when Pr(p_E > p_S + delta | data) > cutoff
    (a high cutoff such as 0.90). The experimental prior is typically weak (Thall, Simon & Estey
    1995, Sec. 2: effective sample size about 2, same mean as the standard prior).
    """

    def __init__(
        self,
        standard_a: float,
        standard_b: float,
        delta: float,
        cutoff: float,
        nmax: int,
        direction: Literal["efficacy", "toxicity"] = "efficacy",
        experimental_a: float | None = None,
        experimental_b: float | None = None,
        experimental_ess: float = 2.0,
        min_patients: int = 1,
    ) -> None:
        check_positive("standard_a", standard_a)
        check_positive("standard_b", standard_b)
        check_prob("cutoff", cutoff)
        if not -1.0 < delta < 1.0:
            raise ValueError(f"delta must lie in (-1, 1), got {delta}")
        if direction not in ("efficacy", "toxicity"):
            raise ValueError("direction must be 'efficacy' or 'toxicity'")
        check_sizes(nmax, min_patients)
        mean_s = standard_a / (standard_a + standard_b)
        if experimental_a is None or experimental_b is None:
            check_positive("experimental_ess", experimental_ess)
            experimental_a = mean_s * experimental_ess
            experimental_b = (1.0 - mean_s) * experimental_ess
        check_positive("experimental_a", experimental_a)
        check_positive("experimental_b", experimental_b)
        self.standard_a = float(standard_a)
        self.standard_b = float(standard_b)
        self.experimental_a = float(experimental_a)
        self.experimental_b = float(experimental_b)
        self.delta = float(delta)
        self.cutoff = float(cutoff)
        self.nmax = int(nmax)
        self.direction = direction
        self.min_patients = int(min_patients)

    @property
    def parameters(self) -> dict[str, Any]:
        """The rule's parameters as a plain dictionary."""
        return {
            "standard_a": self.standard_a,
            "standard_b": self.standard_b,
            "experimental_a": self.experimental_a,
            "experimental_b": self.experimental_b,
            "delta": self.delta,
            "cutoff": self.cutoff,
            "nmax": self.nmax,
            "direction": self.direction,
            "min_patients": self.min_patients,
        }

    def probability(self, x: int | np.ndarray, n: int | np.ndarray) -> np.ndarray:
        """Pr(p_E > p_S + delta | x events among n)."""
        return tse_probability(
            x,
            n,
            self.experimental_a,
            self.experimental_b,
            self.standard_a,
            self.standard_b,
            self.delta,
        )

    @cached_property
    def stop_counts(self) -> np.ndarray:
        """Per n: efficacy, the largest x that stops (-1 none); toxicity, the least (n+1 none).

        One probability per n suffices: for fixed x the probability falls as n grows, and one
        more patient who responds raises it, so the boundary moves by 0 or +1 from n to n + 1.
        """
        out = np.empty(self.nmax, dtype=np.int64)
        c = self.cutoff
        if self.direction == "efficacy":
            first = self.probability(np.arange(2), 1) < c
            bound = int(np.nonzero(first)[0][-1]) if first.any() else NO_LOWER
            for n in range(1, self.nmax + 1):
                cand = bound + 1
                if n > 1 and cand <= n and self.probability(cand, n)[0] < c:
                    bound = cand
                out[n - 1] = bound if n >= self.min_patients else NO_LOWER
        else:
            first = self.probability(np.arange(2), 1) > c
            bound = int(np.nonzero(first)[0][0]) if first.any() else 2
            for n in range(1, self.nmax + 1):
                if n > 1 and not (bound <= n and self.probability(bound, n)[0] > c):
                    bound += 1
                out[n - 1] = bound if n >= self.min_patients else no_upper(n)
        return out

    @property
    def boundaries(self) -> pd.DataFrame:
        """Efficacy: stop if <= `stop_if_at_most` responses; toxicity: stop if >= events."""
        import pandas as pd

        counts = self.stop_counts
        ns = np.arange(1, self.nmax + 1)
        if self.direction == "efficacy":
            possible = counts >= 0
            col = "stop_if_at_most"
        else:
            possible = counts <= ns
            col = "stop_if_at_least"
        values = _nullable(counts, possible)
        return pd.DataFrame({"n": ns, col: values}).set_index("n")

    def operating_characteristics(self, rates: Sequence[float] | np.ndarray) -> MonitorOC:
        """Exact OC for each true experimental rate (recursion over the (n, x) lattice)."""
        p = check_rates(rates)
        looks = np.arange(1, self.nmax + 1)
        if self.direction == "efficacy":
            lower, upper = self.stop_counts, [no_upper(int(n)) for n in looks]
        else:
            lower, upper = [NO_LOWER] * self.nmax, self.stop_counts
        raw = sequential_oc(looks, lower, upper, p)
        by_n = stops_by_n(raw, self.nmax)
        return MonitorOC(
            rule=f"thall-simon-estey-{self.direction}",
            nmax=self.nmax,
            rates=p,
            prob_stop=tuple(sum(row) for row in by_n),
            prob_early_stop=tuple(sum(row[:-1]) for row in by_n),
            expected_n=raw.expected_n,
            expected_events=raw.expected_events,
            prob_stop_by_n=by_n,
            parameters=self.parameters,
        )


def predictive_probability(
    x: int | np.ndarray,
    n: int,
    nmax: int,
    prior_a: float,
    prior_b: float,
    p0: float,
    theta_t: float,
) -> np.ndarray:
    """Lee & Liu (2008) predictive probability of success at nmax given x responses of n.

    PP = sum_y BetaBinomial(y; nmax - n, a + x, b + n - x) * I(Pr(p > p0 | x + y, nmax) > theta_T).
    """
    x = np.atleast_1d(np.asarray(x, dtype=np.int64))
    m = nmax - n
    if m < 0:
        raise ValueError("n must not exceed nmax")
    totals = np.arange(nmax + 1)
    success = posterior_exceedance(totals, nmax, prior_a, prior_b, p0) > theta_t
    ys = np.arange(m + 1)
    from scipy import stats

    pmf = stats.betabinom.pmf(
        ys[None, :], m, prior_a + x[:, None], prior_b + n - x[:, None]
    )  # shape (len(x), m + 1)
    return (pmf * success[x[:, None] + ys[None, :]]).sum(axis=1)


class PredictiveProbabilityMonitor:
    """Lee & Liu (2008) predictive-probability design for a single-arm efficacy trial.

    At each look n (default every patient from `min_patients` to nmax - 1) stop for futility if
    PP < theta_L; at nmax declare success when Pr(p > p0 | x, nmax) > theta_T.
    """

    def __init__(
        self,
        prior_a: float,
        prior_b: float,
        p0: float,
        theta_t: float,
        theta_l: float,
        nmax: int,
        min_patients: int = 1,
        looks: Sequence[int] | None = None,
    ) -> None:
        check_positive("prior_a", prior_a)
        check_positive("prior_b", prior_b)
        check_prob("p0", p0)
        check_prob("theta_t", theta_t)
        check_prob("theta_l", theta_l, open_interval=False)
        if int(nmax) != nmax or nmax < 1:
            raise ValueError(f"nmax must be a positive integer, got {nmax}")
        if looks is None:
            if int(min_patients) != min_patients or not 1 <= min_patients <= nmax:
                raise ValueError("min_patients must be an integer in [1, nmax]")
            looks = range(int(min_patients), int(nmax))
        interim = sorted({int(v) for v in looks if int(v) < nmax})
        if any(v < 1 for v in interim):
            raise ValueError("looks must be positive patient counts")
        self.prior_a = float(prior_a)
        self.prior_b = float(prior_b)
        self.p0 = float(p0)
        self.theta_t = float(theta_t)
        self.theta_l = float(theta_l)
        self.nmax = int(nmax)
        self.looks = tuple(interim) + (self.nmax,)

    @property
    def parameters(self) -> dict[str, Any]:
        """The rule's parameters as a plain dictionary."""
        return {
            "prior_a": self.prior_a,
            "prior_b": self.prior_b,
            "p0": self.p0,
            "theta_t": self.theta_t,
            "theta_l": self.theta_l,
            "nmax": self.nmax,
            "looks": list(self.looks),
        }

    def predictive_probability(self, x: int | np.ndarray, n: int) -> np.ndarray:
        """PP of final success given x responses among the first n patients."""
        return predictive_probability(
            x, n, self.nmax, self.prior_a, self.prior_b, self.p0, self.theta_t
        )

    @cached_property
    def futility_counts(self) -> np.ndarray:
        """Per look: stop (or, at nmax, fail) if responses <= this value; -1 = no stop."""
        out = np.empty(len(self.looks), dtype=np.int64)
        for k, n in enumerate(self.looks):
            xs = np.arange(n + 1)
            if n == self.nmax:
                fail = posterior_exceedance(xs, n, self.prior_a, self.prior_b, self.p0)
                hit = ~(fail > self.theta_t)
            else:
                hit = self.predictive_probability(xs, n) < self.theta_l
            out[k] = int(xs[hit][-1]) if hit.any() else NO_LOWER
        return out

    @property
    def boundaries(self) -> pd.DataFrame:
        """Stop if responses <= `stop_if_at_most` at n (the last row is the final failure rule)."""
        import pandas as pd

        counts = self.futility_counts
        possible = counts >= 0
        values = _nullable(counts, possible)
        return pd.DataFrame({"n": list(self.looks), "stop_if_at_most": values}).set_index("n")

    def operating_characteristics(self, rates: Sequence[float] | np.ndarray) -> MonitorOC:
        """Exact OC: early futility stop, success (rejecting p <= p0) and expected N per rate."""
        p = check_rates(rates)
        upper = [no_upper(n) for n in self.looks]
        raw = sequential_oc(self.looks, self.futility_counts, upper, p)
        early = tuple(sum(row[:-1]) for row in raw.stop_lower)
        return MonitorOC(
            rule="predictive-probability",
            nmax=self.nmax,
            rates=p,
            prob_stop=early,
            prob_early_stop=early,
            expected_n=raw.expected_n,
            expected_events=raw.expected_events,
            # the last look is the final analysis, not a stop
            prob_stop_by_n=stops_by_n(raw, self.nmax, looks=len(raw.looks) - 1),
            prob_success=raw.completed,
            parameters=self.parameters,
        )
