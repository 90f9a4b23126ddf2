"""A Simon two-stage design: a rule with its exact alpha, power, EN0 and PET0 at p0 and p1.

Simon (1989); the admissible weight range after Jung, Lee, Kim & George (2004). Standard library
only at import.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Self

from nakip.stats.binomial import check_rates
from nakip.stats.simon.operating import operating_characteristics
from nakip.stats.simon.rule import TwoStageRule


@dataclass(frozen=True)
class SimonDesign:
    """A two-stage design with its exact properties under p0 and p1.

    `alpha` and `power` are the attained (exact) values; `q_low`..`q_high` is the range of weights
    q for which the design minimises q*n + (1-q)*EN0 (Jung, Lee, Kim & George 2004), when known.
    """

    r1: int
    n1: int
    r: int
    n: int
    p0: float
    p1: float
    en0: float
    pet0: float
    alpha: float
    power: float
    q_low: float | None = None
    q_high: float | None = None

    @classmethod
    def from_boundaries(cls, r1: int, n1: int, r: int, n: int, p0: float, p1: float) -> Self:
        """Build a design from its boundaries and compute EN0, PET0, alpha and power exactly."""
        rule = TwoStageRule(r1, n1, r, n)
        p0, p1 = check_rates(p0, p1)
        oc = operating_characteristics(rule, [p0, p1])
        return cls(
            r1=rule.r1,
            n1=rule.n1,
            r=rule.r,
            n=rule.n,
            p0=p0,
            p1=p1,
            en0=float(oc.en[0]),
            pet0=float(oc.pet[0]),
            alpha=float(oc.prob_reject[0]),
            power=float(oc.prob_reject[1]),
        )

    @property
    def rule(self) -> TwoStageRule:
        """The boundaries alone."""
        return TwoStageRule(self.r1, self.n1, self.r, self.n)

    @property
    def n2(self) -> int:
        """Number of patients in stage 2."""
        return self.n - self.n1

    def to_dict(self) -> dict[str, object]:
        """Plain-JSON view: integer boundaries, float properties, weight range if known."""
        return asdict(self)

    def __str__(self) -> str:
        text = (
            f"r1/n1 = {self.r1}/{self.n1}, r/n = {self.r}/{self.n}: EN0 = {self.en0:.2f}, "
            f"PET0 = {self.pet0:.3f}, alpha = {self.alpha:.4f}, power = {self.power:.4f}"
        )
        if self.q_low is not None and self.q_high is not None:
            text += f", q in [{self.q_low:.3f}, {self.q_high:.3f}]"
        return text


def simon_design(r1: int, n1: int, r: int, n: int, p0: float, p1: float) -> SimonDesign:
    """Shorthand for SimonDesign.from_boundaries."""
    return SimonDesign.from_boundaries(r1, n1, r, n, p0, p1)
