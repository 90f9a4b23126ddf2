"""Bayesian optimal phase II (BOP2) design for efficacy alone or co-primary efficacy and toxicity.

Zhou, Lee & Yuan, "BOP2: Bayesian optimal design for phase II clinical trials with simple and
complex endpoints", Stat Med 2017;36:3302-3314. At interim looks n_1 < ... < n_K = N the trial
stops (no-go) when Pr(p_eff <= phi_eff | data) > C(n) or Pr(p_tox > phi_tox | data) > C(n), with
C(n) = 1 - lambda (n / N)^gamma; passing the last look means "go" (treatment promising).
(lambda, gamma) are chosen on a grid to maximise power subject to the type-I error <= alpha.

Model: a Dirichlet prior on the four joint outcomes (eff & tox, eff & no tox, no eff & tox,
neither) whose parameters are the null cell probabilities (prior effective sample size 1).
Checked: the prior and the cut-off C(n) = 1 - lambda (n/N)^gamma agree with an
independent implementation of the BOP2 family, the R package BOP2FE (Xu et al. 2025; futility
boundary: stop when Pr(p > phi | data) < lambda (n/N)^gamma, Beta prior at the null rates).
The 2017 paper itself and its design tables were not available, so no published BOP2 table
is reproduced in tests/stats/test_bop2.py. A Dirichlet's marginals are
Beta, so the decisions depend only on the response count and toxicity count:
p_eff | data ~ Beta(phi_eff + x_eff, 1 - phi_eff + n - x_eff), likewise for toxicity. The
joint distribution of the counts (hence the OC) does depend on the correlation of the two
outcomes; scenarios give it through `p_both` (default: independence).

Operating characteristics are exact: a forward recursion over the (responses, toxicities)
lattice, one patient at a time (multinomial over the four outcomes), so no simulation error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from nakip.stats._exact import NO_LOWER, no_upper, sequential_oc

__all__ = [
    "Bop2Boundaries",
    "Bop2Calibration",
    "Bop2OC",
    "Bop2Scenario",
    "bop2_boundaries",
    "bop2_oc",
    "calibrate_bop2",
    "cutoff_curve",
]


@dataclass(frozen=True)
class Bop2Scenario:
    """True rates for one scenario; `p_both` = Pr(response and toxicity), default independence."""

    p_eff: float
    p_tox: float | None = None
    p_both: float | None = None
    name: str = ""

    def cells(self) -> np.ndarray:
        """Probabilities of (eff&tox, eff&no tox, no eff&tox, neither) for one patient."""
        pt = 0.0 if self.p_tox is None else self.p_tox
        both = self.p_eff * pt if self.p_both is None else self.p_both
        cells = np.array([both, self.p_eff - both, pt - both, 1.0 - self.p_eff - pt + both])
        if np.any(cells < -1e-12) or not np.isclose(cells.sum(), 1.0):
            raise ValueError(f"scenario {self.name or self}: inconsistent joint probabilities")
        return np.clip(cells, 0.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary."""
        return {"name": self.name, "p_eff": self.p_eff, "p_tox": self.p_tox, "p_both": self.p_both}


def cutoff_curve(looks: Sequence[int], lam: float, gamma: float) -> np.ndarray:
    """C(n_k) = 1 - lambda (n_k / N)^gamma at each look (Zhou, Lee & Yuan 2017, eq. 2)."""
    n = np.asarray(looks, dtype=float)
    return 1.0 - lam * (n / n[-1]) ** gamma


