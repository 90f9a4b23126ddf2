"""BOIN: boundaries, dose elimination, isotonic MTD selection and simulated OC.

Liu & Yuan (JRSS-C 2015;64:507) and the BOIN R package (Yan et al., J Stat Softw 2020;94(13)):
escalate if the rate <= lambda_e, de-escalate if >= lambda_d; eliminate when
Pr(p > target | x, n) > 0.95 under Beta(1, 1), n >= 3; MTD by pool-adjacent-violators.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from nakip.stats.binomial_probabilities import lower_tail_list
from nakip.stats.phase1.operating import DoseFindingOC, _check_scenario

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


BOIN_BOUNDARY_COLUMNS = ("escalate_if_at_most", "deescalate_if_at_least", "eliminate_if_at_least")


"""Names of the count columns of `BoinDesign.boundaries`, in the order of its `boundary_rows`."""


def boin_boundaries(
    target: float, p_saf: float | None = None, p_tox: float | None = None
) -> tuple[float, float]:
    """BOIN escalation/de-escalation boundaries (lambda_e, lambda_d), Liu & Yuan 2015 eq. (2)-(3).

    lambda_e = log((1-phi1)/(1-phi)) / log(phi(1-phi1) / (phi1(1-phi))),
    lambda_d = log((1-phi)/(1-phi2)) / log(phi2(1-phi) / (phi(1-phi2))), phi1 = 0.6 phi,
    phi2 = 1.4 phi by default.
    """
    if not 0 < target < 1:
        raise ValueError(f"target must lie in (0, 1), got {target}")
    phi1 = 0.6 * target if p_saf is None else p_saf
    phi2 = 1.4 * target if p_tox is None else p_tox
    if not 0 < phi1 < target < phi2 < 1:
        raise ValueError("need 0 < p_saf < target < p_tox < 1")
    lam_e = math.log((1 - phi1) / (1 - target)) / math.log(
        target * (1 - phi1) / (phi1 * (1 - target))
    )
    lam_d = math.log((1 - target) / (1 - phi2)) / math.log(
        phi2 * (1 - target) / (target * (1 - phi2))
    )
    return lam_e, lam_d


def isotonic_rates(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Pool-adjacent-violators fit of DLT rates, non-decreasing in dose (doses with n > 0).

    As the BOIN package's select.mtd: rates (x + 0.05) / (n + 0.1) weighted by the inverse of
    their variance (x + 0.05)(n - x + 0.05) / ((n + 0.1)^2 (n + 1.1)).
    """
    import numpy as np

    phat = (x + 0.05) / (n + 0.1)
    var = (x + 0.05) * (n - x + 0.05) / ((n + 0.1) ** 2 * (n + 1.1))
    w = 1.0 / var
    vals: list[float] = []
    wts: list[float] = []
    counts: list[int] = []
    for v, wt in zip(phat, w, strict=True):
        vals.append(float(v))
        wts.append(float(wt))
        counts.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            wsum = wts[-2] + wts[-1]
            merged = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / wsum
            c = counts[-2] + counts[-1]
            vals[-2:] = [merged]
            wts[-2:] = [wsum]
            counts[-2:] = [c]
    return np.repeat(vals, counts)


@lru_cache(maxsize=32)
def elimination_counts(target: float, cutoff_eli: float, n_max: int) -> tuple[int, ...]:
    """elim[n] for n = 0..n_max: least DLT count x with Pr(p > target | x of n) > cutoff_eli
    under a Beta(1, 1) prior (n + 1 when no count qualifies).

    The BOIN package's rule (Liu & Yuan 2015): 1 - pbeta(target, x + 1, n - x + 1) > cutoff.eli.
    For integer shape parameters Pr(Beta(x + 1, n - x + 1) > t) = Pr(Bin(n + 1, t) <= x), so
    the rule is read off binomial cdfs, exactly, without scipy (or numpy).
    """
    out = []
    for n in range(n_max + 1):
        cdf = lower_tail_list(n + 1, target)  # Pr(Bin(n + 1, t) <= x), x = 0..n + 1
        out.append(next((x for x in range(n + 1) if cdf[x] > cutoff_eli), n + 1))
    return tuple(out)


