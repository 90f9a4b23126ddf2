"""Throughput of the binary-endpoint Monte Carlo simulator (nakip.stats.oc), against peers.

Prints simulated patients per second per core for:
  1. the NAKIP simulator (one binomial count per trial and stage) vs a naive per-patient
     Bernoulli simulation of the same rule, ``rng.random((trials, n)) < p`` summed, measured
     in the same run (ratio printed);
  2. the Dask backend (LocalCluster, one process per core) vs the local backend on a grid.

A "simulated patient" is a patient represented in a simulated trial (n1 for a trial stopped
at stage 1, n otherwise), the same definition for NAKIP and for the peer.
Run: .venv/bin/python bench/bench_montecarlo.py [--trials 2000000] [--grid-trials 2000000]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from nakip.stats.oc import (
    Scenario,
    SimonTwoStage,
    design_from_spec,
    simulate_chunk,
    simulate_grid,
)


def _best_of(fn, repeats: int = 3) -> tuple[float, object]:  # noqa: ANN001
    best = float("inf")
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def naive_simon(design: SimonTwoStage, p: float, trials: int, seed: int) -> dict[str, int]:
    """Peer: one uniform per patient, all n patients drawn, decisions from the cumulative sums."""
    rng = np.random.default_rng(seed)
    out = {"early_stops": 0, "successes": 0, "sum_n": 0}
    chunk = 100_000
    for start in range(0, trials, chunk):
        m = min(chunk, trials - start)
        pts = rng.random((m, design.n)) < p
        x1 = pts[:, : design.n1].sum(axis=1)
        x = pts.sum(axis=1)
        stop = x1 <= design.r1
        out["early_stops"] += int(stop.sum())
        out["successes"] += int(((~stop) & (x > design.r)).sum())
        out["sum_n"] += int(stop.sum()) * design.n1 + int((~stop).sum()) * design.n
    return out


def naive_monitor(stop_counts: np.ndarray, p: float, trials: int, seed: int) -> int:
    """Peer for a continuous monitor: per-patient Bernoulli matrix, first crossing per trial."""
    rng = np.random.default_rng(seed)
    nmax = stop_counts.size
    total = 0
    chunk = 100_000
    for start in range(0, trials, chunk):
        m = min(chunk, trials - start)
        cum = (rng.random((m, nmax)) < p).cumsum(axis=1)
        crossed = cum >= stop_counts[None, :]
        first = np.where(crossed.any(axis=1), crossed.argmax(axis=1) + 1, nmax)
        total += int(first.sum())
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2_000_000)
    parser.add_argument("--grid-trials", type=int, default=2_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    print(f"cores available: {os.cpu_count()}; numpy {np.__version__}")
    simon = SimonTwoStage(3, 9, 13, 27)
    p = 0.35
    t_fast, res = _best_of(lambda: simulate_chunk(simon, p, args.trials, seed=1))
    fast_rate = res["sum_n"] / t_fast  # type: ignore[index]
    t_peer, peer = _best_of(lambda: naive_simon(simon, p, args.trials, seed=1))
    peer_rate = peer["sum_n"] / t_peer  # type: ignore[index]
    print("\n1. Simon 3/9, 13/27 at p = 0.35, one core")
    print(f"   NAKIP (binomial stage counts): {fast_rate / 1e6:8.1f} M patients/s")
    print(f"   naive per-patient Bernoulli  : {peer_rate / 1e6:8.1f} M patients/s")
    print(f"   ratio NAKIP / naive          : {fast_rate / peer_rate:8.1f} x")

    mon = design_from_spec(
        {"type": "bayes_toxicity", "prior_a": 0.3, "prior_b": 0.7, "limit": 0.3,
         "cutoff": 0.9, "nmax": 24, "min_patients": 3}
    )  # fmt: skip
    counts = np.asarray(mon.upper)  # type: ignore[union-attr]
    t_m, res_m = _best_of(lambda: simulate_chunk(mon, 0.2, args.trials // 4, seed=2))
    m_rate = res_m["sum_n"] / t_m  # type: ignore[index]
    t_mp, peer_m = _best_of(lambda: naive_monitor(counts, 0.2, args.trials // 4, seed=2))
    mp_rate = peer_m / t_mp
    print("\n   continuous Bayesian toxicity monitor (24 looks) at p = 0.2, one core")
    print(f"   NAKIP (32-bit words, column-wise)     : {m_rate / 1e6:8.1f} M patients/s")
    print(f"   naive per-patient Bernoulli           : {mp_rate / 1e6:8.1f} M patients/s")
    print(f"   ratio NAKIP / naive                   : {m_rate / mp_rate:8.1f} x")

    grid = [
        Scenario(SimonTwoStage(r1, n1, r, n), rate, f"{r1}/{n1},{r}/{n}@{rate}")
        for (r1, n1, r, n) in ((3, 9, 13, 27), (1, 10, 5, 29), (4, 12, 15, 35))
        for rate in (0.2, 0.35, 0.5, 0.6)
    ]
    print(f"\n2. grid of {len(grid)} Simon scenarios x {args.grid_trials:,} trials (best of 2)")
    chunk = 1_000_000
    local = min(
        (simulate_grid(grid, args.grid_trials, seed=7, chunk_size=chunk) for _ in range(2)),
        key=lambda r: r.seconds,
    )
    print(
        f"   local (1 core):   {local.seconds:6.2f} s, "
        f"{local.patients_simulated / local.seconds / 1e6:8.1f} M patients/s"
    )
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        simulate_grid(grid[:1], 10_000, seed=0, backend="dask", scheduler=client)  # warm-up
        dask = min(
            (
                simulate_grid(
                    grid,
                    args.grid_trials,
                    seed=7,
                    chunk_size=chunk,
                    backend="dask",
                    scheduler=client,
                )
                for _ in range(2)
            ),
            key=lambda r: r.seconds,
        )
    rate = dask.patients_simulated / dask.seconds
    print(
        f"   dask ({args.workers} workers): {dask.seconds:6.2f} s, {rate / 1e6:8.1f} M patients/s "
        f"({rate / args.workers / 1e6:.1f} M per core)"
    )
    print(f"   speed-up dask / local: {local.seconds / dask.seconds:.2f} x")
    # peer for the parallel capacity of this machine: the same tasks in a process pool
    from concurrent.futures import ProcessPoolExecutor

    from nakip.stats.oc.grid import _run_task, _tasks

    tasks = _tasks(grid, args.grid_trials, 7, local.chunk_size)
    with ProcessPoolExecutor(args.workers) as pool:
        list(pool.map(_run_task, tasks[:2]))  # warm-up
        t_pool, _ = _best_of(lambda: list(pool.map(_run_task, tasks)), repeats=2)
    print(
        f"   peer: process pool ({args.workers} processes): {t_pool:6.2f} s, speed-up "
        f"{local.seconds / t_pool:.2f} x (the parallel capacity Dask can hope for here)"
    )
    same = [s.to_dict() for s in local.scenarios] == [s.to_dict() for s in dask.scenarios]
    print(f"   identical results on both backends: {same}")


if __name__ == "__main__":
    main()
