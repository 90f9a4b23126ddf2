"""The k-sample log-rank test, equal to R `survival::survdiff(Surv(time, status) ~ group)`.

Mantel (1966) / Peto & Peto (1972) with the hypergeometric variance; as `survdiff`, groups whose
expected count is 0 drop out of the test (and of its degrees of freedom), and fewer than two
remaining groups give chi-square 0 on 0 df with p = 1. Vectorised over distinct times.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from nakip.stats.survival.event_counts import (
    EventCounts,
    check_durations,
    check_groups,
    check_status,
)
from nakip.stats.survival.kaplan_meier import KaplanMeier, fits_from_counts, normal_quantile


@dataclass(frozen=True)
class LogRankResult:
    """Log-rank chi-square, its degrees of freedom and p-value, with observed/expected per group."""

    chisq: float
    df: int
    p: float
    groups: tuple[str, ...]
    observed: tuple[int, ...]
    expected: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        out = asdict(self)
        for key in ("groups", "observed", "expected"):
            out[key] = list(out[key])
        return out


def grouped_counts(
    durations: ArrayLike, events: ArrayLike, groups: ArrayLike
) -> tuple[list[str], EventCounts]:
    """Checked input counted per distinct time and group (labels sorted)."""
    t = check_durations(durations)
    e = check_status(events, t.shape[0], "events")
    labels, index = check_groups(groups, t.shape[0])
    return labels, EventCounts.build(t, e, index, len(labels))


def logrank_from_counts(labels: list[str], counts: EventCounts) -> LogRankResult:
    """The test from counts per time and group (see module docstring)."""
    failing = counts.failing[0]
    rows = failing.sum(axis=1) > 0
    n_g = counts.at_risk[rows].astype(np.float64)
    d_g = failing[rows].astype(np.float64)
    n = n_g.sum(axis=1)
    d = d_g.sum(axis=1)
    observed = d_g.sum(axis=0)
    expected = (n_g * (d / n)[:, None]).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(n > 1, d * (n - d) / (n * n * (n - 1.0)), 0.0)
    var = np.diag((w * n) @ n_g) - (n_g * w[:, None]).T @ n_g
    keep = np.flatnonzero(expected > 0)
    if keep.shape[0] < 2:
        chisq = 0.0
    else:
        sub = keep[1:]
        diff = (observed - expected)[sub]
        chisq = float(diff @ np.linalg.solve(var[np.ix_(sub, sub)], diff))
    df = max(int(keep.shape[0]) - 1, 0)
    p = 1.0 if df == 0 else float(stats.chi2.sf(chisq, df))
    return LogRankResult(
        chisq=chisq,
        df=df,
        p=p,
        groups=tuple(labels),
        observed=tuple(int(o) for o in observed),
        expected=tuple(float(x) for x in expected),
    )


def logrank_test(durations: ArrayLike, events: ArrayLike, groups: ArrayLike) -> LogRankResult:
    """Compare survival between groups; ValueError for bad input or fewer than two groups."""
    labels, counts = grouped_counts(durations, events, groups)
    if len(labels) < 2:
        raise ValueError(f"groups: the log-rank test needs at least two groups, got {len(labels)}")
    return logrank_from_counts(labels, counts)


def compare_survival(
    durations: ArrayLike, events: ArrayLike, groups: ArrayLike, alpha: float = 0.05
) -> tuple[dict[str, KaplanMeier], LogRankResult | None]:
    """Kaplan–Meier per group and the log-rank test between them (None for a single group),
    from one sort of the data."""
    normal_quantile(alpha)
    labels, counts = grouped_counts(durations, events, groups)
    test = logrank_from_counts(labels, counts) if len(labels) >= 2 else None
    return fits_from_counts(labels, counts, alpha), test
