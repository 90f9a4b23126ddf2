"""Checked right-censored input and its counts per distinct time: what every estimator starts from.

One sort of the durations gives, per distinct time and group, the number leaving the risk set
and the number failing from each cause; every estimator and test in this package reads these
counts, so input is validated once and with the same messages everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray


def _first_bad(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def check_durations(durations: ArrayLike, name: str = "durations") -> NDArray[np.float64]:
    """Durations as a 1-D float array; ValueError naming the first missing, infinite or negative."""
    try:
        t = np.asarray(durations, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: not numeric ({exc})") from exc
    if t.ndim != 1:
        raise ValueError(f"{name}: expected a one-dimensional sequence, got shape {t.shape}")
    bad = np.isnan(t)
    if bad.any():
        raise ValueError(
            f"{name}: {int(bad.sum())} missing (NaN) value(s), first at row {_first_bad(bad)}"
        )
    bad = np.isinf(t)
    if bad.any():
        raise ValueError(f"{name}: infinite value at row {_first_bad(bad)}")
    bad = t < 0
    if bad.any():
        i = _first_bad(bad)
        raise ValueError(f"{name}: negative time {t[i]:g} at row {i}")
    return t


def check_status(
    status: ArrayLike, n: int, name: str = "events", max_code: int | None = 1
) -> NDArray[np.int64]:
    """Status codes as integers 0 (censored), 1.. (event / cause); ValueError naming the bad one.

    Booleans are accepted for a plain event indicator (True = event).
    """
    raw = np.asarray(status)
    if raw.ndim != 1:
        raise ValueError(f"{name}: expected a one-dimensional sequence, got shape {raw.shape}")
    if raw.shape[0] != n:
        raise ValueError(f"{name}: length {raw.shape[0]} differs from durations ({n})")
    if raw.dtype == bool:
        return raw.astype(np.int64)
    try:
        values = raw.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: not numeric ({exc})") from exc
    bad = np.isnan(values)
    if bad.any():
        raise ValueError(
            f"{name}: {int(bad.sum())} missing value(s), first at row {_first_bad(bad)}"
        )
    codes = values.astype(np.int64)
    bad = (codes != values) | (codes < 0)
    if max_code is not None:
        bad |= codes > max_code
    if bad.any():
        i = _first_bad(bad)
        allowed = "0 or 1" if max_code == 1 else "0 (censored) or a positive integer cause"
        raise ValueError(f"{name}: value {values[i]:g} at row {i} is not {allowed}")
    return codes


def check_groups(
    groups: ArrayLike, n: int, name: str = "groups"
) -> tuple[list[str], NDArray[np.int64]]:
    """Group labels (as text, sorted like R factor levels) and each row's group index.

    Whole numbers sort numerically and print without a decimal point (1.0 read from a CSV file
    is group "1"); the per-row work is one hash factorisation, the rest is on the few labels.
    """
    values = np.asarray(groups)
    if values.ndim != 1 or values.shape[0] != n:
        raise ValueError(
            f"{name}: length {values.shape[0] if values.ndim else 0} differs from durations ({n})"
        )
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    missing = codes < 0
    if missing.any():
        raise ValueError(
            f"{name}: {int(missing.sum())} missing value(s), first at row {_first_bad(missing)}"
        )
    labels = list(uniques)
    numeric = pd.to_numeric(pd.Series(labels, dtype=object), errors="coerce")
    whole = (
        bool(len(labels))
        and not any(isinstance(v, bool | np.bool_) for v in labels)
        and bool(numeric.notna().all())
        and bool((numeric == numeric.round()).all())
    )
    keys: list[object] = [int(v) for v in numeric] if whole else [str(v) for v in labels]
    order = sorted(range(len(labels)), key=lambda k: keys[k])  # type: ignore[arg-type,return-value]
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    return [str(keys[k]) for k in order], rank[codes]


@dataclass(frozen=True)
class EventCounts:
    """Counts per distinct time (rows, ascending) and group (columns).

    `leaving[j, g]` subjects of group g have their time equal to `times[j]`, `failing[c][j, g]`
    of them fail from cause c + 1; `at_risk[j, g]` have a time >= `times[j]`.
    """

    times: NDArray[np.float64]
    leaving: NDArray[np.int64]
    failing: tuple[NDArray[np.int64], ...]
    at_risk: NDArray[np.int64]

    @classmethod
    def build(
        cls,
        durations: NDArray[np.float64],
        status: NDArray[np.int64],
        group_index: NDArray[np.int64] | None = None,
        n_groups: int = 1,
        n_causes: int = 1,
    ) -> EventCounts:
        """Count per distinct time and group with `bincount`.

        Clinical times are whole days with many ties: then the distinct times are found by
        hashing (`pandas.factorize`, O(n)) and only they are sorted. Nearly all-distinct times
        (judged on a sample) are sorted directly, which is faster for them.
        """
        n = durations.shape[0]
        if n == 0:
            empty = np.zeros((0, n_groups), dtype=np.int64)
            return cls(np.zeros(0), empty, tuple(empty for _ in range(n_causes)), empty)
        durations = durations + 0.0  # -0.0 becomes 0.0
        sample = durations[:: max(1, n // 4096)]
        if n > 4096 and np.unique(sample).shape[0] > 0.9 * sample.shape[0]:
            order = np.argsort(durations)
            ordered = durations[order]
            new = np.empty(n, dtype=bool)
            new[0] = True
            np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
            times = ordered[new]
            key = np.cumsum(new) - 1
            status = status[order]
            group_index = None if group_index is None else group_index[order]
        else:
            codes, distinct = pd.factorize(durations)
            by_time = np.argsort(distinct)
            times = distinct[by_time]
            rank = np.empty(by_time.shape[0], dtype=np.int64)
            rank[by_time] = np.arange(by_time.shape[0])
            key = rank[codes]
        if group_index is not None and n_groups > 1:
            key = key * n_groups + group_index
        size = times.shape[0] * n_groups
        shape = (times.shape[0], n_groups)
        leaving = np.bincount(key, minlength=size).reshape(shape)
        failing = tuple(
            np.bincount(key, weights=status == c, minlength=size).astype(np.int64).reshape(shape)
            for c in range(1, n_causes + 1)
        )
        at_risk = np.cumsum(leaving[::-1], axis=0)[::-1]
        return cls(times, leaving, failing, at_risk)
