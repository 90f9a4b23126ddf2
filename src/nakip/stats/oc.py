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
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from nakip.stats._exact import NO_LOWER, no_upper, sequential_oc

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
    "simulate_chunk",
    "simulate_grid",
]

DEFAULT_CHUNK = 250_000
_TWO32 = 2**32


# ------------------------------------------------------------------------------------ designs
@dataclass(frozen=True)
class SingleStage:
    """Single-stage rule: treat n patients, success (reject H0) if responses > r.

    Simon's convention, the one of `nakip design single|oc` and the reports: r is the largest
    count that does not reject (nakip.stats.binomial.SINGLE_STAGE_RULE).
    """

    r: int
    n: int

    def __post_init__(self) -> None:
        if self.n < 1 or not -1 <= self.r <= self.n:
            raise ValueError("single-stage design needs n >= 1 and -1 <= r <= n")

    def rule(self) -> BoundaryRule:
        """The equivalent generic boundary rule."""
        return BoundaryRule((self.n,), (self.r,), (no_upper(self.n),))

    def to_dict(self) -> dict[str, Any]:
        """Spec as in the scenario file."""
        return {"type": "single_stage", "r": self.r, "n": self.n}


@dataclass(frozen=True)
class SimonTwoStage:
    """Simon two-stage rule: stop if <= r1 of n1 respond; success if > r of n respond."""

    r1: int
    n1: int
    r: int
    n: int

    def __post_init__(self) -> None:
        if not (1 <= self.n1 < self.n and -1 <= self.r1 < self.n1 and self.r1 <= self.r <= self.n):
            raise ValueError("Simon design needs 1 <= n1 < n, -1 <= r1 < n1 and r1 <= r <= n")

    def rule(self) -> BoundaryRule:
        """The equivalent generic boundary rule."""
        return BoundaryRule(
            (self.n1, self.n), (self.r1, self.r), (no_upper(self.n1), no_upper(self.n))
        )

    def to_dict(self) -> dict[str, Any]:
        """Spec as in the scenario file."""
        return {"type": "simon", "r1": self.r1, "n1": self.n1, "r": self.r, "n": self.n}


@dataclass(frozen=True)
class BoundaryRule:
    """Generic rule: at look k (after looks[k] patients) stop if x <= lower[k] or x >= upper[k].

    lower = -1 / upper = looks[k] + 1 mean no stop on that side. Passing every look = success.
    """

    looks: tuple[int, ...]
    lower: tuple[int, ...]
    upper: tuple[int, ...]

    def __post_init__(self) -> None:
        lk = self.looks
        if not lk or lk[0] < 1 or any(b <= a for a, b in zip(lk, lk[1:], strict=False)):
            raise ValueError("looks must be strictly increasing positive integers")
        if len(self.lower) != len(lk) or len(self.upper) != len(lk):
            raise ValueError("lower and upper need one entry per look")

    def rule(self) -> BoundaryRule:
        """Itself."""
        return self

    def to_dict(self) -> dict[str, Any]:
        """Spec as in the scenario file."""
        return {
            "type": "boundary",
            "looks": list(self.looks),
            "lower": list(self.lower),
            "upper": list(self.upper),
        }


Design = SingleStage | SimonTwoStage | BoundaryRule


