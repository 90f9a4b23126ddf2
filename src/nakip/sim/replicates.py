"""Many virtual trials against the exact operating characteristics of the design.

Each replicate is a whole trial on the light path: model patients of each cohort
(`simulate_cohort`: the mechanistic model, the assay readouts and the clinical rules that
decide each patient's endpoint), then the design's decisions — the Simon two-stage rule on the
responders in enrolment order and the Bayesian toxicity rule on the DLTs. The EDC (ORM,
forms, audit trail) is left out on purpose: it adds nothing to the decision, because the EDC
derives the endpoint from exactly these readouts with the same clinical-rule functions (the
driver tests check patient by patient), and at about 0.3 s per patient it would turn 10,000
trials into weeks instead of minutes.

The empirical rejection probability, stage-1 stopping probability and expected sample size
are compared with the exact values of `nakip.stats.simon.operating_characteristics`, and the
toxicity rule's stopping probability and expected n with
`BayesianToxicityMonitor.operating_characteristics`, each with its Monte Carlo standard error.
Because model patients are independent, the number of responders in a trial is exactly
binomial at the model's true rate; the exact values are given at the scenario's target rate
and at the pooled model rate (what calibration reached), so a calibration offset is not
mistaken for a bug. Chunks of trials run in parallel on Dask (`nakip.stats.oc.run_on_dask`: a
LocalCluster, or an existing scheduler), each with its own seeded stream.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nakip.analysis.design_choice import chosen_design
from nakip.protocol import Protocol
from nakip.sim.cohort import simulate_cohort
from nakip.sim.scenario import TrialScenario

CHUNK_TRIALS = 100
_SUMS = (
    "trials", "reject", "stop1", "n_sum", "n_sq", "responders", "patients",
    "tox_stop", "tox_n_sum", "tox_n_sq", "dlts",
)  # fmt: skip


@dataclass(frozen=True)
class ChunkTask:
    """`trials` replicates of one cohort, chunk `chunk` of the stream seeded by `seed`."""

    protocol: Protocol
    scenario: TrialScenario
    cohort: str
    trials: int
    n: int
    seed: int
    chunk: int


def _first_crossing(events: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per trial (rows): whether cumulative events reach b_k at some k, and the n at stop."""
    cum = np.cumsum(events, axis=1)
    crossed = cum >= bounds[None, : events.shape[1]]
    stop = crossed.any(axis=1)
    n_at = np.where(stop, crossed.argmax(axis=1) + 1, events.shape[1])
    return stop, n_at


def run_chunk(task: ChunkTask) -> dict[str, float]:
    """Simulate one chunk of trials of one cohort; integer sums for the comparison."""
    from nakip.stats.bayes_monitor import BayesianToxicityMonitor

    rng = np.random.default_rng(np.random.SeedSequence(task.seed, spawn_key=(task.chunk,)))
    p = task.protocol
    cohort = p.cohort(task.cohort)
    d = chosen_design(p, task.cohort)
    run = simulate_cohort(
        cohort, task.trials * task.n, task.scenario.cohorts[task.cohort].rates, rng, p
    )
    resp = run.responders.reshape(task.trials, task.n)
    dlt = run.dlt.reshape(task.trials, task.n)
    x1 = resp[:, : d.n1].sum(axis=1)
    stop1 = x1 <= d.r1
    reject = ~stop1 & (resp[:, : d.n].sum(axis=1) > d.r)
    n_used = np.where(stop1, d.n1, d.n)
    rule = next(r for r in p.monitoring if r.event == "dlt")
    mon = BayesianToxicityMonitor(
        rule.prior_a, rule.prior_b, rule.limit, rule.cutoff, task.n, rule.min_patients
    )
    tox_stop, tox_n = _first_crossing(dlt, np.asarray(mon.stop_counts))
    return {
        "trials": task.trials,
        "reject": int(reject.sum()),
        "stop1": int(stop1.sum()),
        "n_sum": int(n_used.sum()),
        "n_sq": int((n_used**2).sum()),
        "responders": int(resp.sum()),
        "patients": int(resp.size),
        "tox_stop": int(tox_stop.sum()),
        "tox_n_sum": int(tox_n.sum()),
        "tox_n_sq": int((tox_n**2).sum()),
        "dlts": int(dlt.sum()),
    }


