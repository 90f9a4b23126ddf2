"""Calibrate the NK potency of every scenario and cohort (nakip.sim.scenario.calibrate) and print
the potencies to copy into src/nakip/sim/scenarios.yaml, with the rate reached and the time.

Usage: PYTHONPATH=src python bench/calibrate_model.py [scenario[:cohort] ...]
       PYTHONPATH=src python bench/calibrate_model.py --check   # rates of the file's potencies
         with 10,000 patients and the calibration test's seed (777), and the time per cohort
"""

from __future__ import annotations

import sys
import time

from nakip.protocol import load_protocol
from nakip.sim.scenario import calibrate, load_scenarios, model_response_rate


def check() -> None:
    """Each scenario's model response rate at its calibrated potency (10,000 patients)."""
    protocol = load_protocol()
    for name, sc in load_scenarios().items():
        for code, c in sc.cohorts.items():
            t = time.perf_counter()
            rate = model_response_rate(protocol, code, c.rates, 10_000, seed=777)
            print(
                f"{name:14s} {code:6s} target {c.response_rate:.2f} potency {c.rates.potency:.4g}"
                f" model rate {rate:.4f} (diff {rate - c.response_rate:+.4f}, MC SE "
                f"{(rate * (1 - rate) / 10_000) ** 0.5:.4f}; {time.perf_counter() - t:.0f} s)",
                flush=True,
            )


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
    if sys.argv[1:] == ["--check"]:
        check()
    else:
        main(sys.argv[1:])