@dataclass(frozen=True)
class Bop2Boundaries:
    """Stop at look k if responses <= futility[k] or toxicities >= toxicity[k].

    futility[k] = -1 means no futility stop is possible; toxicity[k] = n_k + 1 likewise.
    """

    looks: tuple[int, ...]
    futility: tuple[int, ...]
    toxicity: tuple[int, ...] | None
    lam: float
    gamma: float
    cutoffs: tuple[float, ...]

    @property
    def table(self) -> pd.DataFrame:
        """Boundary table: one row per look, <NA> where no stop is possible."""
        data: dict[str, Any] = {
            "n": list(self.looks),
            "cutoff": list(self.cutoffs),
            "stop_if_responses_at_most": pd.array(
                [v if v >= 0 else None for v in self.futility], dtype="Int64"
            ),
        }
        if self.toxicity is not None:
            data["stop_if_toxicities_at_least"] = pd.array(
                [t if t <= n else None for t, n in zip(self.toxicity, self.looks, strict=True)],
                dtype="Int64",
            )
        return pd.DataFrame(data).set_index("n")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary (null where no stop is possible)."""
        return {
            "looks": list(self.looks),
            "lambda": self.lam,
            "gamma": self.gamma,
            "cutoffs": list(self.cutoffs),
            "stop_if_responses_at_most": [v if v >= 0 else None for v in self.futility],
            "stop_if_toxicities_at_least": None
            if self.toxicity is None
            else [t if t <= n else None for t, n in zip(self.toxicity, self.looks, strict=True)],
        }


def _validate_looks(looks: Sequence[int]) -> tuple[int, ...]:
    lk = tuple(int(v) for v in looks)
    if not lk or lk[0] < 1 or any(b <= a for a, b in zip(lk, lk[1:], strict=False)):
        raise ValueError("looks must be strictly increasing positive patient counts")
    return lk


def _check_unit(name: str, v: float) -> None:
    if not 0.0 < v < 1.0:
        raise ValueError(f"{name} must lie in (0, 1), got {v}")


def _posterior_tables(
    looks: tuple[int, ...], phi_eff: float, phi_tox: float | None, prior_ess: float
) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """Pr(p_eff <= phi_eff | x, n_k) and Pr(p_tox > phi_tox | t, n_k) for every count."""
    eff, tox = [], []
    for n in looks:
        xs = np.arange(n + 1)
        eff.append(
            stats.beta.cdf(phi_eff, prior_ess * phi_eff + xs, prior_ess * (1 - phi_eff) + n - xs)
        )
        if phi_tox is not None:
            tox.append(
                stats.beta.sf(phi_tox, prior_ess * phi_tox + xs, prior_ess * (1 - phi_tox) + n - xs)
            )
    return eff, (tox if phi_tox is not None else None)


def _bounds_from_tables(
    looks: tuple[int, ...],
    cut: np.ndarray,
    eff: list[np.ndarray],
    tox: list[np.ndarray] | None,
) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    fut: list[int] = []
    txb: list[int] = []
    for k, n in enumerate(looks):
        hit = np.nonzero(eff[k] > cut[k])[0]  # decreasing in x: a prefix 0..a_k
        fut.append(int(hit[-1]) if hit.size else NO_LOWER)
        if tox is not None:
            hit_t = np.nonzero(tox[k] > cut[k])[0]  # increasing in t: a suffix t_k..n
            txb.append(int(hit_t[0]) if hit_t.size else no_upper(n))
    return tuple(fut), (tuple(txb) if tox is not None else None)


def bop2_boundaries(
    looks: Sequence[int],
    phi_eff: float,
    lam: float,
    gamma: float,
    phi_tox: float | None = None,
    prior_ess: float = 1.0,
) -> Bop2Boundaries:
    """Go/no-go boundaries of BOP2 for given (lambda, gamma) and null rates phi_eff (phi_tox)."""
    lk = _validate_looks(looks)
    _check_unit("phi_eff", phi_eff)
    if phi_tox is not None:
        _check_unit("phi_tox", phi_tox)
    if not 0.0 < lam <= 1.0 or gamma < 0:
        raise ValueError("lambda must lie in (0, 1] and gamma must be >= 0")
    cut = cutoff_curve(lk, lam, gamma)
    eff, tox = _posterior_tables(lk, phi_eff, phi_tox, prior_ess)
    fut, txb = _bounds_from_tables(lk, cut, eff, tox)
    return Bop2Boundaries(
        looks=lk,
        futility=fut,
        toxicity=txb,
        lam=float(lam),
        gamma=float(gamma),
        cutoffs=tuple(float(c) for c in cut),
    )


@dataclass(frozen=True)
class Bop2OC:
    """Exact OC of a BOP2 rule for one scenario: early stop, go (promising), expected N."""

    scenario: Bop2Scenario
    prob_early_stop: float
    prob_stop_futility: float
    prob_stop_toxicity: float
    prob_go: float
    expected_n: float
    prob_stop_by_look: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return {
            "scenario": self.scenario.to_dict(),
            "prob_early_stop": self.prob_early_stop,
            "prob_stop_futility": self.prob_stop_futility,
            "prob_stop_toxicity": self.prob_stop_toxicity,
            "prob_go": self.prob_go,
            "expected_n": self.expected_n,
            "prob_stop_by_look": list(self.prob_stop_by_look),
        }


def _joint_oc(
    bounds: Bop2Boundaries, cells: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Exact 2-D recursion over (responses x, toxicities t); a stop at look k for either reason.

    Returns (stop_futility_by_look, stop_toxicity_by_look, prob_go, stop_by_look). When both
    boundaries are crossed at once the stop counts for futility and for toxicity, once in total.
    """
    assert bounds.toxicity is not None
    nmax = bounds.looks[-1]
    state = np.zeros((nmax + 1, nmax + 1))  # [x, t]
    state[0, 0] = 1.0
    p_et, p_en, p_nt, p_nn = cells
    n = 0
    k_looks = len(bounds.looks)
    fut = np.zeros(k_looks)
    tox = np.zeros(k_looks)
    total = np.zeros(k_looks)
    for k, look in enumerate(bounds.looks):
        while n < look:
            new = state * p_nn
            new[1:, :] += state[:-1, :] * p_en
            new[:, 1:] += state[:, :-1] * p_nt
            new[1:, 1:] += state[:-1, :-1] * p_et
            state = new
            n += 1
        a_k = bounds.futility[k]
        t_k = bounds.toxicity[k]
        stop = np.zeros_like(state, dtype=bool)
        if a_k >= 0:
            stop[: a_k + 1, :] = True
        fmass = state[: a_k + 1, :].sum() if a_k >= 0 else 0.0
        tmass = state[:, t_k:].sum() if t_k <= n else 0.0
        if t_k <= n:
            stop[:, t_k:] = True
        fut[k] = fmass
        tox[k] = tmass
        total[k] = state[stop].sum()
        state[stop] = 0.0
    return fut, tox, float(state.sum()), total


