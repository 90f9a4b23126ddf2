"""One model patient three ways — as treated, without talazoparib, with a failed NK product —
drawn for a clinician: leukaemic compartments by NKG2D-ligand status, marrow blasts, drug
exposure, NK cells and blood counts over the treatment period (matplotlib PNG)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nakip.protocol import Protocol  # noqa: E402
from nakip.sim.cohort import CohortRates, simulate_cohort  # noqa: E402
from nakip.sim.model import STATES, Course, NKProducts, Schedule, simulate  # noqa: E402

ARMS = ("as treated", "without talazoparib", "failed NK product")


@dataclass(frozen=True)
class PatientCourses:
    """One model patient's three courses (dense, daily-or-finer), its cohort and the figure."""

    cohort: str
    seed: int
    courses: dict[str, Course]
    figure: Path | None = None

    def summary(self) -> list[dict[str, Any]]:
        """Marrow leukaemic share (%) at each visit of each arm (no assay noise)."""
        return [
            {
                "arm": arm,
                **{code: round(float(c.leukaemic_share(code)[0]) * 100, 4) for code in c.reads},
            }
            for arm, c in self.courses.items()
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "cohort": self.cohort,
            "seed": self.seed,
            "figure": str(self.figure) if self.figure else None,
            "leukaemic_share_pct": self.summary(),
        }


def simulate_patient(
    protocol: Protocol, cohort_code: str, rates: CohortRates, seed: int, horizon: float = 140.0
) -> PatientCourses:
    """Draw one patient (as in the trial, with working products) and simulate the three arms
    with the same parameters; the failed product is one that was never made."""
    cohort = protocol.cohort(cohort_code)
    working = replace(rates, feasibility_failure_rate=0.0, early_dropout_rate=0.0)
    one = simulate_cohort(cohort, 1, working, np.random.default_rng(seed), protocol)
    schedule = Schedule.from_protocol(protocol, horizon=horizon)
    none = NKProducts(
        np.zeros_like(one.products.given), one.products.dose_per_kg, one.products.viability_pct
    )
    runs = {
        ARMS[0]: (one.products, True),
        ARMS[1]: (one.products, False),
        ARMS[2]: (none, True),
    }
    courses = {
        arm: simulate(
            one.params,
            one.baseline,
            products,
            schedule,
            np.random.default_rng(seed),
            talazoparib=tal,
            dense_step=0.25,
        )  # fmt: skip
        for arm, (products, tal) in runs.items()
    }
    return PatientCourses(cohort_code, seed, courses)


def plot_patient(pc: PatientCourses, path: Path) -> PatientCourses:
    """Write the 4 x 3 panel PNG (rows: leukaemia, marrow blasts and MRD, drug and NK cells,
    blood counts; columns: the three arms) and return `pc` with its path."""
    fig, axes = plt.subplots(4, 3, figsize=(14, 12), sharex=True, sharey="row")
    labels = {
        "stem_neg": "stem cells, ligand-negative",
        "stem_pos": "stem cells, ligand-positive",
        "blast_neg": "blasts, ligand-negative",
        "blast_pos": "blasts, ligand-positive",
    }
    for col, (arm, c) in enumerate(pc.courses.items()):
        day = c.times + 1.0
        ax = axes[0, col]
        for j, name in enumerate(("stem_neg", "stem_pos", "blast_neg", "blast_pos")):
            ax.semilogy(day, np.exp(c.dense[j, 0]), label=labels[name],
                        ls="--" if "neg" in name else "-")  # fmt: skip
        ax.set_title(arm)
        leuk = np.exp(c.dense[:4, 0]).sum(axis=0)
        share = leuk / (leuk + c.dense[STATES.index("normal"), 0]) * 100
        ax = axes[1, col]
        ax.semilogy(day, np.maximum(share, 1e-6), color="black", label="leukaemic % of marrow")
        ax.axhline(5.0, color="red", lw=0.8, ls=":", label="5 % (CR threshold)")
        ax = axes[2, col]
        ax.plot(day, c.dense[STATES.index("talazoparib"), 0], label="talazoparib (ng/mL)")
        nk = c.dense[STATES.index("nk"), 0] * (1 - c.dense[STATES.index("exhaustion"), 0])
        ax.plot(day, nk, label="functional NK cells (10^6/kg)")
        ax = axes[3, col]
        ax.plot(day, c.dense[STATES.index("anc"), 0], label="ANC (10^9/L)")
        ax.plot(day, c.dense[STATES.index("platelets"), 0] / 100, label="platelets (10^11/L)")
        ax.plot(
            day,
            c.dense[STATES.index("haemoglobin"), 0] / 10,
            label="haemoglobin, untransfused (10 g/dL)",
        )
        ax.set_xlabel("study day")
    axes[0, 0].set_ylabel("share of marrow capacity")
    axes[1, 0].set_ylabel("marrow leukaemia (%)")
    axes[2, 0].set_ylabel("exposure")
    axes[3, 0].set_ylabel("blood counts")
    for row in axes:
        row[-1].legend(fontsize=7, loc="best")
    fig.suptitle(
        f"One model patient ({pc.cohort} cohort, seed {pc.seed}): NK cells kill NKG2D-ligand-"
        "positive cells; talazoparib turns ligand-negative stem cells positive"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return replace(pc, figure=path)
