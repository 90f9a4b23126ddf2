"""Cumulative incidence with competing risks (Aalen–Johansen) and Gray's K-sample test.

Equal to R `cmprsk::cuminc`: the estimate and its variance (Aalen 1978 delta-method variance,
as cuminc computes it) at every time the cause of interest occurs, and Gray's (1988, Ann Stat
16:1141) test with rho = 0. Pointwise limits use the log(-log) transform of the cumulative
incidence (Pintilie 2006, "Competing Risks: A Practical Perspective", section 4.3), so they stay
inside [0, 1]. lifelines' AalenJohansenFitter has neither cuminc's variance nor Gray's test.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Self

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from nakip.stats.survival.event_counts import (
    EventCounts,
    check_durations,
    check_groups,
    check_status,
)
from nakip.stats.survival.kaplan_meier import json_list, normal_quantile, step_index

CIF_COLUMNS = ["time", "cif", "variance", "lower", "upper", "n_risk", "n_event"]


def _check_cause(cause: int) -> int:
    if isinstance(cause, bool) or int(cause) != cause or cause < 1:
        raise ValueError(f"cause must be a positive integer status code, got {cause!r}")
    return int(cause)


def _shift(values: NDArray[np.float64], first: float) -> NDArray[np.float64]:
    """The value just before each row (left-continuous version of a cumulative series)."""
    out = np.empty_like(values)
    if values.shape[0]:
        out[0] = first
        out[1:] = values[:-1]
    return out


def _tie_correction(d: NDArray[np.float64], n: NDArray[np.float64]) -> NDArray[np.float64]:
    """cuminc's factor 1 - (d - 1)/(n - 1) for d > 1 tied failures among n at risk (else 1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 1, 1.0 - (d - 1.0) / (n - 1.0), 1.0)