def select_mtd_boin(
    x: np.ndarray, n: np.ndarray, target: float, cutoff_eli: float = 0.95
) -> int | None:
    """BOIN MTD selection: isotonic estimate closest to the target among safe tried doses.

    Doses at or above the lowest dose with Pr(p > target | data) > cutoff_eli (n >= 3) are
    excluded; if that is the lowest dose, no MTD. Ties: the higher dose when the tied estimates
    are below the target, else the lower one (the BOIN package breaks ties that way).
    """
    import numpy as np

    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    thresholds = np.asarray(
        elimination_counts(float(target), float(cutoff_eli), int(n.max(initial=0)))
    )
    elim = (n >= 3) & (x >= thresholds[n.astype(np.int64)])
    last = x.size if not elim.any() else int(np.argmax(elim))
    if last == 0:
        return None
    tried = np.nonzero(n[:last] > 0)[0]
    if tried.size == 0:
        return None
    iso = isotonic_rates(x[tried], n[tried])
    iso = iso + np.arange(tried.size) * 1e-10  # tie-break, as in the BOIN package
    dist = np.abs(iso - target)
    best = np.nonzero(np.isclose(dist, dist.min(), rtol=0, atol=1e-12))[0]
    pick = best[-1] if iso[best[0]] < target else best[0]
    return int(tried[pick])