def _int(spec: Mapping[str, Any], key: str) -> int:
    if key not in spec:
        raise ValueError(f"design spec lacks '{key}'")
    v = spec[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or int(v) != v:
        raise ValueError(f"design '{key}' must be an integer, got {v!r}")
    return int(v)


def design_from_spec(spec: Mapping[str, Any]) -> Design:
    """Build a design from a scenario-file mapping (see the module docstring for the types)."""
    kind = str(spec.get("type", "")).lower().replace("-", "_")
    if kind in ("single_stage", "single"):
        return SingleStage(_int(spec, "r"), _int(spec, "n"))
    if kind == "simon":
        return SimonTwoStage(_int(spec, "r1"), _int(spec, "n1"), _int(spec, "r"), _int(spec, "n"))
    if kind == "boundary":
        looks = tuple(int(v) for v in spec.get("looks", ()))
        lower = tuple(int(v) for v in spec.get("lower", [NO_LOWER] * len(looks)))
        upper = tuple(int(v) for v in spec.get("upper", [no_upper(n) for n in looks]))
        return BoundaryRule(looks, lower, upper)
    if kind in ("bayes_toxicity", "bayes_monitor", "monitor"):
        from nakip.stats.bayes_monitor import BayesianToxicityMonitor

        mon = BayesianToxicityMonitor(
            float(spec["prior_a"]),
            float(spec["prior_b"]),
            float(spec["limit"]),
            float(spec["cutoff"]),
            _int(spec, "nmax"),
            int(spec.get("min_patients", 1)),
        )
        looks = tuple(range(1, mon.nmax + 1))
        return BoundaryRule(looks, (NO_LOWER,) * mon.nmax, tuple(int(v) for v in mon.stop_counts))
    if kind == "predictive":
        from nakip.stats.bayes_monitor import PredictiveProbabilityMonitor

        pm = PredictiveProbabilityMonitor(
            float(spec["prior_a"]),
            float(spec["prior_b"]),
            float(spec["p0"]),
            float(spec["theta_t"]),
            float(spec["theta_l"]),
            _int(spec, "nmax"),
            int(spec.get("min_patients", 1)),
        )
        return BoundaryRule(
            pm.looks,
            tuple(int(v) for v in pm.futility_counts),
            tuple(no_upper(n) for n in pm.looks),
        )
    raise ValueError(
        f"unknown design type {spec.get('type')!r} "
        "(single_stage, simon, boundary, bayes_toxicity, predictive)"
    )


# ------------------------------------------------------------------------------ exact answers
@dataclass(frozen=True)
class ExactOC:
    """Exact early-stop and success probabilities and expected N of a rule at one rate."""

    prob_early_stop: float
    prob_success: float
    expected_n: float


def exact_oc(design: Design, rate: float) -> ExactOC:
    """Exact OC of a design at a true rate (binomial lattice recursion)."""
    rule = design.rule()
    raw = sequential_oc(rule.looks, rule.lower, rule.upper, [rate])
    stops = [lo + up for lo, up in zip(raw.stop_lower[0], raw.stop_upper[0], strict=True)]
    return ExactOC(
        prob_early_stop=float(sum(stops[:-1])),
        prob_success=float(raw.completed[0]),
        expected_n=float(raw.expected_n[0]),
    )


# ------------------------------------------------------------------------------- the simulator
def _rng(seed: int, scenario: int, chunk: int) -> np.random.Generator:
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=(scenario, chunk)))
    )


