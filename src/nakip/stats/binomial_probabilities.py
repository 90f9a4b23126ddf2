"""Exact binomial probabilities with numpy alone: the pmf and both tails for several rates.

The design commands need only these, and importing scipy.stats costs a command-line start more
than the whole Simon search, so they are computed here from log-factorials (relative error about
1e-13 up to n = 1000, checked against scipy.stats.binom in tests/stats/test_binomial.py).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray


@lru_cache(maxsize=8)
def _log_factorials(n: int) -> NDArray[np.float64]:
    """log k! for k = 0..n (read-only, cached)."""
    out = np.zeros(n + 1)
    out[1:] = np.cumsum(np.log(np.arange(1, n + 1, dtype=float)))
    out.setflags(write=False)
    return out


def pmf_rows(n: int, p: ArrayLike) -> NDArray[np.float64]:
    """P(X = k) for X ~ Bin(n, p), k = 0..n: one row per rate in p (shape (len(p), n + 1))."""
    rates = np.atleast_1d(np.asarray(p, dtype=float)).ravel()
    k = np.arange(n + 1, dtype=float)
    lf = _log_factorials(n)
    out = np.zeros((rates.size, n + 1))
    inner = (rates > 0.0) & (rates < 1.0)
    if inner.any():
        pi = rates[inner][:, None]
        log_pmf = (lf[n] - lf - lf[::-1])[None, :] + k * np.log(pi) + (n - k) * np.log1p(-pi)
        out[inner] = np.exp(log_pmf)
    out[rates <= 0.0, 0] = 1.0
    out[rates >= 1.0, n] = 1.0
    return out


def upper_tail_rows(n: int, p: ArrayLike) -> NDArray[np.float64]:
    """P(X >= j) for j = 0..n+1, one row per rate (small terms summed first; column 0 is 1)."""
    pmf = pmf_rows(n, p)
    tail = np.zeros((pmf.shape[0], n + 2))
    tail[:, : n + 1] = np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1]
    np.minimum(tail, 1.0, out=tail)
    tail[:, 0] = 1.0
    return tail


def lower_tail_rows(n: int, p: ArrayLike) -> NDArray[np.float64]:
    """P(X <= k) for k = 0..n, one row per rate (column n is 1)."""
    cdf = np.minimum(np.cumsum(pmf_rows(n, p), axis=1), 1.0)
    cdf[:, n] = 1.0
    return cdf


def prob_greater(k: ArrayLike, n: int, p: ArrayLike) -> NDArray[np.float64]:
    """P(X > k) for X ~ Bin(n, p), rates on axis 0 and the counts k (any integers) on axis 1."""
    idx = np.clip(np.atleast_1d(np.asarray(k, dtype=np.int64)) + 1, 0, n + 1)
    return upper_tail_rows(n, p)[:, idx]


def prob_at_most(k: ArrayLike, n: int, p: ArrayLike) -> NDArray[np.float64]:
    """P(X <= k) for X ~ Bin(n, p), rates on axis 0 and the counts k (any integers) on axis 1."""
    kk = np.atleast_1d(np.asarray(k, dtype=np.int64))
    cdf = lower_tail_rows(n, p)
    out = cdf[:, np.clip(kk, 0, n)]
    return np.where(kk < 0, 0.0, out)
