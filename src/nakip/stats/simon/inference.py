"""Final inference after a Simon two-stage trial: p-value, confidence interval and estimates.

Stage-wise ordering of Koyama & Chen (2008, Stat Med 27:3145) and the UMVUE of Jung & Kim (2004);
pandas is imported only by `TwoStageInference.summary`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Self

from nakip.stats.binomial import check_count, check_probability
from nakip.stats.binomial_probabilities import at_most, greater, pmf_list
from nakip.stats.simon.rule import TwoStageRule, _HasBoundaries

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class TwoStageInferenceResult:
    """Inference after a completed two-stage trial (stage-wise ordering of the sample space)."""

    r1: int
    n1: int
    r: int
    n: int
    stage: int
    x1: int
    x_total: int
    n_treated: int
    p0: float | None
    p_value: float | None
    reject_h0: bool
    mle: float
    mue: float
    umvue: float
    ci_lower: float
    ci_upper: float
    conf_level: float

    def to_dict(self) -> dict[str, object]:
        """Plain-JSON view."""
        return asdict(self)


class TwoStageInference:
    """Exact inference after a Simon two-stage trial, lifelines-style: fit() then attributes.

    Outcomes are ordered stage-wise (Koyama & Chen 2008, Stat Med 27:3145): every stage-1 stop
    ranks below every stage-2 completion, and within a stage by responder count. The p-value is
    P_p0(T >= t); the two-sided CI takes each tail at (1 - conf_level)/2 by inverting that same
    ordering, so the CI lies above p0 exactly when the one-sided p-value is below (1-conf)/2.
    Limits come from root-finding on the exact tail probabilities (not a grid, unlike
    clinfun's twostage.inference); the lower limit is 0 at x = 0, the upper 1 when all respond.
    """

    def __init__(
        self, design: _HasBoundaries, p0: float | None = None, conf_level: float = 0.95
    ) -> None:
        self.rule = TwoStageRule(design.r1, design.n1, design.r, design.n)
        if p0 is None:
            p0 = getattr(design, "p0", None)
        self.p0 = None if p0 is None else check_probability("p0", p0)
        self.conf_level = check_probability("conf_level", conf_level)
        self.result_: TwoStageInferenceResult | None = None

    # -- tail probabilities of the stage-wise ordering --------------------------------------
    def _ge(self, stage: int, x: int, p: float) -> float:
        """P_p(T >= (stage, x)) in the stage-wise ordering."""
        rule = self.rule
        if stage == 1:
            return greater(x - 1, rule.n1, p)
        pmf1 = pmf_list(rule.n1, p)
        return math.fsum(
            pmf1[x1] * greater(x - x1 - 1, rule.n2, p) for x1 in range(rule.r1 + 1, rule.n1 + 1)
        )

    def _le(self, stage: int, x: int, p: float) -> float:
        """P_p(T <= (stage, x)) in the stage-wise ordering."""
        rule = self.rule
        if stage == 1:
            return at_most(x, rule.n1, p)
        pmf1 = pmf_list(rule.n1, p)
        stop = at_most(rule.r1, rule.n1, p)
        return stop + math.fsum(
            pmf1[x1] * at_most(x - x1, rule.n2, p) for x1 in range(rule.r1 + 1, rule.n1 + 1)
        )

    def _solve(self, func: str, stage: int, x: int, target: float) -> float:
        """The p in (0, 1) where the (monotone) tail probability equals target."""
        f = self._ge if func == "ge" else self._le
        return _root_of_monotone(lambda p: f(stage, x, p) - target)

    def fit(self, x1: int, x2: int | None = None, *, x_total: int | None = None) -> Self:
        """Analyse stage-1 count x1 and, if the trial continued, stage-2 count x2 (or x_total).

        Returns self; results in p_value, mue, umvue, ci_lower, ci_upper, summary, result_.
        """
        rule = self.rule
        x1 = check_count("x1", x1)
        if x1 > rule.n1:
            raise ValueError(f"x1 must not exceed n1={rule.n1}, got {x1}")
        if x1 <= rule.r1:
            if (x2 is not None and x2 != 0) or (x_total is not None and x_total != x1):
                raise ValueError(
                    f"x2/x_total given but the trial stops after stage 1 (x1={x1} <= r1={rule.r1})"
                )
            stage, total = 1, x1
        else:
            if x2 is None and x_total is None:
                raise ValueError(
                    f"x1={x1} > r1={rule.r1}: the trial continues, so give x2 or x_total"
                )
            if x2 is not None and x_total is not None and x1 + x2 != x_total:
                raise ValueError(f"x_total={x_total} differs from x1 + x2 = {x1 + x2}")
            if x2 is None:
                total = check_count("x_total", x_total)  # type: ignore[arg-type]
                x2 = total - x1
                if x2 < 0:
                    raise ValueError(f"x_total must be at least x1={x1}, got {total}")
            x2 = check_count("x2", x2)
            if x2 > rule.n2:
                raise ValueError(f"x2 must not exceed n - n1 = {rule.n2}, got {x2}")
            stage, total = 2, x1 + x2

        is_min = stage == 1 and total == 0
        is_max = stage == 2 and total == rule.n
        half = (1.0 - self.conf_level) / 2.0
        lower = 0.0 if is_min else self._solve("ge", stage, total, half)
        upper = 1.0 if is_max else self._solve("le", stage, total, half)
        med_lo = 0.0 if is_min else self._solve("ge", stage, total, 0.5)
        med_hi = 1.0 if is_max else self._solve("le", stage, total, 0.5)
        p_value = None if self.p0 is None else min(1.0, self._ge(stage, total, self.p0))
        n_treated = rule.n1 if stage == 1 else rule.n
        self.result_ = TwoStageInferenceResult(
            r1=rule.r1,
            n1=rule.n1,
            r=rule.r,
            n=rule.n,
            stage=stage,
            x1=x1,
            x_total=total,
            n_treated=n_treated,
            p0=self.p0,
            p_value=p_value,
            reject_h0=stage == 2 and total > rule.r,
            mle=total / n_treated,
            mue=(med_lo + med_hi) / 2.0,
            umvue=_umvue(rule, stage, total),
            ci_lower=lower,
            ci_upper=upper,
            conf_level=self.conf_level,
        )
        return self

    def _fitted(self) -> TwoStageInferenceResult:
        if self.result_ is None:
            raise RuntimeError("call fit() first")
        return self.result_

    @property
    def p_value(self) -> float | None:
        """One-sided exact p-value for H0: p <= p0 (None when p0 is unknown)."""
        return self._fitted().p_value

    @property
    def mue(self) -> float:
        """Median-unbiased estimate: mid-point of the p solving P_p(T >= t) = 1/2 and the p
        solving P_p(T <= t) = 1/2 (Hirji, Tsiatis & Mehta 1989 convention for discrete data;
        0 and 1 stand in at the extreme outcomes)."""
        return self._fitted().mue

    @property
    def umvue(self) -> float:
        """Uniformly minimum-variance unbiased estimate (Jung & Kim 2004)."""
        return self._fitted().umvue

    @property
    def ci_lower(self) -> float:
        """Lower exact confidence limit."""
        return self._fitted().ci_lower

    @property
    def ci_upper(self) -> float:
        """Upper exact confidence limit."""
        return self._fitted().ci_upper

    @property
    def summary(self) -> pd.DataFrame:
        """One-row table of the estimates, CI and p-value."""
        import pandas as pd

        r = self._fitted()
        pct = f"{100 * r.conf_level:g}%"
        return pd.DataFrame(
            [
                {
                    "stage": r.stage,
                    "responders": r.x_total,
                    "treated": r.n_treated,
                    "mle": r.mle,
                    "mue": r.mue,
                    "umvue": r.umvue,
                    f"lower {pct}": r.ci_lower,
                    f"upper {pct}": r.ci_upper,
                    "p": r.p_value,
                }
            ]
        )


def _root_of_monotone(f: Callable[[float], float], tol: float = 1e-15) -> float:
    """The root in [0, 1] of a continuous monotone f whose sign differs at 0 and 1.

    Regula falsi with the Illinois modification, ended by the bracket width (1e-15): as sure as
    bisection, a few times fewer evaluations; scipy's brentq would cost scipy's import.
    """
    a, b = 0.0, 1.0
    fa, fb = f(a), f(b)
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    if (fa > 0) == (fb > 0):
        raise ValueError("no sign change on [0, 1]")
    side = 0
    for _ in range(200):
        c = (a * fb - b * fa) / (fb - fa)
        if not a < c < b:
            c = 0.5 * (a + b)
        fc = f(c)
        if fc == 0.0 or b - a < tol:
            return c
        if (fc > 0) == (fb > 0):
            b, fb = c, fc
            if side == -1:
                fa /= 2
            side = -1
        else:
            a, fa = c, fc
            if side == 1:
                fb /= 2
            side = 1
        if b - a < tol:
            break
    return 0.5 * (a + b)


def _umvue(rule: TwoStageRule, stage: int, total: int) -> float:
    """UMVUE of p (Jung & Kim 2004, Stat Med 23:561): Rao–Blackwellised X1/n1.

    Stage 1: x1/n1. Stage 2 with total s: sum C(n1-1, x1-1) C(n2, s-x1) / sum C(n1, x1) C(n2, s-x1)
    over x1 from max(r1+1, s-n2) to min(n1, s).
    """
    if stage == 1:
        return total / rule.n1
    lo, hi = max(rule.r1 + 1, total - rule.n2), min(rule.n1, total)
    num = sum(
        math.comb(rule.n1 - 1, k - 1) * math.comb(rule.n2, total - k) for k in range(lo, hi + 1)
    )
    den = sum(math.comb(rule.n1, k) * math.comb(rule.n2, total - k) for k in range(lo, hi + 1))
    return num / den