class BoinDesign:
    """BOIN design for target DLT rate `target` over `n_doses` doses (Liu & Yuan 2015).

    `.boundaries` is the per-n table of the BOIN package's get.boundary: escalate if DLTs <= e_n,
    de-escalate if >= d_n, eliminate if >= elim_n (n >= 3).
    """

    def __init__(
        self,
        target: float,
        n_doses: int,
        cohort_size: int = 3,
        n_cohorts: int = 10,
        cutoff_eli: float = 0.95,
        p_saf: float | None = None,
        p_tox: float | None = None,
        start_dose: int = 0,
        n_earlystop: int = 100,
    ) -> None:
        self.lambda_e, self.lambda_d = boin_boundaries(target, p_saf, p_tox)
        if n_doses < 1 or cohort_size < 1 or n_cohorts < 1:
            raise ValueError("n_doses, cohort_size and n_cohorts must be positive")
        if not 0 < cutoff_eli < 1:
            raise ValueError("cutoff_eli must lie in (0, 1)")
        if not 0 <= start_dose < n_doses:
            raise ValueError("start_dose must be a valid dose index")
        self.target = float(target)
        self.n_doses = int(n_doses)
        self.cohort_size = int(cohort_size)
        self.n_cohorts = int(n_cohorts)
        self.cutoff_eli = float(cutoff_eli)
        self.start_dose = int(start_dose)
        self.n_earlystop = int(n_earlystop)

    @property
    def parameters(self) -> dict[str, Any]:
        """The design's parameters, with the computed boundaries."""
        return {
            "target": self.target,
            "n_doses": self.n_doses,
            "cohort_size": self.cohort_size,
            "n_cohorts": self.n_cohorts,
            "cutoff_eli": self.cutoff_eli,
            "lambda_e": self.lambda_e,
            "lambda_d": self.lambda_d,
            "start_dose": self.start_dose,
            "n_earlystop": self.n_earlystop,
        }

    @cached_property
    def _tables(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """For n = 0..N: escalate if x <= esc[n]; de-escalate if x >= deesc[n]; eliminate if
        x >= elim[n] (n + 1 = never)."""
        nmax = self.cohort_size * self.n_cohorts
        ns = range(nmax + 1)
        esc = tuple(-1 if n == 0 else math.floor(n * self.lambda_e + 1e-12) for n in ns)
        deesc = tuple(math.ceil(n * self.lambda_d - 1e-12) for n in ns)
        counts = elimination_counts(self.target, self.cutoff_eli, nmax)
        elim = tuple(counts[n] if n >= 3 else n + 1 for n in ns)
        return esc, deesc, elim

    @property
    def boundary_rows(self) -> tuple[tuple[int, int | None, int | None, int | None], ...]:
        """(n, escalate if DLTs <=, de-escalate if >=, eliminate if >=) for n = 1..N, None where
        no such decision exists: the rows of `boundaries`, without pandas."""
        esc, deesc, elim = self._tables
        rows = []
        for n in range(1, len(esc)):
            e, d, x = esc[n], deesc[n], elim[n]
            rows.append((n, e if e >= 0 else None, d if d <= n else None, x if x <= n else None))
        return tuple(rows)

    @property
    def boundaries(self) -> pd.DataFrame:
        """Boundary table for n = 1..N (as BOIN's get.boundary; <NA> = no such decision)."""
        import pandas as pd

        rows = self.boundary_rows
        data: dict[str, Any] = {"n": [r[0] for r in rows]}
        for i, name in enumerate(BOIN_BOUNDARY_COLUMNS, start=1):
            data[name] = pd.array([r[i] for r in rows], dtype="Int64")
        return pd.DataFrame(data).set_index("n")

    def simulate(
        self, rates: Sequence[float], n_trials: int = 10_000, seed: int | None = 0
    ) -> DoseFindingOC:
        """Simulated OC: all trials advance cohort by cohort together (vectorised numpy)."""
        import numpy as np

        p = _check_scenario(rates)
        if p.size != self.n_doses:
            raise ValueError(f"the scenario needs {self.n_doses} rates, got {p.size}")
        if n_trials < 1:
            raise ValueError("n_trials must be positive")
        esc, deesc, elim = (np.asarray(t, dtype=np.int64) for t in self._tables)
        rng = np.random.default_rng(seed)
        k = self.n_doses
        n = np.zeros((n_trials, k), dtype=np.int64)
        x = np.zeros((n_trials, k), dtype=np.int64)
        dose = np.full(n_trials, self.start_dose, dtype=np.int64)
        active = np.ones(n_trials, dtype=bool)
        eliminated_from = np.full(n_trials, k, dtype=np.int64)  # lowest eliminated dose
        no_mtd = np.zeros(n_trials, dtype=bool)
        rows = np.arange(n_trials)
        for _ in range(self.n_cohorts):
            idx = rows[active]
            if idx.size == 0:
                break
            d = dose[idx]
            new = rng.binomial(self.cohort_size, p[d])
            n[idx, d] += self.cohort_size
            x[idx, d] += new
            nn = n[idx, d]
            xx = x[idx, d]
            eli = xx >= elim[nn]
            eliminated_from[idx] = np.where(
                eli, np.minimum(eliminated_from[idx], d), eliminated_from[idx]
            )
            # an eliminated lowest dose stops the trial with no MTD
            stop_none = eli & (d == 0)
            no_mtd[idx[stop_none]] = True
            active[idx[stop_none]] = False
            up = (xx <= esc[nn]) & (d + 1 < eliminated_from[idx]) & (d + 1 < k)
            down = ((xx >= deesc[nn]) | eli) & (d > 0)
            nxt = np.where(up, d + 1, np.where(down, d - 1, d))
            dose[idx] = nxt
            early = n[idx, nxt] >= self.n_earlystop
            active[idx[early]] = False
        select = np.zeros(k + 1)
        for t in range(n_trials):
            if no_mtd[t]:
                select[k] += 1
                continue
            m = select_mtd_boin(x[t], n[t], self.target, self.cutoff_eli)
            select[k if m is None else m] += 1
        ps = select / n_trials
        return DoseFindingOC(
            design="BOIN",
            true_rates=tuple(float(v) for v in p),
            prob_select=tuple(float(v) for v in ps[:k]),
            prob_no_mtd=float(ps[k]),
            expected_patients=tuple(float(v) for v in n.mean(axis=0)),
            expected_n=float(n.sum(axis=1).mean()),
            expected_dlts=float(x.sum(axis=1).mean()),
            n_trials=n_trials,
            mcse_select=tuple(float(v) for v in np.sqrt(ps[:k] * (1 - ps[:k]) / n_trials)),
            parameters=self.parameters,
        )
