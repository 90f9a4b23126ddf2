"""Operating characteristics over a grid of scenarios: exact beside simulated, locally or on Dask.

Chunks of fixed size are summed as integers in chunk order, so the same seed gives identical
results on `backend="local"` and `backend="dask"`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from nakip.stats.oc.designs import Design
from nakip.stats.oc.exact import exact_oc
from nakip.stats.oc.scenarios import Scenario
from nakip.stats.oc.simulate import DEFAULT_CHUNK, simulate_chunk


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
            results = run_on_dask(tasks, scheduler, tick)
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


def run_on_dask(
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
