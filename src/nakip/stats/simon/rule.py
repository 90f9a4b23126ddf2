"""The boundaries of a Simon two-stage rule (r1/n1, r/n), validated once for every user.

Rule (Simon 1989, Controlled Clinical Trials 10:1-10): stop for futility if X1 <= r1 of n1;
otherwise declare efficacy if X1 + X2 > r of n.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol

from nakip.stats.binomial import check_count


class _HasBoundaries(Protocol):
    r1: int
    n1: int
    r: int
    n: int


def _validate_boundaries(r1: int, n1: int, r: int, n: int) -> tuple[int, int, int, int]:
    r1 = check_count("r1", r1)
    n1 = check_count("n1", n1, minimum=1)
    r = check_count("r", r)
    n = check_count("n", n, minimum=2)
    if not n1 < n:
        raise ValueError(f"n1 must be smaller than n (got n1={n1}, n={n})")
    if not r1 < n1:
        raise ValueError(f"r1 must be smaller than n1 (got r1={r1}, n1={n1})")
    if not r1 <= r < n:
        raise ValueError(f"r must satisfy r1 <= r < n (got r1={r1}, r={r}, n={n})")
    return r1, n1, r, n


@dataclass(frozen=True)
class TwoStageRule:
    """The boundaries of a two-stage rule: stop if X1 <= r1 of n1; efficacy if X > r of n."""

    r1: int
    n1: int
    r: int
    n: int

    def __post_init__(self) -> None:
        _validate_boundaries(self.r1, self.n1, self.r, self.n)

    @property
    def n2(self) -> int:
        """Number of patients in stage 2."""
        return self.n - self.n1

    def to_dict(self) -> dict[str, int]:
        """Plain-JSON view of the rule."""
        return asdict(self)

    def __str__(self) -> str:
        return f"r1/n1 = {self.r1}/{self.n1}, r/n = {self.r}/{self.n}"
