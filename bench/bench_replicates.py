"""Virtual-trial replicates (nakip.sim.replicates) against the exact operating characteristics.

For each scenario (default: null and target, R = 10,000 trials per cohort) prints the
empirical P(reject H0), P(stop at stage 1), E[N] and the toxicity rule's stopping probability
with Monte Carlo SEs beside the exact values (nakip.stats) and z-scores, writes the figure,
and measures against two peers in the same run:
  1. R clinfun `oc.twostage.bdry` for the exact Simon values (agreement to 1e-6), when
     Rscript is installed ("peer not installed: run ../shared/peers/install" otherwise);
  2. the EDC path (`nakip demo` through the ORM, 3 patients per cohort) for speed: seconds
     per patient on the light path vs through the forms (ratio printed).
Run: PYTHONPATH=src .venv/bin/python bench/bench_replicates.py [--replicates 10000]
     [--scenarios null target] [--backend dask|local] [--out bench-out]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nakip.analysis.design_choice import chosen_design
from nakip.protocol import load_protocol
from nakip.sim.replicates import plot_comparison, run_replicates
from nakip.sim.scenario import get_scenario


def clinfun_oc(r1: int, n1: int, r: int, n: int, p: float) -> dict[str, float] | None:
    """Peer: R clinfun::oc.twostage.bdry(pu = p, pa = p, ...) -> P(reject), PET, EN."""
    if shutil.which("Rscript") is None:
        return None
    code = (
        f"suppressMessages(library(clinfun)); o <- oc.twostage.bdry({p}, {p}, {r1}, {n1}, {r}, "
        f"{n}); cat(o[[1]], o[[3]], o[[4]])"  # P(reject H0 | p0), PET(p0), EN(p0)
    )
    try:
        out = subprocess.run(
            ["Rscript", "-e", code], capture_output=True, text=True, timeout=120, check=True
        ).stdout.split()
    except (subprocess.SubprocessError, OSError):
        return None
    return {"reject": float(out[0]), "pet": float(out[1]), "en": float(out[2])}


def edc_seconds_per_patient() -> float:
    """Peer: the demo through the ORM with 3 patients per cohort (wall seconds per patient)."""
    nakip = str(Path(sys.executable).with_name("nakip"))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run(
            [nakip, "demo", "--patients-per-cohort", "3", "--out", tmp, "--json"],
            check=True,
            capture_output=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("NAKIP_")},
        )
        return (time.perf_counter() - t0) / 6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=10_000)
    ap.add_argument("--scenarios", nargs="+", default=["null", "target"])
    ap.add_argument("--backend", default="dask", choices=["dask", "local"])
    ap.add_argument("--out", type=Path, default=Path("bench-out"))
    args = ap.parse_args()
    proto = load_protocol()
    args.out.mkdir(parents=True, exist_ok=True)
    light_per_patient = []
    for name in args.scenarios:
        sc = get_scenario(name)
        res = run_replicates(proto, sc, args.replicates, seed=2026, backend=args.backend)
        patients = 2 * args.replicates * 27
        light_per_patient.append(res.seconds / patients)
        rate = patients / res.seconds
        print(f"\n== scenario {name}: {args.replicates} trials per cohort, {res.seconds:.0f} s "
              f"({rate:,.0f} model patients/s, backend {args.backend})")  # fmt: skip
        print(f"{'cohort':6s} {'quantity':20s} {'empirical':>9s} {'MC SE':>7s} "
              f"{'exact@target':>12s} {'exact@model':>11s} {'z':>6s}")  # fmt: skip
        for r in res.rows:
            exact = f"{r.exact_at_target:12.4f} {r.exact_at_model_rate:11.4f}"
            print(f"{r.cohort:6s} {r.quantity:20s} {r.empirical:9.4f} {r.mc_se:7.4f} "
                  f"{exact} {r.z:+6.2f}")  # fmt: skip
        print("model response rates: " + ", ".join(
            f"{c} {v:.4f} (target {res.target_rates[c]:.2f})" for c, v in res.model_rates.items()
        ))  # fmt: skip
        worst = max(abs(r.z) for r in res.rows)
        print(f"largest |z| = {worst:.2f} ({'within' if worst <= 4 else 'OUTSIDE'} 4 MC SE)")
        for code in sc.cohorts:
            d = chosen_design(proto, code)
            peer = clinfun_oc(d.r1, d.n1, d.r, d.n, sc.cohorts[code].response_rate)
            if peer is None:
                print("clinfun: peer not installed: run ../shared/peers/install")
                continue
            ours = {r.quantity: r.exact_at_target for r in res.rows if r.cohort == code}
            diff = max(
                abs(ours["P(reject H0)"] - peer["reject"]),
                abs(ours["P(stop at stage 1)"] - peer["pet"]),
                abs(ours["E[N]"] - peer["en"]),
            )
            print(f"{code}: exact values vs R clinfun oc.twostage.bdry: max |diff| {diff:.1e}")
        plot_comparison(res, args.out / f"replicates-{name}.png")
        (args.out / f"replicates-{name}.json").write_text(json.dumps(res.to_dict(), indent=2))
    edc = edc_seconds_per_patient()
    light = sum(light_per_patient) / len(light_per_patient)
    print(f"\nspeed: light path {light * 1e3:.2f} ms per patient vs EDC path (ORM) "
          f"{edc:.2f} s per patient: {edc / light:,.0f} x faster")  # fmt: skip


if __name__ == "__main__":
    main()
