"""Operating characteristics of single-arm binary-endpoint rules over a grid of scenarios.

Exact OC come from the lattice recursion (`_exact.sequential_oc`); Monte Carlo OC from a
vectorised simulator: two-stage and single-stage rules draw one binomial count per trial and
stage (inverse CDF at a 32-bit random word); rules with many looks draw one 32-bit word per
patient, column by column over all trials at once. Both quantise probabilities to 2^-32.
A "simulated patient" is a patient represented in a simulated trial: a trial
stopped after n_1 patients counts n_1, a completed one counts its full sample size; the
throughput figure is `patients_simulated / seconds`.

Reproducibility: each scenario s and chunk c (fixed `chunk_size` trials) gets its own stream,
`SeedSequence(seed, spawn_key=(s, c))` feeding PCG64, and results are integer sums combined in
chunk order, so the same seed gives identical results on the local and the Dask backends.

Backends: `backend="local"` (numpy in this process) or `backend="dask"` (dask.distributed: an
existing scheduler address such as ``tcp://host:8786``, a `distributed.Client`, or a new
`LocalCluster` when none is given).

Scenario file (YAML or JSON) for ``nakip design simulate --scenarios FILE``: either a list of
scenarios or a mapping with a ``scenarios`` list. Each scenario has an optional ``name``, a
``design`` mapping and a true ``rate`` (or a list ``rates``, expanded to one scenario each)::

    scenarios:
      - name: simon-null
        design: {type: simon, r1: 3, n1: 9, r: 13, n: 27}   # stop if <= r1/n1; success if > r/n
        rates: [0.35, 0.60]
      - design: {type: single_stage, r: 13, n: 27}          # success if > r of n (X > r)
        rate: 0.35
      - design: {type: bayes_toxicity, prior_a: 1, prior_b: 1, limit: 0.3, cutoff: 0.9, nmax: 24}
        rate: 0.2                                          # stop if Pr(rate > limit) > cutoff
      - design: {type: predictive, prior_a: 0.6, prior_b: 0.4, p0: 0.2, theta_t: 0.9,
                 theta_l: 0.05, nmax: 40, min_patients: 10}
        rate: 0.4
      - design: {type: boundary, looks: [10, 20], lower: [2, 6], upper: [11, 21]}
        rate: 0.3                                          # generic: stop if x <= lower or >= upper

"success" means passing every look (for a toxicity rule: never stopped).

One module per concern: `designs` (the rules and their spec), `exact` (exact OC), `simulate`
(the vectorised simulator), `scenarios` (the scenario file) and `grid` (a grid of scenarios run
locally or on Dask).
"""

from nakip.stats.oc.designs import (
    BoundaryRule,
    Design,
    SimonTwoStage,
    SingleStage,
    design_from_spec,
)
from nakip.stats.oc.exact import ExactOC, exact_oc
from nakip.stats.oc.grid import GridResult, ScenarioOC, run_on_dask, simulate_grid
from nakip.stats.oc.scenarios import Scenario, load_scenarios
from nakip.stats.oc.simulate import DEFAULT_CHUNK, simulate_chunk

__all__ = [
    "BoundaryRule",
    "GridResult",
    "Scenario",
    "ScenarioOC",
    "SimonTwoStage",
    "SingleStage",
    "design_from_spec",
    "exact_oc",
    "load_scenarios",
    "run_on_dask",
    "simulate_chunk",
    "simulate_grid",
    "DEFAULT_CHUNK",
    "Design",
    "ExactOC",
]
