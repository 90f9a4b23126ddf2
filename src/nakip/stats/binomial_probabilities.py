"""Exact binomial probabilities without scipy: the pmf and both tails, in pure Python or numpy.

The design commands need only these, and importing scipy.stats costs a command-line start more
than the whole Simon search; the pure-Python functions (lists, one rate) let `nakip design
single|oc|infer` run without even numpy, and the `*_rows` functions (numpy arrays, several rates)
serve the vectorised code. Both evaluate log C(n, k) + k log p + (n - k) log(1 - p) (relative
error about 1e-13 up to n = 1000, checked against scipy.stats.binom in tests/stats/).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray


# ----------------------------------------------------------------------------- pure Python
@lru_cache(maxsize=64)
def pmf_list(n: int, p: float) -> tuple[float, ...]:
    """P(X = k) for X ~ Bin(n, p), k = 0..n (cached)."""
    if p <= 0.0:
        return (1.0,) + (0.0,) * n
    if p >= 1.0:
        return (0.0,) * n + (1.0,)
    log_p, log_q, lg_n = math.log(p), math.log1p(-p), math.lgamma(n + 1)
    return tuple(
        math.exp(lg_n - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * log_p + (n - k) * log_q)
        for k in range(n + 1)
    )


@lru_cache(maxsize=64)
def upper_tail_list(n: int, p: float) -> tuple[float, ...]:
    """P(X >= j) for j = 0..n+1 (small terms summed first; the first entry is exactly 1)."""
    out = [0.0] * (n + 2)
    acc = 0.0
    pmf = pmf_list(n, p)
    for j in range(n, 0, -1):
        acc += pmf[j]
        out[j] = min(acc, 1.0)
    out[0] = 1.0
    return tuple(out)


@lru_cache(maxsize=64)
def lower_tail_list(n: int, p: float) -> tuple[float, ...]:
    """P(X <= k) for k = 0..n (the last entry is exactly 1)."""
    out = [0.0] * (n + 1)
    acc = 0.0
    pmf = pmf_list(n, p)
    for k in range(n):
        acc += pmf[k]
        out[k] = min(acc, 1.0)
    out[n] = 1.0
    return tuple(out)


def greater(k: int, n: int, p: float) -> float:
    """P(X > k) for X ~ Bin(n, p) and any integer k."""
    return upper_tail_list(n, p)[min(max(k + 1, 0), n + 1)]


def at_most(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Bin(n, p) and any integer k."""
    return 0.0 if k < 0 else lower_tail_list(n, p)[min(k, n)]


# ----------------------------------------------------------------------------- numpy, many rates
@lru_cache(maxsize=8)
def _log_factorials(n: int) -> NDArray[np.float64]:
    """log k! for k = 0..n (read-only, cached)."""
    import numpy as np

    out = np.zeros(n + 1)
    out[1:] = np.cumsum(np.log(np.arange(1, n + 1, dtype=float)))
    out.setflags(write=False)
    return out


def pmf_rows(n: int, p: ArrayLike) -> NDArray[np.float64]:
    """P(X = k) for X ~ Bin(n, p), k = 0..n: one row per rate in p (shape (len(p), n + 1))."""
    import numpy as np

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
    import numpy as np

    pmf = pmf_rows(n, p)
    tail = np.zeros((pmf.shape[0], n + 2))
    tail[:, : n + 1] = np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1]
    np.minimum(tail, 1.0, out=tail)
    tail[:, 0] = 1.0
    return tail


def lower_tail_rows(n: int, p: ArrayLike) -> NDArray[np.float64]:
    """P(X <= k) for k = 0..n, one row per rate (column n is 1)."""
    import numpy as np

    cdf = np.minimum(np.cumsum(pmf_rows(n, p), axis=1), 1.0)
    cdf[:, n] = 1.0
    return cdf


def prob_greater(k: ArrayLike, n: int, p: ArrayLike) -> NDArray[np.float64]:
    """P(X > k) for X ~ Bin(n, p), rates on axis 0 and the counts k (any integers) on axis 1."""
    import numpy as np

    idx = np.clip(np.atleast_1d(np.asarray(k, dtype=np.int64)) + 1, 0, n + 1)
    return upper_tail_rows(n, p)[:, idx]


def prob_at_most(k: ArrayLike, n: int, p: ArrayLike) -> NDArray[np.float64]:
    """P(X <= k) for X ~ Bin(n, p), rates on axis 0 and the counts k (any integers) on axis 1."""
    import numpy as np

    kk = np.atleast_1d(np.asarray(k, dtype=np.int64))
    cdf = lower_tail_rows(n, p)
    out = cdf[:, np.clip(kk, 0, n)]
    return np.where(kk < 0, 0.0, out)
