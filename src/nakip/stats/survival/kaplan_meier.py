"""Kaplan–Meier survival with log-log confidence limits and the median's confidence interval.

Equal to R `survival::survfit(Surv(time, status) ~ 1, conf.type = "log-log")` (Kaplan & Meier
1958; Greenwood variance; Kalbfleisch & Prentice 2002, section 1.3) and to its `quantile()` /
`print()` median limits (Brookmeyer & Crowley 1982: the times where the confidence curves cross
one half). Written in numpy because lifelines' fitter is several times slower on large data.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from nakip.stats.survival.event_counts import EventCounts, check_durations, check_status

TABLE_COLUMNS = ["time", "n_risk", "n_event", "n_censor", "survival", "lower", "upper"]
QUANTILE_TOLERANCE = float(np.sqrt(np.finfo(float).eps))
"""R's `quantile.survfit` tolerance: a curve within this of one half counts as equal to it."""


def normal_quantile(alpha: float) -> float:
    """The two-sided critical value z_{1 - alpha/2}; ValueError unless 0 < alpha < 1."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1 (exclusive), got {alpha}")
    return float(stats.norm.ppf(1.0 - alpha / 2.0))


def loglog_limits(
    survival: NDArray[np.float64], se_log: NDArray[np.float64], z: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Pointwise limits on the log(-log S) scale from the standard error of log S.

    As R `survfit(conf.type = "log-log")`: undefined (NaN, R's NA) where S is 0 or 1.
    """
    inside = (survival > 0.0) & (survival < 1.0)
    s = np.where(inside, survival, 0.5)
    log_s = np.log(s)
    shift = z * se_log / log_s
    lower = np.exp(-np.exp(np.log(-log_s) - shift))
    upper = np.exp(-np.exp(np.log(-log_s) + shift))
    return np.where(inside, lower, np.nan), np.where(inside, upper, np.nan)


def _first_occurrences(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, NDArray[np.intp]]:
    """The first time each value of y occurs (NaN counting as one value), without the NaN; the
    last of those values (NaN possible) and the order that sorts y.

    A monotone curve ending in NaN (the usual case) needs no sort.
    """
    nan = np.isnan(y)
    end = int(np.argmax(nan)) if nan.any() else y.shape[0]
    body = y[:end]
    if end == 0 or not nan[end:].all() or np.any(body[1:] < body[:-1]):
        _, first = np.unique(y, return_index=True, equal_nan=True)
        first.sort()
        x, y = x[first], y[first]
        last_value = float(y[-1])
        keep = ~np.isnan(y)
        return x[keep], y[keep], last_value, np.argsort(y[keep], kind="stable")
    new = np.concatenate(([True], body[1:] != body[:-1]))
    x, y = x[:end][new], body[new]
    last_value = float("nan") if end < nan.shape[0] else float(y[-1])
    return x, y, last_value, np.arange(y.shape[0])


def quantile_time(
    p: float, times: NDArray[np.float64], failure: NDArray[np.float64], last_time: float
) -> float | None:
    """First time the step curve `failure` (= 1 - S, NaN allowed) reaches p, as R's `findq`.

    A curve equal to p (within QUANTILE_TOLERANCE) over a stretch gives the stretch's mid-point,
    and `last_time` (the last follow-up) closes a stretch that never ends; None = not reached.
    """
    x = np.concatenate(([0.0], times))
    y = np.concatenate(([0.0], failure))
    finite = ~np.isnan(y)
    if not finite.any() or y[finite].max() < p:
        return None
    x, y, last_value, order = _first_occurrences(x, y)

    def first_at_or_above(shifted: NDArray[np.float64]) -> float | None:
        ordered = shifted[order]
        k = int(np.searchsorted(ordered, p, side="left"))
        if k == ordered.shape[0] or ordered[k] < p:
            return None
        return float(x[order[k]])

    start = first_at_or_above(y + QUANTILE_TOLERANCE)
    if start is None:
        return None
    if not np.isnan(last_value) and abs(p - last_value) < QUANTILE_TOLERANCE:
        return (start + last_time) / 2.0
    end = first_at_or_above(y - QUANTILE_TOLERANCE)
    return None if end is None else (start + end) / 2.0


def step_index(event_times: NDArray[np.float64], times: NDArray[np.float64]) -> NDArray[np.intp]:
    """For each time, the row of the last event time <= it (-1 before the first event)."""
    return np.searchsorted(event_times, times, side="right") - 1


