"""Simon's two-stage phase II designs: search, operating characteristics and final inference.

Rule (Simon 1989, Controlled Clinical Trials 10:1-10): treat n1 patients; stop for futility if
X1 <= r1; otherwise treat n - n1 more and declare efficacy (reject H0: p <= p0) if X1 + X2 > r.
One concern per module: `rule` (the boundaries), `design` (a design's exact properties),
`operating` (operating characteristics at any rate), `search` (optimal, minimax, admissible
designs; the work is done in `frontier` and `scan`) and `inference` (p-value, confidence interval
and estimates after the trial). Nothing heavier than the standard library at import:
`nakip design simon|oc|infer` must start as fast as Rscript.
"""

from nakip.stats.simon.design import SimonDesign, simon_design
from nakip.stats.simon.inference import TwoStageInference, TwoStageInferenceResult
from nakip.stats.simon.operating import TwoStageOC, operating_characteristics
from nakip.stats.simon.rule import TwoStageRule
from nakip.stats.simon.search import (
    NEAR_NMAX,
    SEARCH_LIMIT,
    NoDesignError,
    SimonSearchResult,
    search,
    smallest_feasible_n,
)

__all__ = [
    "NoDesignError",
    "SimonDesign",
    "SimonSearchResult",
    "TwoStageInference",
    "TwoStageInferenceResult",
    "TwoStageOC",
    "TwoStageRule",
    "operating_characteristics",
    "search",
    "simon_design",
    "smallest_feasible_n",
    "NEAR_NMAX",
    "SEARCH_LIMIT",
]
