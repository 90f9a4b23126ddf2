"""A seeded `random.Random` stream with the few draws the form values need, and the rounding
labs use (ISO dates, three significant digits)."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import date
from typing import Any


class Draw:
    """A seeded stream with the few draws the generator needs (values rounded as labs do)."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def u(self, lo: float, hi: float, nd: int = 1) -> float:
        return round(self.r.uniform(lo, hi), nd)

    def i(self, lo: int, hi: int) -> int:
        return self.r.randint(lo, hi)

    def p(self, prob: float) -> bool:
        return self.r.random() < prob

    def pick(self, options: Any) -> Any:
        return self.r.choice(list(options))

    def weighted(self, options: Mapping[str, float]) -> str:
        keys = list(options)
        return self.r.choices(keys, weights=[options[k] for k in keys])[0]


def iso(d: date) -> str:
    return d.isoformat()


def sig(x: float, digits: int = 3) -> float:
    """`x` rounded to `digits` significant digits (how MRD values are reported)."""
    if x <= 0:
        return 0.0
    return round(x, digits - 1 - math.floor(math.log10(x)))
