"""Benchmark: NAKIP's BOIN against the R package BOIN, both measured in this run.

Run: .venv/bin/python bench/bench_boin.py [--trials 10000] [--process-runs 3]
1. In process: BoinDesign(...).simulate (CPU seconds) against BOIN::get.oc timed by R's own
   system.time, same scenario and number of simulated trials; selection percentages side by side.
2. Whole process: `nakip design boin` (boundaries; boundaries + OC) against the same R calls
   through Rscript, run in turn. Ratios are NAKIP / R: below 1 means NAKIP is faster.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time

from process_timing import NAKIP, PEER_MISSING, compare, r_has

from nakip.stats.phase1 import BoinDesign

SCENARIOS = [  # (target, true DLT rates, cohort size, number of cohorts)
    (0.30, (0.05, 0.15, 0.30, 0.45, 0.60), 3, 10),
    (0.25, (0.10, 0.25, 0.40, 0.55), 3, 12),
    (0.30, (0.45, 0.55, 0.65), 3, 10),
]


def r_get_oc(target: float, rates: tuple[float, ...], cs: int, nc: int, trials: int) -> tuple:
    """(cpu s, selection %) of BOIN::get.oc, timed by R's system.time."""
    p = ", ".join(f"{v:g}" for v in rates)
    code = (
        "suppressMessages(library(BOIN)); "
        f"t <- system.time(o <- get.oc(target = {target}, p.true = c({p}), ncohort = {nc}, "
        f"cohortsize = {cs}, ntrial = {trials}, seed = 6)); "
        "cat(t[['user.self']] + t[['sys.self']], o$selpercent)"
    )
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True)
    values = [float(v) for v in out.stdout.split()]
    return values[0], values[1:]


def main() -> None:
    """Print the in-process and the whole-process tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=10_000, help="simulated trials")
    parser.add_argument("--process-runs", type=int, default=3, help="process runs per command")
    args = parser.parse_args()
    have_r = r_has("BOIN")

    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"1. BOIN operating characteristics in process, {args.trials} trials")
    print(f"{'target':>6} {'true DLT rates':<28} {'NAKIP cpu s':>11} {'R cpu s':>8} "
          f"{'NAKIP/R':>8}  selection % NAKIP | R")  # fmt: skip
    for target, rates, cs, nc in SCENARIOS:
        design = BoinDesign(target, len(rates), cs, nc)
        start = time.process_time()
        oc = design.simulate(rates, args.trials, seed=1)
        cpu = time.process_time() - start
        ours = " ".join(f"{100 * v:.1f}" for v in oc.prob_select)
        line = f"{target:6.2f} {','.join(f'{v:g}' for v in rates):<28} {cpu:11.2f}"
        if have_r:
            r_cpu, r_sel = r_get_oc(target, rates, cs, nc, args.trials)
            theirs = " ".join(f"{v:.1f}" for v in r_sel)
            line += f" {r_cpu:8.2f} {cpu / r_cpu:8.2f}  {ours} | {theirs}"
        else:
            line += f" {'-':>8} {'-':>8}  {ours}"
        print(line)
    if not have_r:
        print(PEER_MISSING)
        return

    target, rates, cs, nc = SCENARIOS[0]
    p = ",".join(f"{v:g}" for v in rates)
    commands = {
        "boundaries": (
            ["design", "boin", "--target", str(target), "--doses", str(len(rates))],
            f"library(BOIN); get.boundary(target = {target}, ncohort = {nc}, cohortsize = {cs})",
        ),
        f"OC, {args.trials} trials": (
            ["design", "boin", "--target", str(target), "--doses", str(len(rates)),
             "--scenario", p, "--trials", str(args.trials)],
            f"library(BOIN); get.oc(target = {target}, p.true = c({p}), ncohort = {nc}, "
            f"cohortsize = {cs}, ntrial = {args.trials})",
        ),
    }  # fmt: skip
    print(f"\n2. Whole process, run in turn with Rscript -e 'library(BOIN); ...' (target {target})")
    print(f"{'command':<20} {'NAKIP cpu s':>11} {'wall s':>7} {'R cpu s':>8} {'wall s':>7} "
          f"{'NAKIP/R cpu':>11}")  # fmt: skip
    for label, (argv, r_code) in commands.items():
        a, b, ratio = compare([NAKIP, *argv], ["Rscript", "-e", r_code], args.process_runs)
        print(f"{label:<20} {a.cpu:11.3f} {a.wall:7.3f} {b.cpu:8.3f} {b.wall:7.3f} {ratio:11.2f}")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
