"""The upper tail of a Beta distribution, Pr(X > x) for X ~ Beta(a, b), in pure Python.

Posterior-probability monitoring needs only this tail; computing it here (a continued fraction
for the regularized incomplete beta function) spares a command-line start the import of
scipy.stats. Agrees with scipy.stats.beta.sf to 1e-12 (tests/stats/test_beta_tail.py).
"""

from __future__ import annotations

import math

_EPS = 1e-16
_TINY = 1e-300
_MAX_TERMS = 10_000


def _continued_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of I_x(a, b) (modified Lentz); fast for x < (a+1)/(a+b+2)."""
    c = 1.0
    d = 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    result = d
    for m in range(1, _MAX_TERMS):
        # even step: m (b - m) x / ((a + 2m - 1)(a + 2m))
        num = m * (b - m) * x / ((a + 2 * m - 1.0) * (a + 2 * m))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + num / c
        c = c if abs(c) > _TINY else _TINY
        result *= d * c
        # odd step: -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
        num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1.0))
        d = 1.0 + num * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + num / c
        c = c if abs(c) > _TINY else _TINY
        step = d * c
        result *= step
        if abs(step - 1.0) < _EPS:
            return result
    raise ArithmeticError(f"incomplete beta did not converge for x={x}, a={a}, b={b}")


def _lower_regularized(x: float, a: float, b: float) -> float:
    """I_x(a, b) by its continued fraction, without the symmetry switch."""
    log_front = a * math.log(x) + b * math.log1p(-x)
    log_front -= math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return math.exp(log_front) * _continued_fraction(x, a, b) / a


def beta_sf(x: float, a: float, b: float) -> float:
    """Pr(X > x) for X ~ Beta(a, b), a, b > 0: 1 - I_x(a, b) = I_{1-x}(b, a)."""
    if not (a > 0 and b > 0):
        raise ValueError(f"Beta parameters must be > 0, got a={a}, b={b}")
    if x <= 0.0:
        return 1.0
    if x >= 1.0:
        return 0.0
    if x < (a + 1.0) / (a + b + 2.0):
        return 1.0 - _lower_regularized(x, a, b)
    return _lower_regularized(1.0 - x, b, a)
