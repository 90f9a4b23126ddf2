"""Posterior-probability monitoring of toxicity (or infeasibility): stop when
Pr(rate > limit | x events of n) > cutoff under a Beta(a, b) prior, with its exact OC.

Thall & Simon (Biometrics 1994;50:337), Geller et al. (2003). Plain Python (beta tails from
`beta_tail`, the lattice from `_exact`), so `nakip design monitor` starts without numpy.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    import pandas as pd


class BayesianToxicityMonitor:
    """Stop when Pr(rate > limit | x of n) > cutoff, Beta(prior_a, prior_b) prior, n <= nmax.

    The boundary is 'stop if >= b_n events among the first n patients' (Thall & Simon 1994
    posterior-probability monitoring); no stop is possible before `min_patients`.
    """

    def __init__(
        self,
        prior_a: float,
        prior_b: float,
        limit: float,
        cutoff: float,
        nmax: int,
        min_patients: int = 1,
    ) -> None:
        check_positive("prior_a", prior_a)
        check_positive("prior_b", prior_b)
        check_prob("limit", limit)
        check_prob("cutoff", cutoff)
        check_sizes(nmax, min_patients)
        self.prior_a = float(prior_a)
        self.prior_b = float(prior_b)
        self.limit = float(limit)
        self.cutoff = float(cutoff)
        self.nmax = int(nmax)
        self.min_patients = int(min_patients)

    @property
    def parameters(self) -> dict[str, Any]:
        """The rule's parameters as a plain dictionary."""
        return {
            "prior_a": self.prior_a,
            "prior_b": self.prior_b,
            "limit": self.limit,
            "cutoff": self.cutoff,
            "nmax": self.nmax,
            "min_patients": self.min_patients,
        }

    @cached_property
    def stop_counts(self) -> tuple[int, ...]:
        """b_n for n = 1..nmax: the least event count that stops the trial; n + 1 = no stop.

        Linear in nmax: b_n never decreases in n (for fixed x the exceedance falls as n grows),
        so each n's search starts from the previous n's boundary instead of from x = 0.
        """
        out = []
        bound = 0
        for n in range(1, self.nmax + 1):
            while bound <= n and not self._exceeds(bound, n):
                bound += 1
            out.append(bound if n >= self.min_patients else no_upper(n))
        return tuple(out)

    def _exceeds(self, x: int, n: int) -> bool:
        """True when x events among n stop the trial: Pr(rate > limit | x of n) > cutoff."""
        return beta_sf(self.limit, self.prior_a + x, self.prior_b + n - x) > self.cutoff

    @property
    def boundary_rows(self) -> tuple[tuple[int, int | None, float | None], ...]:
        """(n, stop if >= this many events, Pr(rate > limit) at that count) for n = 1..nmax;
        None where no stop is possible. The rows of `boundaries`, without pandas."""
        rows: list[tuple[int, int | None, float | None]] = []
        for n, count in enumerate(self.stop_counts, start=1):
            if count > n:
                rows.append((n, None, None))
                continue
            prob = beta_sf(self.limit, self.prior_a + count, self.prior_b + n - count)
            rows.append((n, count, prob))
        return tuple(rows)

    @property
    def boundaries(self) -> pd.DataFrame:
        """Boundary table: stop if >= `stop_if_at_least` events among the first n (<NA>: none)."""
        import pandas as pd

        rows = self.boundary_rows
        return pd.DataFrame(
            {
                "n": [r[0] for r in rows],
                "stop_if_at_least": pd.array([r[1] for r in rows], dtype="Int64"),
                "posterior_prob_at_boundary": [
                    float("nan") if r[2] is None else r[2] for r in rows
                ],
            }
        ).set_index("n")

    def operating_characteristics(self, rates: Iterable[float]) -> MonitorOC:
        """Exact OC for each true rate by forward recursion over the (n, x) lattice."""
        p = check_rates(rates)
        looks = range(1, self.nmax + 1)
        raw = sequential_oc(looks, [NO_LOWER] * self.nmax, self.stop_counts, p)
        return MonitorOC(
            rule="bayesian-toxicity",
            nmax=self.nmax,
            rates=p,
            prob_stop=tuple(sum(row) for row in raw.stop_upper),
            prob_early_stop=tuple(sum(row[:-1]) for row in raw.stop_upper),
            expected_n=raw.expected_n,
            expected_events=raw.expected_events,
            prob_stop_by_n=stops_by_n(raw, self.nmax),
            parameters=self.parameters,
        )
