"""A continuous monitoring rule of the protocol: the event watched (DLT, feasibility failure),
its Beta prior and the Bayesian stopping limit and cutoff that nakip.stats.bayes_monitor applies.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nakip.protocol.model.base import Probability, Strict


class MonitoringRule(Strict):
    """Bayesian continuous monitoring: stop when Pr(rate > limit | data) > cutoff."""

    code: str
    event: Literal["dlt", "feasibility_failure"]
    description: str
    prior_a: float = Field(gt=0)
    prior_b: float = Field(gt=0)
    limit: Probability
    cutoff: Probability
    min_patients: int = Field(ge=1)
    per_cohort: bool
