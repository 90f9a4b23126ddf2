"""Binomial probability tables for every sample size up to N, built once and cached.

The Simon design search looks up P(X = k) and P(X >= j) for X ~ Bin(m, p) millions of times;
tabulating them once as numpy arrays turns those look-ups into vectorised indexing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class BinomialTables:
    """pmf[m, k] = P(Bin(m,p) = k); sf[m, j + offset] = P(Bin(m,p) >= j) for -offset <= j <= N+1.

    Rows m run from 0 to N. Shifting j by `offset` lets callers index with j <= 0 (probability 1)
    and j > m (probability 0) without clipping.
    """

    p: float
    size: int
    pmf: NDArray[np.float64]
    sf: NDArray[np.float64]
    offset: int


@lru_cache(maxsize=16)
def stacked_tables(
    ps: tuple[float, ...], size: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    """(pmf, sf, offset) for several success probabilities at once, stacked on axis 0.

    pmf has shape (len(ps), size+1, size+1) and sf (len(ps), size+1, 2*size+3); see
    BinomialTables for the layout. Cached per (ps, size); the arrays are read-only.
    """
    p = np.asarray(ps, dtype=float)[:, None]
    q = 1.0 - p
    # Pascal's recurrence b(k; m) = (1-p) b(k; m-1) + p b(k-1; m-1): every term is a convex
    # combination of positive numbers, so it is numerically stable (relative error ~1e-14 at
    # m = 1000) and several times faster than evaluating scipy's pmf on the whole grid.
    pmf = np.zeros((len(ps), size + 1, size + 1))
    pmf[:, 0, 0] = 1.0
    for m in range(1, size + 1):
        prev = pmf[:, m - 1]
        np.multiply(prev[:, : m + 1], q, out=pmf[:, m, : m + 1])
        pmf[:, m, 1 : m + 1] += p * prev[:, :m]
    offset = size + 1
    sf = np.zeros((len(ps), size + 1, 2 * size + 3))  # j from -(size+1) to size+1
    # P(X >= j) for j = 0..size is the reverse cumulative sum of the pmf (small terms first).
    tail = np.cumsum(pmf[:, :, ::-1], axis=2)[:, :, ::-1]
    sf[:, :, offset : offset + size + 1] = np.minimum(tail, 1.0)
    sf[:, :, :offset] = 1.0
    sf[:, :, offset] = 1.0  # P(X >= 0) is exactly 1
    pmf.setflags(write=False)
    sf.setflags(write=False)
    return pmf, sf, offset


def binomial_tables(p: float, size: int) -> BinomialTables:
    """Tables for sample sizes 0..size at success probability p (cached per (p, size))."""
    pmf, sf, offset = stacked_tables((float(p),), size)
    return BinomialTables(p=float(p), size=size, pmf=pmf[0], sf=sf[0], offset=offset)