def bop2_oc(bounds: Bop2Boundaries, scenario: Bop2Scenario) -> Bop2OC:
    """Exact operating characteristics of a BOP2 rule under one scenario."""
    looks = np.asarray(bounds.looks)
    if bounds.toxicity is None:
        raw = sequential_oc(
            bounds.looks, bounds.futility, [no_upper(n) for n in bounds.looks], [scenario.p_eff]
        )
        by_look = np.asarray(raw.stop_lower[0])
        fut_total = float(by_look.sum())
        tox_total = 0.0
        go = float(raw.completed[0])
    else:
        if scenario.p_tox is None:
            raise ValueError("a toxicity rate is needed for a design with a toxicity boundary")
        fut, tox, go, by_look = _joint_oc(bounds, scenario.cells())
        fut_total = float(fut.sum())
        tox_total = float(tox.sum())
    early = float(by_look[:-1].sum())
    expected_n = float((by_look * looks).sum() + go * looks[-1])
    return Bop2OC(
        scenario=scenario,
        prob_early_stop=early,
        prob_stop_futility=fut_total,
        prob_stop_toxicity=tox_total,
        prob_go=go,
        expected_n=expected_n,
        prob_stop_by_look=tuple(float(v) for v in by_look),
    )


@dataclass(frozen=True)
class Bop2Calibration:
    """The calibrated BOP2 design: boundaries, type-I error, power and OC per scenario."""

    boundaries: Bop2Boundaries
    alpha: float
    type_i_error: float
    power: float
    null_scenarios: tuple[Bop2Scenario, ...]
    alternative: Bop2Scenario
    oc: tuple[Bop2OC, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per scenario: early stop, stop for futility/toxicity, go, expected N."""
        rows = []
        for o in self.oc:
            rows.append(
                {
                    "scenario": o.scenario.name,
                    "p_eff": o.scenario.p_eff,
                    "p_tox": o.scenario.p_tox,
                    "prob_early_stop": o.prob_early_stop,
                    "prob_stop_futility": o.prob_stop_futility,
                    "prob_stop_toxicity": o.prob_stop_toxicity,
                    "prob_go": o.prob_go,
                    "expected_n": o.expected_n,
                }
            )
        return pd.DataFrame(rows).set_index("scenario")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return {
            "boundaries": self.boundaries.to_dict(),
            "alpha": self.alpha,
            "type_i_error": self.type_i_error,
            "power": self.power,
            "null_scenarios": [s.to_dict() for s in self.null_scenarios],
            "alternative": self.alternative.to_dict(),
            "operating_characteristics": [o.to_dict() for o in self.oc],
        }


def calibrate_bop2(
    looks: Sequence[int],
    null_eff: float,
    alt_eff: float,
    alpha: float = 0.10,
    null_tox: float | None = None,
    alt_tox: float | None = None,
    p_both_alt: float | None = None,
    lambdas: Sequence[float] | np.ndarray | None = None,
    gammas: Sequence[float] | np.ndarray | None = None,
    prior_ess: float = 1.0,
    extra_scenarios: Sequence[Bop2Scenario] = (),
) -> Bop2Calibration:
    """Choose (lambda, gamma) on a grid: maximise power s.t. type-I error <= alpha (exact OC).

    Efficacy only: null p_eff = null_eff, alternative alt_eff. With toxicity (null_tox = the
    unacceptable rate, alt_tox = an acceptable rate) the type-I error is the largest go
    probability over the null configurations (null_eff, alt_tox), (alt_eff, null_tox) and
    (null_eff, null_tox), with independent outcomes (Zhou, Lee & Yuan 2017, Sec. 3).
    Ties in power are broken by the smaller expected N under the first null scenario.
    """
    lk = _validate_looks(looks)
    _check_unit("null_eff", null_eff)
    _check_unit("alt_eff", alt_eff)
    _check_unit("alpha", alpha)
    if alt_eff <= null_eff:
        raise ValueError("alt_eff must exceed null_eff")
    joint = null_tox is not None
    if joint:
        if alt_tox is None:
            raise ValueError("alt_tox is required with null_tox")
        _check_unit("null_tox", null_tox)  # type: ignore[arg-type]
        _check_unit("alt_tox", alt_tox)
        if alt_tox >= null_tox:  # type: ignore[operator]
            raise ValueError("alt_tox (acceptable) must be below null_tox (unacceptable)")
        nulls = (
            Bop2Scenario(null_eff, alt_tox, name="H0 futile/safe"),
            Bop2Scenario(alt_eff, null_tox, name="H0 active/toxic"),
            Bop2Scenario(null_eff, null_tox, name="H0 futile/toxic"),
        )
        alt = Bop2Scenario(alt_eff, alt_tox, p_both=p_both_alt, name="H1 active/safe")
    else:
        nulls = (Bop2Scenario(null_eff, name="H0"),)
        alt = Bop2Scenario(alt_eff, name="H1")
    lam_grid = np.round(np.arange(0.01, 1.0, 0.01), 4) if lambdas is None else np.asarray(lambdas)
    gam_grid = np.round(np.arange(0.0, 3.0001, 0.05), 4) if gammas is None else np.asarray(gammas)
    eff_tab, tox_tab = _posterior_tables(lk, null_eff, null_tox, prior_ess)

    cache: dict[tuple[Any, ...], tuple[float, float, float]] = {}
    best: tuple[float, float, float, float] | None = None  # (power, -EN0, lam, gamma)
    best_err = float("nan")
    for lam in lam_grid:
        for gam in gam_grid:
            cut = cutoff_curve(lk, float(lam), float(gam))
            fut, txb = _bounds_from_tables(lk, cut, eff_tab, tox_tab)
            key = (fut, txb)
            if key not in cache:
                b = Bop2Boundaries(lk, fut, txb, float(lam), float(gam), tuple(cut))
                null_oc = [bop2_oc(b, s) for s in nulls]
                err = max(o.prob_go for o in null_oc)
                power = bop2_oc(b, alt).prob_go if err <= alpha else -1.0
                cache[key] = (err, power, null_oc[0].expected_n)
            err, power, en0 = cache[key]
            if err > alpha:
                continue
            cand = (power, -en0, float(lam), float(gam))
            if best is None or cand[:2] > best[:2]:
                best = cand
                best_err = err
    if best is None:
        raise ValueError("no (lambda, gamma) on the grid controls the type-I error at alpha")
    bounds = bop2_boundaries(lk, null_eff, best[2], best[3], null_tox, prior_ess)
    scenarios = (*nulls, alt, *extra_scenarios)
    return Bop2Calibration(
        boundaries=bounds,
        alpha=float(alpha),
        type_i_error=float(best_err),
        power=float(best[0]),
        null_scenarios=nulls,
        alternative=alt,
        oc=tuple(bop2_oc(bounds, s) for s in scenarios),
    )