@dataclass(frozen=True)
class ComparisonRow:
    """One operating characteristic: empirical value, its MC SE, the exact values, and the
    MC SE the empirical value has if the exact value at the model's rate is right."""

    cohort: str
    quantity: str
    empirical: float
    mc_se: float
    exact_at_target: float
    exact_at_model_rate: float
    exact_se: float

    @property
    def z(self) -> float:
        """(empirical - exact at the model's rate) / MC SE under the exact value."""
        se = self.exact_se or self.mc_se
        diff = self.empirical - self.exact_at_model_rate
        return diff / se if se else (0.0 if diff == 0 else math.inf)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "z": self.z}


@dataclass(frozen=True)
class ReplicateResult:
    """The comparison table of R replicates of one scenario, with the run's facts."""

    scenario: str
    replicates: int
    seed: int
    model_rates: dict[str, float]
    target_rates: dict[str, float]
    rows: tuple[ComparisonRow, ...]
    seconds: float
    backend: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "replicates": self.replicates,
            "seed": self.seed,
            "model_rates": self.model_rates,
            "target_rates": self.target_rates,
            "rows": [r.to_dict() for r in self.rows],
            "seconds": self.seconds,
            "backend": self.backend,
        }


def _tasks(
    protocol: Protocol, scenario: TrialScenario, replicates: int, n: int | None, seed: int
) -> list[ChunkTask]:
    out = []
    for j, code in enumerate(scenario.cohorts):
        size = n or chosen_design(protocol, code).n
        done, chunk = 0, 0
        while done < replicates:
            k = min(CHUNK_TRIALS, replicates - done)
            out.append(ChunkTask(protocol, scenario, code, k, size, seed + 1_000_003 * j, chunk))
            done += k
            chunk += 1
    return out


def _prop(x: float, r: float) -> tuple[float, float]:
    """Empirical proportion and its Monte Carlo SE."""
    q = x / r
    return q, math.sqrt(q * (1 - q) / r)


def _mean(total: float, squares: float, r: float) -> tuple[float, float]:
    """Empirical mean and its Monte Carlo SE from the sum and the sum of squares."""
    m = total / r
    return m, math.sqrt(max(squares / r - m * m, 0.0) / r)


def compare(
    protocol: Protocol, scenario: TrialScenario, sums: dict[str, dict[str, float]], n: int | None
) -> tuple[list[ComparisonRow], dict[str, float]]:
    """Exact OC at the target and at the pooled model rate beside the empirical values."""
    from nakip.stats.bayes_monitor import BayesianToxicityMonitor
    from nakip.stats.simon import operating_characteristics

    rows: list[ComparisonRow] = []
    model_rates: dict[str, float] = {}
    for code, s in sums.items():
        r = s["trials"]
        d = chosen_design(protocol, code)
        target = scenario.cohorts[code].response_rate
        p_model = s["responders"] / s["patients"]
        model_rates[code] = p_model
        at_t = operating_characteristics(d, target)
        at_m = operating_characteristics(d, p_model)

        en_sd = (d.n - d.n1) * math.sqrt(at_m.pet * (1 - at_m.pet))  # N is n1 or n
        for name, (emp, se), ex_t, ex_m, sd in (
            ("P(reject H0)", _prop(s["reject"], r), at_t.prob_reject, at_m.prob_reject, None),
            ("P(stop at stage 1)", _prop(s["stop1"], r), at_t.pet, at_m.pet, None),
            ("E[N]", _mean(s["n_sum"], s["n_sq"], r), at_t.en, at_m.en, en_sd),
        ):
            ex = float(ex_m)
            exact_se = math.sqrt((sd**2 if sd is not None else ex * (1 - ex)) / r)
            rows.append(ComparisonRow(code, name, emp, se, float(ex_t), ex, exact_se))
        rule = next(x for x in protocol.monitoring if x.event == "dlt")
        size = n or d.n
        mon = BayesianToxicityMonitor(
            rule.prior_a, rule.prior_b, rule.limit, rule.cutoff, size, rule.min_patients
        )
        dlt_rate = scenario.cohorts[code].rates.dlt_rate
        dlt_model = s["dlts"] / s["patients"]
        oc = mon.operating_characteristics([dlt_rate, dlt_model])
        stop = float(oc.prob_stop[1])
        emp, se = _prop(s["tox_stop"], r)
        rows.append(
            ComparisonRow(
                code,
                "P(toxicity stop)",
                emp,
                se,
                float(oc.prob_stop[0]),
                stop,
                math.sqrt(stop * (1 - stop) / r),
            )  # fmt: skip
        )
        emp, se = _mean(s["tox_n_sum"], s["tox_n_sq"], r)
        # N = the n of the stop, else nmax: its exact SD from the stop-by-n distribution
        by_n = np.asarray(oc.prob_stop_by_n[1])
        ns = np.arange(1, size + 1)
        p_n = np.append(by_n[:-1], 1.0 - by_n[:-1].sum())
        sd = math.sqrt(max(float((p_n * ns**2).sum() - (p_n * ns).sum() ** 2), 0.0))
        rows.append(
            ComparisonRow(
                code,
                "E[N] toxicity rule",
                emp,
                se,
                float(oc.expected_n[0]),
                float(oc.expected_n[1]),
                sd / math.sqrt(r),
            )  # fmt: skip
        )
    return rows, model_rates