class KaplanMeier:
    """Kaplan–Meier estimator, lifelines-style: `KaplanMeier().fit(durations, events)`.

    After fit: `table` (one row per distinct event time: time, n_risk, n_event, n_censor censored
    at that exact time, survival, lower, upper), `median`, `median_lower`, `median_upper` (None =
    not reached), `n`, `n_events`, `summary`. Empty input fits to an empty, not-estimable curve.
    """

    def __init__(self) -> None:
        self.label = "all"
        self.alpha = 0.05
        self.n = 0
        self.n_events = 0
        self.last_time: float | None = None
        self.table = pd.DataFrame({c: pd.Series(dtype=float) for c in TABLE_COLUMNS})
        self.median: float | None = None
        self.median_lower: float | None = None
        self.median_upper: float | None = None
        self._times: NDArray[np.float64] = np.zeros(0)
        self._risk: NDArray[np.int64] = np.zeros(0, dtype=np.int64)

    def fit(
        self, durations: ArrayLike, events: ArrayLike, label: str = "all", alpha: float = 0.05
    ) -> Self:
        """Estimate S(t) from right-censored data (events: 1/True = event, 0/False = censored)."""
        t = check_durations(durations)
        e = check_status(events, t.shape[0], "events")
        z = normal_quantile(alpha)
        counts = EventCounts.build(t, e)
        return self._from_counts(
            counts.times,
            counts.at_risk[:, 0],
            counts.failing[0][:, 0],
            counts.leaving[:, 0],
            label,
            alpha,
            z,
        )

    def _from_counts(
        self,
        times: NDArray[np.float64],
        at_risk: NDArray[np.int64],
        failing: NDArray[np.int64],
        leaving: NDArray[np.int64],
        label: str,
        alpha: float,
        z: float,
    ) -> Self:
        """Fill the estimate from per-time counts of one group (shared with grouped fits)."""
        self.label, self.alpha = str(label), alpha
        self._times, self._risk = times, at_risk
        self.n = int(leaving.sum())
        self.n_events = int(failing.sum())
        self.last_time = float(times[-1]) if times.shape[0] else None
        rows = failing > 0
        n_risk, d = at_risk[rows].astype(np.float64), failing[rows].astype(np.float64)
        survival = np.cumprod(1.0 - d / n_risk)
        with np.errstate(divide="ignore"):
            greenwood = np.cumsum(d / (n_risk * (n_risk - d)))
        lower, upper = loglog_limits(survival, np.sqrt(greenwood), z)
        self.table = pd.DataFrame(
            {
                "time": times[rows],
                "n_risk": at_risk[rows],
                "n_event": failing[rows],
                "n_censor": (leaving - failing)[rows],
                "survival": survival,
                "lower": lower,
                "upper": upper,
            }
        )
        if self.last_time is None:
            self.median = self.median_lower = self.median_upper = None
        else:
            ev = times[rows]
            self.median = quantile_time(0.5, ev, 1.0 - survival, self.last_time)
            self.median_lower = quantile_time(0.5, ev, 1.0 - lower, self.last_time)
            self.median_upper = quantile_time(0.5, ev, 1.0 - upper, self.last_time)
        return self

    # -- queries -------------------------------------------------------------------------
    def at_risk(self, times: ArrayLike) -> list[int]:
        """Number still at risk (time >= t) at each time: the row under a KM plot."""
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        risk = np.concatenate((self._risk, [0]))
        return [int(k) for k in risk[np.searchsorted(self._times, t, side="left")]]

    def survival_at(self, times: ArrayLike) -> pd.DataFrame:
        """S(t) with its log-log limits and number at risk, at each time (R `summary(times=)`).

        S is 1 before the first event (limits 1); after the last follow-up it is not estimable
        (NaN) unless the curve already reached 0.
        """
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        row = step_index(self.table["time"].to_numpy(), t) + 1  # 0 = before the first event
        beyond = t > (self.last_time if self.last_time is not None else -np.inf)
        values = {}
        for col in ("survival", "lower", "upper"):
            values[col] = np.concatenate(([1.0], self.table[col].to_numpy(np.float64)))[row]
        not_estimable = beyond & (values["survival"] > 0.0)
        s, lo, hi = (
            np.where(not_estimable, np.nan, values[c]) for c in ("survival", "lower", "upper")
        )
        return pd.DataFrame(
            {"time": t, "survival": s, "lower": lo, "upper": hi, "n_risk": self.at_risk(t)}
        )

    @property
    def summary(self) -> pd.DataFrame:
        """One row: label, n, events, median and its confidence limits."""
        return pd.DataFrame(
            [
                {
                    "label": self.label,
                    "n": self.n,
                    "events": self.n_events,
                    "median": self.median,
                    "median_lower": self.median_lower,
                    "median_upper": self.median_upper,
                }
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view: the table as lists (NaN as None), the median and its limits."""
        out: dict[str, Any] = {"label": self.label, "n": self.n, "events": self.n_events}
        for col in TABLE_COLUMNS:
            out[col] = json_list(self.table[col])
        out.update(
            median=self.median,
            median_lower=self.median_lower,
            median_upper=self.median_upper,
            conf_level=1.0 - self.alpha,
        )
        return out


def json_list(column: pd.Series) -> list[Any]:
    """A column as JSON-ready Python numbers, NaN as None."""
    values = column.to_numpy()
    if values.dtype.kind in "iu":
        return [int(v) for v in values]
    return [None if np.isnan(v) else float(v) for v in values]


def fits_from_counts(
    labels: list[str], counts: EventCounts, alpha: float = 0.05
) -> dict[str, KaplanMeier]:
    """One Kaplan–Meier fit per group column of `counts`."""
    z = normal_quantile(alpha)
    fits: dict[str, KaplanMeier] = {}
    for g, label in enumerate(labels):
        present = counts.leaving[:, g] > 0
        fits[label] = KaplanMeier()._from_counts(
            counts.times[present],
            counts.at_risk[present, g],
            counts.failing[0][present, g],
            counts.leaving[present, g],
            label,
            alpha,
            z,
        )
    return fits
