"""A response or event proportion with its exact interval and test, or why it is not estimable.

Wraps `nakip.stats.binomial` (Clopper–Pearson interval, exact binomial test) so that every table
of the analysis layer says "not estimable" with a reason instead of showing NaN.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from nakip.stats.binomial import binom_test, clopper_pearson_interval


@dataclass(frozen=True)
class Proportion:
    """x of n with estimate, exact two-sided CI and (when p0 is given) one-sided exact p-value
    for H0: p <= p0; None values and `reason` when n is 0."""

    x: int
    n: int
    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    conf_level: float
    p0: float | None = None
    p_value: float | None = None
    reason: str | None = None

    @property
    def estimable(self) -> bool:
        """False when there is no patient to estimate from."""
        return self.reason is None

    @classmethod
    def exact(
        cls, x: int, n: int, *, p0: float | None = None, conf_level: float = 0.95, what: str = ""
    ) -> Proportion:
        """Clopper–Pearson (1934) interval and exact one-sided binomial p-value (R binom.test)."""
        if n == 0:
            why = f"not estimable: no {what or 'patients'}"
            return cls(0, 0, None, None, None, conf_level, p0, None, why)
        ci = clopper_pearson_interval(x, n, conf_level)
        p = None if p0 is None else binom_test(x, n, p0, "greater").p_value
        return cls(x, n, x / n, ci.lower, ci.upper, conf_level, p0, p)

    def text(self) -> str:
        """'5/12 (41.7%, 95% CI 15.2-72.3%)' or the reason it is not estimable."""
        if not self.estimable:
            return f"{self.x}/{self.n} ({self.reason})"
        pct = f"{100 * self.conf_level:g}%"
        return (
            f"{self.x}/{self.n} ({100 * self.estimate:.1f}%, {pct} CI "  # type: ignore[operator]
            f"{100 * self.ci_lower:.1f}-{100 * self.ci_upper:.1f}%)"  # type: ignore[operator]
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return asdict(self)