def run_replicates(
    protocol: Protocol,
    scenario: TrialScenario,
    replicates: int,
    seed: int = 2026,
    n: int | None = None,
    backend: str = "dask",
    scheduler: Any = None,
    tick: Callable[[int, int], None] | None = None,
) -> ReplicateResult:
    """Run `replicates` trials of each cohort (local numpy or Dask) and compare with the
    exact OC; `tick(done, total)` reports progress in chunks."""
    for code in scenario.cohorts:
        if not chosen_design(protocol, code).two_stage:
            raise ValueError(f"cohort {code}: replicates compare a two-stage design's OC")
    tasks = _tasks(protocol, scenario, replicates, n, seed)
    total = len(tasks)
    done = [0]

    def step() -> None:
        done[0] += 1
        if tick is not None:
            tick(done[0], total)

    t0 = time.perf_counter()
    if backend == "local":
        results = []
        for t in tasks:
            results.append(run_chunk(t))
            step()
    else:
        from nakip.stats.oc import run_on_dask

        results = run_on_dask(tasks, scheduler, step, func=run_chunk)
    seconds = time.perf_counter() - t0
    sums: dict[str, dict[str, float]] = {}
    for t, res in zip(tasks, results, strict=True):
        acc = sums.setdefault(t.cohort, dict.fromkeys(_SUMS, 0))
        for k in _SUMS:
            acc[k] += res[k]
    rows, model_rates = compare(protocol, scenario, sums, n)
    return ReplicateResult(
        scenario.name,
        replicates,
        seed,
        model_rates,
        {c: s.response_rate for c, s in scenario.cohorts.items()},
        tuple(rows),
        seconds,
        backend,
    )


def plot_comparison(result: ReplicateResult, path: Any) -> Any:
    """Left: empirical probabilities with 95 % MC intervals beside the exact values. Right: the
    difference empirical - exact (at the model's rate) in MC SEs, with the +-1.96 and +-4 bands
    (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in result.rows if not r.quantity.startswith("E[N]")]
    fig, (ax, az) = plt.subplots(
        1, 2, figsize=(11, 0.8 + 0.45 * len(result.rows)), gridspec_kw={"width_ratios": [3, 2]}
    )
    y = np.arange(len(rows))[::-1]
    ax.errorbar([r.empirical for r in rows], y, xerr=[1.96 * r.mc_se for r in rows], fmt="o",
                label="empirical (95 % MC interval)")  # fmt: skip
    ax.scatter([r.exact_at_target for r in rows], y, marker="x", color="red", zorder=3,
               label="exact at the scenario's rate")  # fmt: skip
    ax.scatter([r.exact_at_model_rate for r in rows], y, marker="|", s=200, color="black",
               zorder=3, label="exact at the model's pooled rate")  # fmt: skip
    ax.set_yticks(y, [f"{r.cohort}: {r.quantity}" for r in rows])
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("probability")
    ax.legend(fontsize=7, loc="lower right")
    yz = np.arange(len(result.rows))[::-1]
    az.axvspan(-1.96, 1.96, color="0.9")
    az.axvline(0, color="black", lw=0.8)
    for edge in (-4, 4):
        az.axvline(edge, color="red", lw=0.8, ls=":")
    az.scatter([r.z for r in result.rows], yz, color="tab:blue", zorder=3)
    az.set_yticks(yz, [f"{r.cohort}: {r.quantity}" for r in result.rows], fontsize=8)
    az.set_xlim(-5, 5)
    az.set_xlabel("(empirical - exact) / MC SE")
    fig.suptitle(f"Scenario '{result.scenario}': {result.replicates} virtual trials per cohort")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
