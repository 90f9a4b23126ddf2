"""Speed of nakip.stats.survival against its peers, measured in the same run.

1. Kaplan–Meier per group (log-log limits, median and its limits) + log-rank on 10^6 rows in
   two groups: NAKIP `compare_survival` vs lifelines (KaplanMeierFitter per group +
   statistics.logrank_test) and vs R `survfit(conf.type = "log-log")` + `survdiff`.
2. Cumulative incidence of both causes per group + Gray's test for both causes on 10^5 rows:
   NAKIP AalenJohansen + gray_test vs R `cmprsk::cuminc` (which computes exactly that).

Times are whole days (as in ADTTE), so ties are common; KM + log-rank is also timed on
continuous (all distinct) times against lifelines. R is timed inside R with system.time
(data reading excluded), best of the same number of runs as NAKIP. Targets (issue 9): >= 3x
faster than lifelines; no slower than R.
Run: PYTHONPATH=src .venv/bin/python bench/bench_survival.py [--rows 1000000] [--cif-rows 100000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from nakip.stats.survival import AalenJohansen, compare_survival, gray_test

PEER_MISSING = "peer not installed: run ../shared/peers/install"


def best_of(func: Callable[[], object], runs: int) -> float:
    """Smallest wall-clock time of `runs` calls (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def survival_data(rows: int, seed: int, whole_days: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = np.where(rng.random(rows) < 0.5, "A", "B")
    scale = np.where(group == "A", 365.0, 450.0)
    event_time = rng.exponential(scale)
    censor_time = rng.uniform(30, 1500, rows)
    if whole_days:
        event_time, censor_time = np.ceil(event_time), np.ceil(censor_time)
    return pd.DataFrame(
        {
            "time": np.minimum(event_time, censor_time),
            "status": (event_time <= censor_time).astype(np.int64),
            "group": group,
        }
    )


def competing_data(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = np.where(rng.random(rows) < 0.5, "A", "B")
    relapse = rng.exponential(np.where(group == "A", 500.0, 600.0))
    death = rng.exponential(1200.0, rows)
    censor = rng.uniform(30, 1500, rows)
    first = np.minimum(np.minimum(relapse, death), censor)
    status = np.where(first == censor, 0, np.where(first == relapse, 1, 2))
    return pd.DataFrame({"time": np.ceil(first), "status": status, "group": group})


def nakip_km_logrank(df: pd.DataFrame) -> None:
    compare_survival(df["time"].to_numpy(), df["status"].to_numpy(), df["group"].to_numpy())


def lifelines_km_logrank(df: pd.DataFrame) -> None:
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test

    parts = {g: part for g, part in df.groupby("group")}
    for part in parts.values():
        fit = KaplanMeierFitter().fit(part["time"], part["status"])
        _ = fit.median_survival_time_, fit.confidence_interval_
    a, b = parts["A"], parts["B"]
    logrank_test(a["time"], b["time"], a["status"], b["status"])


def nakip_cif_gray(df: pd.DataFrame) -> None:
    t, s, g = df["time"].to_numpy(), df["status"].to_numpy(), df["group"].to_numpy()
    for label in ("A", "B"):
        rows = g == label
        for cause in (1, 2):
            AalenJohansen().fit(t[rows], s[rows], cause=cause)
    for cause in (1, 2):
        gray_test(t, s, g, cause=cause)


R_KM = """
suppressMessages(library(survival))
d <- read.csv("{path}")
best <- Inf
for (i in seq_len({runs})) {{
  el <- system.time({{
    fit <- survfit(Surv(time, status) ~ group, data = d, conf.type = "log-log")
    q <- quantile(fit, 0.5)
    sd <- survdiff(Surv(time, status) ~ group, data = d)
  }})[["elapsed"]]
  best <- min(best, el)
}}
cat(best, sd$chisq, "\\n")
"""

R_CIF = """
suppressMessages(library(cmprsk))
d <- read.csv("{path}")
best <- Inf
for (i in seq_len({runs})) {{
  el <- system.time(ci <- cuminc(d$time, d$status, d$group))[["elapsed"]]
  best <- min(best, el)
}}
cat(best, ci$Tests[1, "stat"], "\\n")
"""


def r_time(script: str, df: pd.DataFrame, runs: int) -> tuple[float, float] | None:
    """Best elapsed seconds measured inside R, and the statistic R computed (None: no R)."""
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        df.to_csv(path, index=False)
        code = script.format(path=path, runs=runs)
        out = subprocess.run(
            ["Rscript", "-e", code], capture_output=True, text=True, check=False, timeout=900
        )
    if out.returncode != 0:
        print(f"R failed: {out.stderr.strip().splitlines()[-1:]}")
        return None
    elapsed, stat = out.stdout.split()[:2]
    return float(elapsed), float(stat)


def report(name: str, ours: float, peers: dict[str, float | None]) -> None:
    print(f"{name}: NAKIP {ours * 1000:.0f} ms")
    for peer, seconds in peers.items():
        if seconds is None:
            print(f"  vs {peer}: {PEER_MISSING}")
        else:
            print(f"  vs {peer}: {seconds * 1000:.0f} ms -> NAKIP is {seconds / ours:.1f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cif-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    km_data = survival_data(args.rows, seed=1)
    ours = best_of(lambda: nakip_km_logrank(km_data), args.runs)
    lifelines = best_of(lambda: lifelines_km_logrank(km_data), args.runs)
    r = r_time(R_KM, km_data, args.runs)
    _, test = compare_survival(km_data["time"], km_data["status"], km_data["group"])
    assert test is not None
    if r is not None:
        print(f"log-rank chi-square: NAKIP {test.chisq:.6f}, R {r[1]:.6f}")
    report(
        f"KM + log-rank, {args.rows:,} rows, 2 groups",
        ours,
        {"lifelines": lifelines, "R survival": None if r is None else r[0]},
    )

    continuous = survival_data(args.rows, seed=3, whole_days=False)
    report(
        f"KM + log-rank, {args.rows:,} rows, 2 groups, continuous times",
        best_of(lambda: nakip_km_logrank(continuous), args.runs),
        {"lifelines": best_of(lambda: lifelines_km_logrank(continuous), args.runs)},
    )

    cif_data = competing_data(args.cif_rows, seed=2)
    ours = best_of(lambda: nakip_cif_gray(cif_data), args.runs)
    r = r_time(R_CIF, cif_data, args.runs)
    gray = gray_test(cif_data["time"], cif_data["status"], cif_data["group"], cause=1)
    if r is not None:
        print(f"Gray statistic (cause 1): NAKIP {gray.stat:.6f}, R {r[1]:.6f}")
    report(
        f"CIF (2 causes x 2 groups) + Gray's test (2 causes), {args.cif_rows:,} rows",
        ours,
        {"R cmprsk": None if r is None else r[0]},
    )


if __name__ == "__main__":
    main()