def loglog_cif_limits(
    cif: NDArray[np.float64], variance: NDArray[np.float64], z: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """F^exp(+-z se / (F log F)): limits on the log(-log F) scale; 0 at F = 0, NaN at F = 1."""
    inside = (cif > 0.0) & (cif < 1.0)
    f = np.where(inside, cif, 0.5)
    scale = z * np.sqrt(np.maximum(variance, 0.0)) / (f * np.abs(np.log(f)))
    lower = np.where(inside, f ** np.exp(scale), np.where(cif <= 0.0, 0.0, np.nan))
    upper = np.where(inside, f ** np.exp(-scale), np.where(cif <= 0.0, 0.0, np.nan))
    return lower, upper


class AalenJohansen:
    """Cumulative incidence of one cause, lifelines-style: `AalenJohansen().fit(t, status)`.

    `status` is 0 for censored and 1..k for the cause of failure. After fit: `table` (one row per
    distinct time the cause occurs: time, cif, variance, lower, upper, n_risk, n_event), `n`,
    `n_events`, `last_time`; `cif_at(times)`. Empty input fits to an empty, not-estimable curve.
    """

    def __init__(self) -> None:
        self.label = "all"
        self.cause = 1
        self.alpha = 0.05
        self.n = 0
        self.n_events = 0
        self.last_time: float | None = None
        self.all_failed = False
        self.table = pd.DataFrame({c: pd.Series(dtype=float) for c in CIF_COLUMNS})

    def fit(
        self,
        durations: ArrayLike,
        status: ArrayLike,
        cause: int = 1,
        label: str = "all",
        alpha: float = 0.05,
    ) -> Self:
        """Estimate the cumulative incidence of `cause` (cuminc's estimate and variance)."""
        t = check_durations(durations)
        s = check_status(status, t.shape[0], "status", max_code=None)
        self.cause = _check_cause(cause)
        z = normal_quantile(alpha)
        self.label, self.alpha = str(label), alpha
        n_causes = max(int(s.max(initial=0)), self.cause)
        counts = EventCounts.build(t, s, n_causes=n_causes)
        self.n = int(t.shape[0])
        self.last_time = float(counts.times[-1]) if self.n else None
        d1 = counts.failing[self.cause - 1][:, 0].astype(np.float64)
        d_all = np.sum([f[:, 0] for f in counts.failing], axis=0).astype(np.float64)
        self.n_events = int(d1.sum())
        rows = d_all > 0
        n, d1, d = counts.at_risk[rows, 0].astype(np.float64), d1[rows], d_all[rows]
        d2 = d - d1
        km_after = np.cumprod(1.0 - d / n)  # all-cause KM just after each time
        self.all_failed = bool(km_after.shape[0] and km_after[-1] == 0.0)
        km = _shift(km_after, 1.0)
        cif = np.cumsum(km * d1 / n)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_after = np.where(km_after > 0, 1.0 / km_after, 0.0)
        # contributions of competing failures (only while someone survives the time)
        w2 = np.where((d2 > 0) & (km_after > 0), km**2 * _tie_correction(d2, n) * d2 / n**2, 0.0)
        a2 = cif * inv_after
        # contributions of failures from the cause of interest
        w1 = np.where(d1 > 0, km**2 * _tie_correction(d1, n) * d1 / n**2, 0.0)
        a1 = 1.0 + inv_after * cif
        v1 = np.cumsum(a2 * a2 * w2 + a1 * a1 * w1)
        v2 = np.cumsum(inv_after * a2 * w2 + inv_after * a1 * w1)
        v3 = np.cumsum(inv_after * inv_after * (w2 + w1))
        variance = v1 + cif * cif * v3 - 2.0 * cif * v2
        jump = d1 > 0
        lower, upper = loglog_cif_limits(cif[jump], variance[jump], z)
        self.table = pd.DataFrame(
            {
                "time": counts.times[rows][jump],
                "cif": cif[jump],
                "variance": variance[jump],
                "lower": lower,
                "upper": upper,
                "n_risk": n[jump].astype(np.int64),
                "n_event": d1[jump].astype(np.int64),
            }
        )
        return self

    def cif_at(self, times: ArrayLike) -> pd.DataFrame:
        """Cumulative incidence, variance and limits at each time (as cmprsk::timepoints).

        0 before the first event of the cause; after the last follow-up NaN (not estimable, R's
        NA) unless every subject has failed, when the curve is final (as Kaplan–Meier at 0).
        """
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        row = step_index(self.table["time"].to_numpy(), t)
        out = {"time": t}
        for col in ("cif", "variance", "lower", "upper"):
            values = np.concatenate(([0.0], self.table[col].to_numpy(dtype=np.float64)))
            out[col] = values[row + 1]
        frame = pd.DataFrame(out)
        beyond = t > (self.last_time if self.last_time is not None else -np.inf)
        beyond &= not self.all_failed
        frame.loc[beyond, ["cif", "variance", "lower", "upper"]] = np.nan
        return frame

    @property
    def summary(self) -> pd.DataFrame:
        """One row: label, cause, n, events of the cause, final cumulative incidence."""
        final = float(self.table["cif"].iloc[-1]) if len(self.table) else 0.0
        return pd.DataFrame(
            [
                {
                    "label": self.label,
                    "cause": self.cause,
                    "n": self.n,
                    "events": self.n_events,
                    "final_cif": final if self.n else None,
                }
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view: the table as lists (NaN as None)."""
        out: dict[str, Any] = {
            "label": self.label,
            "cause": self.cause,
            "n": self.n,
            "events": self.n_events,
        }
        for col in CIF_COLUMNS:
            out[col] = json_list(self.table[col])
        out["conf_level"] = 1.0 - self.alpha
        return out


@dataclass(frozen=True)
class GrayResult:
    """Gray's test of equal cumulative incidence of one cause across groups."""

    stat: float
    df: int
    p: float
    cause: int
    groups: tuple[str, ...]
    singular: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        out = asdict(self)
        out["groups"] = list(self.groups)
        return out


def gray_test(
    durations: ArrayLike, status: ArrayLike, groups: ArrayLike, cause: int = 1
) -> GrayResult:
    """Gray's test (rho = 0, one stratum), equal to `cmprsk::cuminc(...)$Tests`.

    A singular score variance (R's stat -1) is reported as stat 0, p 1 with `singular` True.
    ValueError for bad input or fewer than two groups.
    """
    t = check_durations(durations)
    s = check_status(status, t.shape[0], "status", max_code=None)
    cause = _check_cause(cause)
    labels, index = check_groups(groups, t.shape[0])
    n_groups = len(labels)
    if n_groups < 2:
        raise ValueError(f"groups: Gray's test needs at least two groups, got {n_groups}")
    n_causes = max(int(s.max(initial=0)), cause)
    counts = EventCounts.build(t, s, index, n_groups, n_causes)
    score, var = _gray_score(counts, cause)
    df = n_groups - 1
    if np.linalg.matrix_rank(var) < df:
        return GrayResult(0.0, df, 1.0, cause, tuple(labels), singular=True)
    stat = float(score @ np.linalg.solve(var, score))
    return GrayResult(stat, df, float(stats.chi2.sf(stat, df)), cause, tuple(labels))


def _gray_score(counts: EventCounts, cause: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Score for groups 1..G-1 and its variance (Gray 1988, rho = 0), vectorised over times."""
    d1 = counts.failing[cause - 1].astype(np.float64)
    d_all = np.sum(counts.failing, axis=0).astype(np.float64)
    rows = d_all.sum(axis=1) > 0
    d1, d_all = d1[rows], d_all[rows]
    g1 = d1.shape[1] - 1
    if d1.shape[0] == 0:  # no failure at all: nothing to compare
        return np.zeros(g1), np.zeros((g1, g1))
    d2 = d_all - d1
    risk = counts.at_risk[rows].astype(np.float64)
    alive = risk > 0
    safe_risk = np.where(alive, risk, 1.0)
    km_after = np.cumprod(np.where(alive, (risk - d_all) / safe_risk, 1.0), axis=0)
    km = np.vstack((np.ones((1, risk.shape[1])), km_after[:-1]))
    cif_before = np.vstack(
        (np.zeros((1, risk.shape[1])), np.cumsum(km * d1 / safe_risk, axis=0)[:-1])
    )
    safe_km = np.where(alive, km, 1.0)
    weight = np.where(alive, risk / safe_km, 0.0)  # R_k / S_k(t-): "h" of the paper, times n
    tr = weight.sum(axis=1)
    tq = (weight * (1.0 - cif_before)).sum(axis=1)
    nd1 = d1.sum(axis=1)
    pooled = np.cumsum(nd1 / tr)
    pooled_before = _shift(pooled, 0.0)
    score = np.where(alive, d1 - nd1[:, None] * weight * (1.0 - cif_before) / tq[:, None], 0.0)
    score = score.sum(axis=0)[:g1]
    # a[j] = diag(w) - w w' / tr at each time; c = its running sum weighted by the pooled jump
    a = (
        np.einsum("ji,ik->jik", weight, np.eye(risk.shape[1]))
        - np.einsum("ji,jk->jik", weight, weight) / tr[:, None, None]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(nd1 > 0, nd1 / (tr * (1.0 - pooled_before)), 0.0)
    c = np.cumsum(a * step[:, None, None], axis=0)
    # failures from the cause of interest
    with np.errstate(divide="ignore", invalid="ignore"):
        t4 = np.where(km_after > 0, 1.0 - (1.0 - pooled)[:, None] / km_after, 1.0)
        tie = np.where(nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * km - 1.0), 1.0)
        t3 = np.where(
            alive & (nd1[:, None] > 0), tie * km * nd1[:, None] / (tr[:, None] * safe_risk), 0.0
        )
    t1 = a - c * t4[:, None, :]  # [time, i, k]
    v3 = (t4 * t4 * t3).sum(axis=0)
    v2 = np.einsum("jik,jk->ik", t1, t4 * t3)
    v = np.einsum("jik,jlk,jk->il", t1, t1, t3)
    # failures from competing causes
    with np.errstate(divide="ignore", invalid="ignore"):
        t4c = np.where(km_after > 0, (1.0 - pooled)[:, None] / km_after, 0.0)
        t3c = np.where(
            (km_after > 0) & (d2 > 0),
            _tie_correction(d2, risk) * km * km * d2 / (safe_risk * safe_risk),
            0.0,
        )
    t1c = c * t4c[:, None, :]
    v3 += (t4c * t4c * t3c).sum(axis=0)
    v2 -= np.einsum("jik,jk->ik", t1c, t4c * t3c)
    v += np.einsum("jik,jlk,jk->il", t1c, t1c, t3c)
    c_end = c[-1]
    v += (c_end * v3) @ c_end.T + c_end @ v2.T + v2 @ c_end.T
    return score, v[:g1, :g1]
