"""Model patients of one cohort: baseline disease, NK products, drop-outs and DLTs drawn, the
mechanistic model run, the readouts taken and the primary endpoint decided by the clinical rules.

This is the one place a virtual patient's biology is decided. The demo's EDC path
(`nakip.sim.patients` -> forms -> `nakip.edc`) writes these very values through the forms; the
light path (calibration, replicates) uses the outcomes directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nakip.protocol import Protocol
from nakip.protocol.model import Cohort
from nakip.sim.model import Baseline, Course, NKProducts, Schedule, draw_parameters, simulate
from nakip.sim.observations import AssayPlan, Outcome, VisitReadout, observe, outcomes

Array = NDArray[np.float64]
#: Baseline ranges of enrolled patients (inside the entry criteria of each cohort).
OVERT_BASELINE = {"anc": (0.2, 1.4), "platelets": (12.0, 80.0), "haemoglobin": (7.5, 10.5)}
MRD_BASELINE = {"anc": (1.2, 4.5), "platelets": (90.0, 280.0), "haemoglobin": (10.0, 14.0)}
MRD_CURRENT = {"qPCR": (0.3, 20.0), "flow": (0.5, 3.0)}  # screening MRD, % ABL1 / % CD45
QPCR_SHARE = 0.6  # share of MRD patients followed by qPCR (the others by flow)
#: NK-product failure modes and their shares (feasibility failures).
FAILURE_MODES = {"not_made": 0.4, "low_dose": 0.35, "low_viability": 0.25}


@dataclass(frozen=True)
class CohortRates:
    """The scenario's knobs for one cohort: NK potency (calibrated to a response rate) and the
    per-patient probabilities of a DLT, an NK-product failure and an early drop-out."""

    potency: float
    dlt_rate: float
    feasibility_failure_rate: float
    early_dropout_rate: float

    def to_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ModelCohort:
    """`n` model patients of a cohort and everything the forms need about them."""

    cohort: str
    params: dict[str, Array]
    baseline: Baseline
    weight_kg: Array
    products: NKProducts
    product_failure: NDArray[np.bool_]
    failure_mode: NDArray[np.str_]
    failed_infusion: NDArray[np.int64]  # which infusion failed (when one did)
    assays: AssayPlan
    mrd_current: Array  # screening MRD (MRD cohort) before the rise to day 1
    mrd_days_before: NDArray[np.int64]  # days from that sample to study day 1
    course: Course
    reads: dict[str, VisitReadout]
    dropout: NDArray[np.bool_]
    dlt: NDArray[np.bool_]
    outcomes: list[Outcome]

    @property
    def n(self) -> int:
        return len(self.weight_kg)

    @property
    def feasibility_failure(self) -> NDArray[np.bool_]:
        """A failed product the patient was still on study for (drop-outs leave after the
        first infusion, before the second)."""
        return self.product_failure & (~self.dropout | (self.failed_infusion == 0))

    @property
    def responders(self) -> NDArray[np.bool_]:
        return np.array([o.responder for o in self.outcomes], dtype=bool)

    def patient(self, i: int) -> dict[str, Any]:
        """Patient `i`'s readouts by visit (plain floats), for the form builder."""
        return {
            code: {k: float(getattr(r, k)[i]) for k in r.__dataclass_fields__}
            for code, r in self.reads.items()
        }


def _products(
    n: int, plan: Any, failure_rate: float, rng: np.random.Generator, infusions: int
) -> tuple[NKProducts, NDArray[np.bool_], NDArray[np.str_], NDArray[np.int64]]:
    dose = rng.uniform(
        plan.target_dose_per_kg * 0.95, plan.target_dose_per_kg * 2.5, (n, infusions)
    )
    viability = np.round(rng.uniform(plan.min_viability_pct + 6, 97, (n, infusions)), 1)
    given = np.ones((n, infusions), dtype=bool)
    failed = rng.random(n) < failure_rate
    modes = np.array(list(FAILURE_MODES))
    mode = rng.choice(modes, n, p=list(FAILURE_MODES.values()))
    which = rng.integers(0, infusions, n)
    low_dose = rng.uniform(plan.min_dose_per_kg * 0.5, plan.min_dose_per_kg * 0.9, n)
    low_viab = np.round(rng.uniform(plan.min_viability_pct - 15, plan.min_viability_pct - 3, n), 1)
    rows = np.flatnonzero(failed)
    cols = which[rows]
    given[rows[mode[rows] == "not_made"], cols[mode[rows] == "not_made"]] = False
    pick = mode[rows] == "low_dose"
    dose[rows[pick], cols[pick]] = low_dose[rows[pick]]
    pick = mode[rows] == "low_viability"
    viability[rows[pick], cols[pick]] = low_viab[rows[pick]]
    dose = np.round(dose, -5)
    return NKProducts(given, dose, viability), failed, np.where(failed, mode, ""), which


def simulate_cohort(
    cohort: Cohort,
    n: int,
    rates: CohortRates,
    rng: np.random.Generator,
    protocol: Protocol,
    schedule: Schedule | None = None,
) -> ModelCohort:
    """Draw and simulate `n` enrolled patients of `cohort` (vectorised)."""
    schedule = schedule or Schedule.from_protocol(protocol)
    overt = cohort.overt_entry is not None
    kind = "overt" if overt else "mrd"
    params = draw_parameters(kind, n, rng, rates.potency)
    ranges = OVERT_BASELINE if overt else MRD_BASELINE
    counts = {k: rng.uniform(lo, hi, n) for k, (lo, hi) in ranges.items()}
    assay = np.where(rng.random(n) < QPCR_SHARE, "qPCR", "flow")
    assays = AssayPlan.draw(assay, rng)
    days_before = rng.integers(8, 35, n)
    current = np.where(
        assay == "qPCR", rng.uniform(*MRD_CURRENT["qPCR"], n), rng.uniform(*MRD_CURRENT["flow"], n)
    )
    current = np.round(current, 2)
    if overt:
        assert cohort.overt_entry is not None
        share = np.round(rng.uniform(7.0, cohort.overt_entry.bm_blasts_below_pct - 1.0, n), 1) / 100
    else:
        grown = current * np.exp(params["stem_net_growth"] * days_before)
        share = grown / (assays.scale * 100.0)
    baseline = Baseline(share, counts["anc"], counts["platelets"], counts["haemoglobin"])
    plan = protocol.treatment.nk_cells
    products, failed, mode, which = _products(
        n, plan, rates.feasibility_failure_rate, rng, len(plan.infusion_days)
    )
    weight = np.round(rng.uniform(48, 105, n), 1)
    dropout = rng.random(n) < rates.early_dropout_rate
    # a DLT needs an infused product before the patient left (drop-outs leave after day 11)
    dlt = (rng.random(n) < rates.dlt_rate) & (~dropout | products.given[:, 0])
    course = simulate(params, baseline, products, schedule, rng)
    reads = observe(course, assays, params["transfusion_threshold_g_dl"], rng)
    result = outcomes(cohort, reads, ~dropout, assays.lod, protocol)
    return ModelCohort(
        cohort.code, params, baseline, weight, products, failed, mode, which, assays, current,
        days_before, course, reads, dropout, dlt, result,
    )  # fmt: skip
