"""Round-then-compare helpers and input checks shared by the response rules.

Clinical thresholds are compared after rounding both sides to a fixed number of decimals
(docs/clinical-rules.md: 9 by default), so 5.0 is exactly 5 and 1.5 * 40 is exactly 60
even when floating-point arithmetic leaves a trailing 1e-15.
"""

from __future__ import annotations

import math
from numbers import Real


def rounded(x: float, decimals: int) -> float:
    """`x` rounded to `decimals` places, -0.0 folded into 0.0 (done before every comparison)."""
    r = round(float(x), decimals)
    return 0.0 if r == 0 else r


def at_least(x: float, threshold: float, decimals: int) -> bool:
    """x >= threshold after rounding both to `decimals` places."""
    return rounded(x, decimals) >= rounded(threshold, decimals)


def at_most(x: float, threshold: float, decimals: int) -> bool:
    """x <= threshold after rounding both to `decimals` places."""
    return rounded(x, decimals) <= rounded(threshold, decimals)


def above(x: float, threshold: float, decimals: int) -> bool:
    """x > threshold after rounding both to `decimals` places."""
    return rounded(x, decimals) > rounded(threshold, decimals)


def below(x: float, threshold: float, decimals: int) -> bool:
    """x < threshold after rounding both to `decimals` places."""
    return rounded(x, decimals) < rounded(threshold, decimals)


def equals(x: float, threshold: float, decimals: int) -> bool:
    """x == threshold after rounding both to `decimals` places."""
    return rounded(x, decimals) == rounded(threshold, decimals)


def check_number(
    name: str,
    value: object,
    *,
    minimum: float | None = 0.0,
    maximum: float | None = None,
    strictly_positive: bool = False,
) -> float | None:
    """Validate an optional measurement: None passes; bool, NaN, infinity or out-of-range values
    raise ValueError naming the field (bad data must never be classified silently)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name}: expected a number, got {type(value).__name__}")
    v = float(value)
    if math.isnan(v) or math.isinf(v):
        raise ValueError(f"{name}: must be a finite number, got {v!r}")
    if strictly_positive and v <= 0:
        raise ValueError(f"{name}: must be > 0, got {v:g}")
    if minimum is not None and v < minimum:
        raise ValueError(f"{name}: must be >= {minimum:g}, got {v:g}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name}: must be <= {maximum:g}, got {v:g}")
    return v


def check_flag(name: str, value: object) -> bool | None:
    """Validate an optional yes/no finding: None or a real bool (1/0 refused), else ValueError."""
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"{name}: expected true/false, got {type(value).__name__}")
