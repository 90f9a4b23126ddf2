"""Operating characteristics of a two-stage rule at any true response rate, exact.

Probability of early termination, of declaring efficacy and the expected sample size (Simon 1989);
numpy is imported only when an array of rates is given.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from nakip.stats.binomial_probabilities import at_most, greater, pmf_list
from nakip.stats.simon.rule import TwoStageRule, _HasBoundaries

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class TwoStageOC:
    """Exact operating characteristics of a two-stage rule at true response rate(s) p.

    prob_reject = P(declare efficacy); pet = P(stop after stage 1); en = expected sample size.
    Scalars when p was a scalar, numpy arrays otherwise.
    """

    p: float | NDArray[np.float64]
    prob_reject: float | NDArray[np.float64]
    pet: float | NDArray[np.float64]
    en: float | NDArray[np.float64]

    def to_dict(self) -> dict[str, object]:
        """Plain-JSON view (lists for arrays)."""
        return {
            k: v if isinstance(v, float) else v.tolist()  # type: ignore[union-attr]
            for k, v in asdict(self).items()
        }


def _oc_at(rule: TwoStageRule, p: float) -> tuple[float, float, float]:
    """(P(reject H0), PET, E[N]) at one true rate p: pure Python, exact."""
    pmf1 = pmf_list(rule.n1, p)
    reject = math.fsum(
        pmf1[x1] * greater(rule.r - x1, rule.n2, p) for x1 in range(rule.r1 + 1, rule.n1 + 1)
    )
    pet = at_most(rule.r1, rule.n1, p)
    return reject, pet, rule.n1 + (1.0 - pet) * rule.n2


def operating_characteristics(design: _HasBoundaries, p: ArrayLike) -> TwoStageOC:
    """Exact P(reject H0), PET and E[N] of a two-stage rule at each true rate in p.

    P(reject) = sum_{x1 > r1} P(X1 = x1) P(X2 > r - x1) (Simon 1989, section 2). A scalar p
    gives floats (no numpy needed); a sequence or array gives numpy arrays of its shape.
    """
    rule = TwoStageRule(design.r1, design.n1, design.r, design.n)
    if isinstance(p, numbers.Real):
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError("p must lie in [0, 1]")
        reject, pet, en = _oc_at(rule, float(p))
        return TwoStageOC(p=float(p), prob_reject=reject, pet=pet, en=en)
    import numpy as np

    parr = np.asarray(p, dtype=float)
    if parr.size == 0:
        raise ValueError("p must contain at least one response rate")
    if np.any(~((parr >= 0) & (parr <= 1))):
        raise ValueError("p must lie in [0, 1]")
    values = np.array([_oc_at(rule, float(v)) for v in parr.ravel()]).reshape(-1, 3)

    def shape(a: NDArray[np.float64]) -> float | NDArray[np.float64]:
        return float(a[0]) if parr.ndim == 0 else a.reshape(parr.shape)

    return TwoStageOC(
        p=shape(parr.ravel()),
        prob_reject=shape(values[:, 0]),
        pet=shape(values[:, 1]),
        en=shape(values[:, 2]),
    )
