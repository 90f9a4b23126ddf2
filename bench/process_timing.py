"""Whole-process timing for the benchmarks: CPU and wall time of commands run in turn.

Each run's CPU time (user + system) comes from the kernel's accounting of the finished child
(os.wait4), so other load on the machine inflates wall time far more than CPU time. Commands
are run A, B, A, B, ... after one warm-up each, and the medians and the median of the pairwise
ratios are reported, so a drift in machine speed affects both sides alike.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PEER_MISSING = "peer not installed: run ../shared/peers/install"
NAKIP = str(Path(sys.executable).with_name("nakip"))


@dataclass(frozen=True)
class RunTimes:
    """Median CPU and wall seconds of one command over several runs."""

    cpu: float
    wall: float


def run_once(argv: Sequence[str]) -> tuple[float, float]:
    """(cpu, wall) seconds of one run of argv with its output discarded; fails loudly."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} exited with {proc.returncode}: {err.strip()[:300]}")
    return usage.ru_utime + usage.ru_stime, wall


def compare(a: Sequence[str], b: Sequence[str], runs: int) -> tuple[RunTimes, RunTimes, float]:
    """Median times of a and b run in turn, and the median of the pairwise CPU ratios a/b."""
    run_once(a)
    run_once(b)
    times_a, times_b, ratios = [], [], []
    for _ in range(runs):
        ta = run_once(a)
        tb = run_once(b)
        times_a.append(ta)
        times_b.append(tb)
        ratios.append(ta[0] / tb[0])

    def med(ts: list[tuple[float, float]]) -> RunTimes:
        return RunTimes(statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts))

    return med(times_a), med(times_b), statistics.median(ratios)


def r_has(package: str) -> bool:
    """True when Rscript exists and can load the R package."""
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", f"suppressMessages(library({package}))"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def r_seconds(setup: str, expression: str, repeats: int) -> tuple[float, float]:
    """(cpu, elapsed) seconds per evaluation of an R expression, by R's own system.time."""
    code = (
        f"suppressMessages({setup}); k <- {repeats}; "
        f"t <- system.time(for (i in seq_len(k)) invisible({expression})); "
        "cat((t[['user.self']] + t[['sys.self']]) / k, t[['elapsed']] / k)"
    )
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True)
    cpu, wall = (float(v) for v in out.stdout.split())
    return cpu, wall
