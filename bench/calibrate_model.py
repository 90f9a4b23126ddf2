"""Calibrate the NK potency of every scenario and cohort (nakip.sim.scenario.calibrate) and print
the potencies to copy into src/nakip/sim/scenarios.yaml, with the rate reached and the time.

Usage: PYTHONPATH=src python bench/calibrate_model.py [scenario[:cohort] ...]
"""

from __future__ import annotations

import sys
import time

from nakip.protocol import load_protocol
from nakip.sim.scenario import calibrate, load_scenarios


def main(names: list[str]) -> None:
    protocol = load_protocol()
    done: dict[tuple, float] = {}
    for name, sc in load_scenarios().items():
        if names and name not in {x.split(":")[0] for x in names}:
            continue
        for code, c in sc.cohorts.items():
            if names and name not in names and f"{name}:{code}" not in names:
                continue
            key = (
                code,
                c.response_rate,
                c.rates.feasibility_failure_rate,
                c.rates.early_dropout_rate,
            )
            if key not in done:
                t = time.perf_counter()
                potency, reached = calibrate(protocol, code, c.response_rate, c.rates)
                done[key] = potency
                print(
                    f"{name:14s} {code:6s} target {c.response_rate:.2f} potency {potency:.5g} "
                    f"rate {reached:.4f} ({time.perf_counter() - t:.0f} s)",
                    flush=True,
                )
            else:
                print(f"{name:14s} {code:6s} potency {done[key]:.5g} (same as above)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