def _binomial_counts(rng: np.random.Generator, n: int, p: float, size: int) -> np.ndarray:
    """Binomial(n, p) counts by inverting the CDF at 32-bit raw random words.

    The CDF is tabulated in units of 2^-32, so each probability is off by at most 2^-33 (like
    comparing a 32-bit uniform with p); two to three times faster than Generator.binomial.
    """
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    cdf = stats.binom.cdf(np.arange(n), n, p)
    table = np.minimum(np.round(cdf * _TWO32), _TWO32 - 1).astype(np.uint32)
    words = rng.bit_generator.random_raw((size + 1) // 2).view(np.uint32)[:size]
    return np.searchsorted(table, words, side="right")


def simulate_chunk(
    design: Design, rate: float, n_trials: int, seed: int, scenario: int = 0, chunk: int = 0
) -> dict[str, int]:
    """Simulate `n_trials` trials of one design at one rate; integer sums for aggregation.

    Returns trials, early stops, successes, sum of N and sum of N^2 (N = patients treated).
    """
    rng = _rng(seed, scenario, chunk)
    p = float(rate)
    if isinstance(design, SingleStage):
        x = _binomial_counts(rng, design.n, p, n_trials)
        succ = int(np.count_nonzero(x > design.r))
        return {
            "trials": n_trials,
            "early_stops": 0,
            "successes": succ,
            "sum_n": n_trials * design.n,
            "sum_n2": n_trials * design.n * design.n,
        }
    if isinstance(design, SimonTwoStage):
        x1 = _binomial_counts(rng, design.n1, p, n_trials)
        go_on = x1 > design.r1
        n_cont = int(np.count_nonzero(go_on))
        x2 = _binomial_counts(rng, design.n - design.n1, p, n_cont)
        succ = int(np.count_nonzero(x1[go_on] + x2 > design.r))
        stops = n_trials - n_cont
        return {
            "trials": n_trials,
            "early_stops": stops,
            "successes": succ,
            "sum_n": stops * design.n1 + n_cont * design.n,
            "sum_n2": stops * design.n1**2 + n_cont * design.n**2,
        }
    return _simulate_patientwise(rng, design.rule(), p, n_trials)


def _simulate_patientwise(
    rng: np.random.Generator, rule: BoundaryRule, p: float, n_trials: int
) -> dict[str, int]:
    """Simulate a general look-by-look rule one patient column at a time, all trials at once.

    Each patient's event is one 32-bit raw random word compared with round(p * 2^32), so the
    simulated rate differs from p by at most 2^-33; counts are kept as small unsigned integers
    and trials that have stopped keep drawing (cheaper than compacting the arrays).
    """
    nmax = rule.looks[-1]
    count_type = np.uint8 if nmax < 255 else np.uint16 if nmax < 65535 else np.uint32
    thr = int(round(p * _TWO32))
    x = np.zeros(n_trials, dtype=count_type)
    alive = np.ones(n_trials, dtype=bool)
    stop_at = np.full(n_trials, nmax, dtype=np.int64)
    stops_early = 0
    half = (n_trials + 1) // 2
    look_index = {n: k for k, n in enumerate(rule.looks)}
    last = len(rule.looks) - 1
    for n in range(1, nmax + 1):
        if 0 < thr < _TWO32:
            words = rng.bit_generator.random_raw(half).view(np.uint32)[:n_trials]
            x += words < np.uint32(thr)
        elif thr >= _TWO32:
            x += count_type(1)
        k = look_index.get(n)
        if k is None:
            continue
        hit = alive & ((x <= rule.lower[k]) if rule.lower[k] >= 0 else False)
        if rule.upper[k] <= n:
            hit |= alive & (x >= rule.upper[k])
        n_hit = int(np.count_nonzero(hit))
        if n_hit:
            stop_at[hit] = n
            alive &= ~hit
            if k < last:
                stops_early += n_hit
        if not alive.any():
            break
    return {
        "trials": n_trials,
        "early_stops": stops_early,
        "successes": int(np.count_nonzero(alive)),
        "sum_n": int(stop_at.sum()),
        "sum_n2": int((stop_at * stop_at).sum()),
    }


# ------------------------------------------------------------------------------------ scenarios
@dataclass(frozen=True)
class Scenario:
    """One design at one true response (or event) rate."""

    design: Design
    rate: float
    name: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must lie in [0, 1], got {self.rate}")


def _scenarios_from_data(data: Any) -> list[Scenario]:
    items = data.get("scenarios") if isinstance(data, Mapping) else data
    if not isinstance(items, list) or not items:
        raise ValueError("the scenario file needs a non-empty list of scenarios")
    out: list[Scenario] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping) or not isinstance(item.get("design"), Mapping):
            raise ValueError(f"scenario {i + 1}: needs a 'design' mapping")
        design = design_from_spec(item["design"])
        if "rates" in item:
            rates = item["rates"]
            if not isinstance(rates, list) or not rates:
                raise ValueError(f"scenario {i + 1}: 'rates' must be a non-empty list")
        elif "rate" in item:
            rates = [item["rate"]]
        else:
            raise ValueError(f"scenario {i + 1}: needs 'rate' or 'rates'")
        name = str(item.get("name", f"scenario-{i + 1}"))
        for r in rates:
            if isinstance(r, bool) or not isinstance(r, int | float) or not 0 < float(r) < 1:
                raise ValueError(f"scenario {i + 1}: rate {r!r} must lie in (0, 1)")
            label = name if len(rates) == 1 else f"{name}@{float(r):g}"
            out.append(Scenario(design, float(r), label))
    return out


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Read a YAML or JSON scenario file (format in the module docstring)."""
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text) if str(path).lower().endswith(".json") else yaml.safe_load(text)
    return _scenarios_from_data(data)


# ------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class ScenarioOC:
    """Monte Carlo OC of one scenario, with standard errors and the exact values beside them."""

    name: str
    design: dict[str, Any]
    rate: float
    n_trials: int
    prob_early_stop: float
    prob_success: float
    expected_n: float
    mcse_early_stop: float
    mcse_success: float
    mcse_expected_n: float
    patients_simulated: int
    exact_prob_early_stop: float
    exact_prob_success: float
    exact_expected_n: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class GridResult:
    """All scenarios of one run, with the run's seed, backend and timing."""

    scenarios: tuple[ScenarioOC, ...]
    seed: int
    backend: str
    chunk_size: int
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def patients_simulated(self) -> int:
        """Total simulated patients (see the module docstring for the definition)."""
        return sum(s.patients_simulated for s in self.scenarios)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per scenario: MC estimates, MCSEs and exact values."""
        rows = [{k: v for k, v in s.to_dict().items() if k != "design"} for s in self.scenarios]
        return pd.DataFrame(rows).set_index("name")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return {
            "seed": self.seed,
            "backend": self.backend,
            "chunk_size": self.chunk_size,
            "seconds": self.seconds,
            "patients_simulated": self.patients_simulated,
            "scenarios": [s.to_dict() for s in self.scenarios],
        }


def _finish(s: Scenario, sums: dict[str, int]) -> ScenarioOC:
    t = sums["trials"]
    pe = sums["early_stops"] / t
    ps = sums["successes"] / t
    en = sums["sum_n"] / t
    var_n = max(sums["sum_n2"] / t - en * en, 0.0)
    ex = exact_oc(s.design, s.rate)
    return ScenarioOC(
        name=s.name,
        design=s.design.to_dict(),
        rate=s.rate,
        n_trials=t,
        prob_early_stop=pe,
        prob_success=ps,
        expected_n=en,
        mcse_early_stop=math.sqrt(pe * (1 - pe) / t),
        mcse_success=math.sqrt(ps * (1 - ps) / t),
        mcse_expected_n=math.sqrt(var_n / t),
        patients_simulated=sums["sum_n"],
        exact_prob_early_stop=ex.prob_early_stop,
        exact_prob_success=ex.prob_success,
        exact_expected_n=ex.expected_n,
    )


def _run_task(task: tuple[Design, float, int, int, int, int]) -> dict[str, int]:
    design, rate, n, seed, s, c = task
    return simulate_chunk(design, rate, n, seed, s, c)


def _tasks(
    scenarios: Sequence[Scenario], n_trials: int, seed: int, chunk_size: int
) -> list[tuple[Design, float, int, int, int, int]]:
    tasks = []
    for s_idx, sc in enumerate(scenarios):
        n_chunks = math.ceil(n_trials / chunk_size)
        for c in range(n_chunks):
            size = min(chunk_size, n_trials - c * chunk_size)
            tasks.append((sc.design, sc.rate, size, seed, s_idx, c))
    return tasks


def _progress(total: int, enabled: bool) -> tuple[Any, Callable[[], None]]:
    if not enabled:
        return None, lambda: None
    from rich.progress import Progress

    prog = Progress(transient=True)
    prog.start()
    tid = prog.add_task("simulating", total=total)
    return prog, lambda: prog.advance(tid)


def simulate_grid(
    scenarios: Iterable[Scenario],
    n_trials: int,
    seed: int = 0,
    backend: Literal["local", "dask"] = "local",
    scheduler: Any = None,
    chunk_size: int = DEFAULT_CHUNK,
    progress: bool = False,
) -> GridResult:
    """Monte Carlo OC of every scenario (n_trials each), with MCSEs and exact values.

    `scheduler` (dask only): a ``tcp://host:port`` address, a `distributed.Client`, or None for
    a new LocalCluster. Results depend only on (seed, chunk_size), not on the backend.
    """
    scs = list(scenarios)
    if not scs:
        raise ValueError("no scenarios given")
    if n_trials < 1 or chunk_size < 1:
        raise ValueError("n_trials and chunk_size must be positive")
    if backend not in ("local", "dask"):
        raise ValueError("backend must be 'local' or 'dask'")
    tasks = _tasks(scs, n_trials, int(seed), chunk_size)
    t0 = time.perf_counter()
    prog, tick = _progress(len(tasks), progress)
    try:
        if backend == "local":
            results = []
            for task in tasks:
                results.append(_run_task(task))
                tick()
        else:
            results = _run_dask(tasks, scheduler, tick)
    finally:
        if prog is not None:
            prog.stop()
    seconds = time.perf_counter() - t0
    per_scenario: list[dict[str, int]] = [
        {"trials": 0, "early_stops": 0, "successes": 0, "sum_n": 0, "sum_n2": 0} for _ in scs
    ]
    for task, res in zip(tasks, results, strict=True):
        acc = per_scenario[task[4]]
        for key, val in res.items():
            acc[key] += int(val)
    return GridResult(
        scenarios=tuple(_finish(s, acc) for s, acc in zip(scs, per_scenario, strict=True)),
        seed=int(seed),
        backend=backend,
        chunk_size=chunk_size,
        seconds=seconds,
    )


def _run_dask(
    tasks: Sequence[Any],
    scheduler: Any,
    tick: Callable[[], None],
    func: Callable[[Any], Any] = _run_task,
) -> list[Any]:
    """Map `func` over `tasks` on Dask (an existing Client, a scheduler address, or a new
    LocalCluster closed afterwards), calling `tick` as each task finishes; results in task order.
    `nakip.sim.replicates` maps its virtual trials through the same helper."""
    from distributed import Client, LocalCluster, as_completed

    own_client = None
    own_cluster = None
    if isinstance(scheduler, Client):
        client = scheduler
    elif scheduler is None:
        own_cluster = LocalCluster()
        own_client = client = Client(own_cluster)
    else:
        own_client = client = Client(str(scheduler))
    try:
        futures = client.map(func, tasks, pure=False)
        for _ in as_completed(futures):
            tick()
        return client.gather(futures)
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
