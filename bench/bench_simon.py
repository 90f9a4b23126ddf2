"""Benchmark: nakip.stats.simon.search against an exhaustive reference search, same run.

Run: .venv/bin/python bench/bench_simon.py [--runs 7] [--peer-nmax 60,100]
The peer is a plain exhaustive search in the style of clinfun's ph2simon (loops over n, n1, r1,
vectorised only over r, scipy binomial, no pruning). Ratios printed are peer_time / nakip_time.
R clinfun itself is not installed here, so its published timings are shown as quoted figures.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import numpy as np
from scipy import stats

from nakip.stats import _binom_tables
from nakip.stats.simon import search

CASES = [(0.35, 0.60, 0.05, 0.80), (0.10, 0.30, 0.05, 0.80)]
NMAX = [100, 150, 200]
# R clinfun::ph2simon timings on this 2-core machine kind, quoted in the task brief (not measured).
CLINFUN_QUOTED_MS = {100: 9.0, 150: 35.0}

Design = tuple[int, int, int, int, float]


def exhaustive_search(
    p0: float, p1: float, alpha: float, power: float, nmax: int
) -> tuple[Design, Design]:
    """(optimal, minimax) by checking every (n, n1, r1, r); ties resolved in clinfun's order.

    Python loops over n, n1 and r1; for each r1 every r is checked at once with numpy.
    """
    best_per_n: list[Design] = []
    for n in range(2, nmax + 1):
        best: Design | None = None
        best_en = float(n)
        for n1 in range(1, n):
            n2 = n - n1
            x1 = np.arange(n1 + 1)[:, None]
            r = np.arange(n)[None, :]
            pmf0 = stats.binom.pmf(x1, n1, p0)
            cont0 = pmf0 * stats.binom.sf(r - x1, n2, p0)
            cont1 = stats.binom.pmf(x1, n1, p1) * stats.binom.sf(r - x1, n2, p1)
            pet0 = np.cumsum(pmf0[:, 0])
            for r1 in range(n1 - 1, -1, -1):
                a = cont0[r1 + 1 :].sum(axis=0)
                pw = cont1[r1 + 1 :].sum(axis=0)
                ok = np.flatnonzero((a[r1:] <= alpha) & (pw[r1:] >= power))
                if ok.size == 0:
                    continue
                en0 = n1 + (1.0 - pet0[r1]) * n2
                if en0 < best_en:  # largest valid r, as clinfun's descending loop finds first
                    best_en, best = en0, (r1, n1, r1 + int(ok[-1]), n, en0)
        if best is not None:
            best_per_n.append(best)
    if not best_per_n:
        raise RuntimeError("no design")
    optimal = min(best_per_n, key=lambda d: d[4])
    return optimal, best_per_n[0]


def median_time(func: Callable[[], object], runs: int) -> tuple[float, float, object]:
    """Median wall-clock and median CPU seconds of `runs` calls, and the last result."""
    wall, cpu = [], []
    result: object = None
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        result = func()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu), result


def nakip_cold(p0: float, p1: float, alpha: float, power: float, nmax: int) -> object:
    """One search with the binomial-table cache emptied first (no warm-cache advantage)."""
    _binom_tables.stacked_tables.cache_clear()
    return search(p0, p1, alpha, power, nmax)


def main() -> None:
    """Time both implementations and print ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="runs per NAKIP timing (median)")
    parser.add_argument("--peer-runs", type=int, default=1, help="runs per peer timing")
    parser.add_argument("--peer-nmax", default="60,100", help="nmax values timed for the peer")
    args = parser.parse_args()
    peer_nmax = [int(v) for v in args.peer_nmax.split(",") if v]
    nakip_cold(*CASES[0], 100)  # import / JIT-free warm-up of numpy and scipy code paths

    print("Simon two-stage search: NAKIP (pruned, vectorised) vs exhaustive reference (peer)")
    print(f"NAKIP: median of {args.runs} cold runs; peer: median of {args.peer_runs} run(s)")
    print("wall = wall-clock ms, cpu = process CPU ms (less sensitive to other load)\n")
    print(
        f"{'p0':>5} {'p1':>5} {'nmax':>5} {'nakip wall':>10} {'cpu':>7} {'peer wall':>10} "
        f"{'cpu':>9} {'peer/nakip':>10}  same designs"
    )
    for p0, p1, alpha, power in CASES:
        for nmax in sorted(set(NMAX) | set(peer_nmax)):
            w_nakip, c_nakip, res = median_time(
                partial(nakip_cold, p0, p1, alpha, power, nmax), args.runs
            )
            line = f"{p0:5.2f} {p1:5.2f} {nmax:5d} {1e3 * w_nakip:10.2f} {1e3 * c_nakip:7.2f}"
            if nmax in peer_nmax:
                w_peer, c_peer, peer = median_time(
                    partial(exhaustive_search, p0, p1, alpha, power, nmax), args.peer_runs
                )
                opt, mm = peer  # type: ignore[misc]
                ours_opt = (res.optimal.r1, res.optimal.n1, res.optimal.r, res.optimal.n)
                ours_mm = (res.minimax.r1, res.minimax.n1, res.minimax.r, res.minimax.n)
                same = opt[:4] == ours_opt and mm[:4] == ours_mm
                line += (
                    f" {1e3 * w_peer:10.1f} {1e3 * c_peer:9.1f} {w_peer / w_nakip:10.0f}"
                    f"  {'yes' if same else 'NO'}"
                )
                if not same:
                    line += f" (peer opt {opt[:4]} mm {mm[:4]})"
            else:
                line += f" {'-':>10} {'-':>9} {'-':>10}  -"
            print(line)
            if nmax in CLINFUN_QUOTED_MS:
                q = CLINFUN_QUOTED_MS[nmax]
                print(
                    f"{'':18}R clinfun ph2simon {q:.0f} ms (quoted, not measured): "
                    f"quoted / nakip wall = {q / (1e3 * w_nakip):.1f}"
                )


if __name__ == "__main__":
    main()
