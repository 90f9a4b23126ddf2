"""Benchmark: NAKIP's Simon search against R clinfun's ph2simon, both measured in this run.

Run: .venv/bin/python bench/bench_simon.py [--runs 7] [--process-runs 7]
1. In process: nakip.stats.simon.search (median of cold runs, CPU and wall) against
   clinfun::ph2simon timed by R's own system.time over repeated calls; same designs checked.
2. Whole command as a process: `nakip design simon|single|oc|infer|monitor` against
   `Rscript -e 'library(clinfun); ph2simon(0.35, 0.6, 0.05, 0.2, nmax = 100)'`, run in turn.
Ratios are NAKIP / R: below 1 means NAKIP is faster. Without R and clinfun it says so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time

from process_timing import NAKIP, PEER_MISSING, compare, r_has, r_seconds

from nakip.stats.simon import search

# (p0, p1, alpha, power, nmax): the NAKIP-AML rates over nmax, Simon's Table 1 row, the case of
# the nmax warning (issue 13) and the admissible-on-a-line case.
CASES = [
    (0.35, 0.60, 0.05, 0.80, 60),
    (0.35, 0.60, 0.05, 0.80, 100),
    (0.35, 0.60, 0.05, 0.80, 200),
    (0.35, 0.60, 0.05, 0.80, 300),
    (0.10, 0.30, 0.05, 0.80, 100),
    (0.50, 0.65, 0.10, 0.90, 100),
    (0.30, 0.40, 0.05, 0.80, 150),
]
R_PROCESS = ["Rscript", "-e", "library(clinfun); ph2simon(0.35, 0.6, 0.05, 0.2, nmax = 100)"]
NAKIP_PROCESSES = {
    "design simon": ["design", "simon", "--p0", "0.35", "--p1", "0.6", "--nmax", "100"],
    "design single": ["design", "single", "--p0", "0.35", "--p1", "0.6"],
    "design oc": ["design", "oc", "--r1", "3", "--n1", "9", "--r", "13", "--n", "27", "--p",
                  "0.35,0.6"],
    "design infer": ["design", "infer", "--r1", "3", "--n1", "9", "--r", "13", "--n", "27",
                     "--x1", "5", "--x2", "10", "--p0", "0.35"],
    "design monitor": ["design", "monitor", "--prior-a", "0.3", "--prior-b", "0.7", "--limit",
                       "0.3", "--cutoff", "0.9", "--nmax", "27"],
}  # fmt: skip


def nakip_search(case: tuple[float, float, float, float, int], runs: int) -> tuple[float, float]:
    """Median (cpu, wall) seconds of a search (each builds its own binomial tables)."""
    cpu, wall = [], []
    for _ in range(runs):
        c, w = time.process_time(), time.perf_counter()
        search(*case)
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall)


def clinfun_designs(case: tuple[float, float, float, float, int]) -> tuple[str, str]:
    """clinfun's (minimax, optimal) as 'r1/n1 r/n' strings, read from twostage.admissible."""
    p0, p1, alpha, power, nmax = case
    code = (
        "suppressMessages(library(clinfun)); "
        f"x <- twostage.admissible(ph2simon({p0}, {p1}, {alpha}, {1 - power}, nmax = {nmax})); "
        "k <- nrow(x); cat(sprintf('%d/%d %d/%d', x[c(1, k), 1], x[c(1, k), 2], "
        "x[c(1, k), 3], x[c(1, k), 4]), sep = ';')"
    )
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True)
    minimax, optimal = out.stdout.split(";")
    return minimax, optimal


def main() -> None:
    """Print the in-process and the whole-process tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="NAKIP in-process runs (median)")
    parser.add_argument("--process-runs", type=int, default=7, help="process runs per command")
    args = parser.parse_args()
    have_r = r_has("clinfun")
    search(*CASES[0])  # warm-up: imports

    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print("1. Simon search in process: NAKIP search() vs clinfun ph2simon (R system.time)")
    print(f"{'p0':>5} {'p1':>5} {'alpha':>5} {'pow':>4} {'nmax':>4} {'NAKIP cpu ms':>12} "
          f"{'R cpu ms':>9} {'NAKIP/R':>8}  same designs")  # fmt: skip
    for case in CASES:
        cpu, _ = nakip_search(case, args.runs)
        line = (
            f"{case[0]:5.2f} {case[1]:5.2f} {case[2]:5.2f} {case[3]:4.2f} {case[4]:4d} "
            f"{1e3 * cpu:12.2f}"
        )
        if have_r:
            p0, p1, alpha, power, nmax = case
            expr = f"ph2simon({p0}, {p1}, {alpha}, {1 - power}, nmax = {nmax})"
            r_cpu, _ = r_seconds("library(clinfun)", expr, 3 if nmax >= 200 else 10)
            res = search(*case)
            ours = tuple(f"{d.r1}/{d.n1} {d.r}/{d.n}" for d in (res.minimax, res.optimal))
            same = ours == clinfun_designs(case)
            line += f" {1e3 * r_cpu:9.2f} {cpu / r_cpu:8.3f}  {'yes' if same else 'NO'}"
        print(line)
    if not have_r:
        print(PEER_MISSING)

    print("\n2. Whole process, run in turn with " + " ".join(R_PROCESS[:2]) + " '...'")
    if not have_r:
        print(PEER_MISSING)
        return
    print(f"{'command':<16} {'NAKIP cpu s':>11} {'wall s':>7} {'R cpu s':>8} {'wall s':>7} "
          f"{'NAKIP/R cpu':>11}")  # fmt: skip
    for label, argv in NAKIP_PROCESSES.items():
        a, b, ratio = compare([NAKIP, *argv], R_PROCESS, args.process_runs)
        print(f"{label:<16} {a.cpu:11.3f} {a.wall:7.3f} {b.cpu:8.3f} {b.wall:7.3f} {ratio:11.2f}")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
