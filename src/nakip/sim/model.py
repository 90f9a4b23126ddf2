"""The mechanistic model of NAKIP-AML's therapy: NK cells kill NKG2D-ligand-positive leukaemia,
talazoparib makes ligand-negative leukaemic stem cells re-express the ligands.

Per patient, eleven states (time t in days, t = study day - 1):
- leukaemic stem and blast cells, each split into NKG2D-ligand-negative and -positive
  (log of their share of marrow capacity). Ligand-negative cells escape NK cells
  (Paczulla et al., Nature 2019); cells switch state at an off-rate and an on-rate that
  talazoparib raises (Emax in its concentration) — the trial's hypothesis;
- talazoparib plasma concentration (ng/mL): one compartment, daily oral dosing taken as a
  continuous input (the ~90 h half-life dwarfs the 24 h interval), with the protocol's dose
  levels and the interruptions and reductions decided at each cycle start;
- infused allogeneic NK cells (10^6 viable cells/kg from the NK-product form: dose x
  viability), expanding while IL-2 is given after lymphodepletion, dying, and exhausting
  under chronic target load; their killing saturates in functional NK cells;
- normal marrow (share of capacity), suppressed by crowding, by leukaemia beyond crowding
  (calibrated to each patient's baseline counts), by talazoparib and by fludarabine/
  cyclophosphamide; ANC, platelets and haemoglobin follow it with lineage lags.

Parameters are drawn per patient from `model_parameters.yaml` (a source or rationale for each;
assumptions say so). Patients are independent, so the whole cohort is one vectorised system
solved with `scipy.integrate.solve_ivp` piecewise between the schedule's events (dose
changes, infusions, lymphodepletion, IL-2). The default explicit Runge-Kutta (RK45) is fast
across thousands of patients because the system is only mildly stiff (rates of a few per day
over 112 days); `method="LSODA"` (stiff-capable) gives the same trajectories (tested).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray
from scipy.integrate import solve_ivp
from threadpoolctl import threadpool_limits

from nakip.protocol import Protocol

Array = NDArray[np.float64]
PARAMETERS_FILE = Path(__file__).with_name("model_parameters.yaml")
#: State names in order (the first four are logs of marrow-capacity shares).
STATES = (
    "stem_neg",
    "stem_pos",
    "blast_neg",
    "blast_pos",
    "talazoparib",
    "nk",
    "exhaustion",
    "normal",
    "anc",
    "platelets",
    "haemoglobin",
)
NS = len(STATES)
LYMPHODEPLETION_DAYS = (3, 5)  # protocol text: fludarabine/cyclophosphamide on days 3-5
IL2_DAYS = 12  # protocol text: IL-2 every other day x 6 after each infusion
INTERRUPTION_PROBABILITY = 0.15  # per cycle, for 2-7 days (adverse event or logistics)
REDUCTION_PLATELETS_BELOW = 25.0  # reduce one dose level at a cycle start (label: grade 4)
REDUCTION_ANC_BELOW = 0.5
EXHAUSTION_TARGET_HALF = 0.02  # ligand-positive share of capacity at half-maximal exhaustion


# =========================================================================== parameters
@cache
def parameter_spec(path: Path = PARAMETERS_FILE) -> Mapping[str, Any]:
    """The parameter file (distributions with sources), parsed once."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def draw(spec: Mapping[str, Any], n: int, rng: np.random.Generator) -> Array:
    """`n` draws of one documented distribution (lognormal/uniform/normal/fixed)."""
    kind = spec["dist"]
    if kind == "fixed":
        return np.full(n, float(spec["value"]))
    if kind == "lognormal":
        return spec["median"] * np.exp(np.log(spec["gsd"]) * rng.standard_normal(n))
    if kind == "uniform":
        return rng.uniform(spec["low"], spec["high"], n)
    if kind == "normal":
        return np.clip(rng.normal(spec["mean"], spec["sd"], n), spec["low"], spec["high"])
    raise ValueError(f"unknown distribution {kind!r}")


def draw_parameters(
    cohort_kind: str, n: int, rng: np.random.Generator, potency: float = 1.0
) -> dict[str, Array]:
    """Per-patient parameter arrays for `n` patients of a cohort ("overt" or "mrd");
    `potency` scales the NK killing rate (the scenario's calibrated knob)."""
    out: dict[str, Array] = {}
    for name, spec in parameter_spec()["parameters"].items():
        if "dist" not in spec:
            spec = spec[cohort_kind]
        out[name] = draw(spec, n, rng)
    out["nk_kill_max"] = out["nk_kill_max"] * potency
    return out


# =========================================================================== inputs
@dataclass(frozen=True)
class Baseline:
    """Each patient's state at study day 1: leukaemic share of marrow cells and blood counts."""

    leukaemic_share: Array
    anc: Array
    platelets: Array
    haemoglobin: Array


@dataclass(frozen=True)
class NKProducts:
    """The NK-cell products as the NK-product form records them (one column per infusion)."""

    given: NDArray[np.bool_]
    dose_per_kg: Array
    viability_pct: Array

    @property
    def viable_millions_per_kg(self) -> Array:
        return np.where(self.given, self.dose_per_kg * self.viability_pct / 100.0 / 1e6, 0.0)


@dataclass(frozen=True)
class Schedule:
    """Event times from the protocol: segment bounds, dosing cycles, infusions, visits."""

    bounds: tuple[float, ...]
    cycle_starts: tuple[float, ...]
    dose_levels_mg: tuple[float, ...]
    infusions: tuple[float, ...]
    lymphodepletion: tuple[float, float]
    il2: tuple[tuple[float, float], ...]
    treatment_end: float
    visits: Mapping[str, float]

    @classmethod
    def from_protocol(cls, protocol: Protocol, horizon: float | None = None) -> Schedule:
        tal = protocol.treatment.talazoparib
        nk = protocol.treatment.nk_cells
        end = float(tal.cycle_length_days * tal.max_cycles)
        visits = {v.code: float(v.day - 1) for v in protocol.schedule.visits}
        last = max(visits.values())
        horizon = max(horizon or last, last)
        infusions = tuple(float(d - 1) for d in nk.infusion_days)
        ld = (float(LYMPHODEPLETION_DAYS[0] - 1), float(LYMPHODEPLETION_DAYS[1]))
        il2 = tuple((t, t + IL2_DAYS) for t in infusions)
        starts = tuple(float(c * tal.cycle_length_days) for c in range(tal.max_cycles))
        points = {0.0, horizon, end, *ld, *infusions, *(b for w in il2 for b in w)}
        points |= set(visits.values()) | set(starts)
        points |= {s + 7.0 for s in starts} | {s + 14.0 for s in starts}  # interruption week
        points |= {float(t) for t in range(0, int(horizon) + 1, 7)}
        bounds = tuple(sorted(p for p in points if 0.0 <= p <= horizon))
        return cls(bounds, starts, tuple(tal.dose_levels_mg), infusions, ld, il2, end, visits)


@dataclass(frozen=True)
class Dosing:
    """Talazoparib per patient and cycle: dose-level index, interruption days, reduced flag."""

    level: NDArray[np.int64]
    interruption_days: NDArray[np.int64]
    reduced: NDArray[np.bool_]

    def dose_mg(self, levels: tuple[float, ...]) -> Array:
        return np.asarray(levels)[self.level]


@dataclass(frozen=True)
class Course:
    """A cohort's simulated course: states at each visit (`reads[code]` is NS x n), the dosing
    given, and (when asked) a dense trajectory `times` x `dense` (NS x n x len(times))."""

    reads: Mapping[str, Array]
    dosing: Dosing
    times: Array = field(default_factory=lambda: np.zeros(0))
    dense: Array = field(default_factory=lambda: np.zeros((NS, 0, 0)))

    def leukaemic_share(self, code: str) -> Array:
        """Leukaemic cells / all marrow cells at a visit (what marrow blasts and MRD read)."""
        s = self.reads[code]
        leuk = np.exp(s[:4]).sum(axis=0)
        return leuk / (leuk + s[7])


# =========================================================================== the system
@dataclass(frozen=True)
class _Derived:
    """Rates fixed by each patient's baseline (equilibrium at study day 1)."""

    k_on_stem: Array
    k_on_blast: Array
    amplification: Array
    stem_renewal: Array
    inhibition_half: Array
    marrow_loss: Array


def initial_state(p: Mapping[str, Array], b: Baseline) -> tuple[Array, _Derived]:
    """States at t = 0 and the rates that put each patient at its baseline: marrow output
    matches the baseline counts, blasts are at quasi-equilibrium with stem cells, and the
    leukaemia suppresses normal marrow exactly as much as the baseline counts show."""
    qh = p["healthy_marrow_fraction"]
    ratio = np.sqrt(b.anc / p["anc_full_marrow"] * b.platelets / p["platelets_full_marrow"])
    q0 = qh * np.clip(ratio, 0.03, 1.0)
    phi = np.clip(b.leukaemic_share, 1e-9, 0.95)
    leuk0 = phi / (1.0 - phi) * q0
    stem0 = p["stem_fraction"] * leuk0
    blast0 = leuk0 - stem0
    fs, fb = p["stem_ligand_positive_fraction"], p["blast_ligand_positive_fraction"]
    koff = p["ligand_off_rate"]
    free = np.maximum(1.0 - leuk0 - q0, 0.05)
    marrow_loss = p["marrow_regeneration_rate"] * (1.0 - qh)
    g0 = marrow_loss / (p["marrow_regeneration_rate"] * free)
    inhibition_half = np.where(g0 < 1.0, leuk0 * g0 / np.maximum(1.0 - g0, 1e-12), 1e12)
    derived = _Derived(
        k_on_stem=koff * fs / (1.0 - fs),
        k_on_blast=koff * fb / (1.0 - fb),
        amplification=p["blast_death_rate"] * blast0 / (p["stem_differentiation_rate"] * stem0),
        stem_renewal=(p["stem_net_growth"] + p["stem_differentiation_rate"]) / free,
        inhibition_half=inhibition_half,
        marrow_loss=marrow_loss,
    )
    y0 = np.vstack(
        [
            np.log(stem0 * (1 - fs)),
            np.log(stem0 * fs),
            np.log(blast0 * (1 - fb)),
            np.log(blast0 * fb),
            np.zeros_like(q0),
            np.zeros_like(q0),
            np.zeros_like(q0),
            q0,
            b.anc,
            b.platelets,
            b.haemoglobin,
        ]
    )
    return y0, derived


def _rhs(
    _t: float,
    yflat: Array,
    p: Mapping[str, Array],
    d: _Derived,
    dose_rate: Array,
    il2: float,
    lympho: float,
) -> Array:
    """Time derivative of all patients' states (piecewise-constant inputs per segment)."""
    y = yflat.reshape(NS, -1)
    sn, sp, bn, bp = np.exp(np.clip(y[:4], -200.0, 5.0))
    conc, nk, exh, q = y[4], np.maximum(y[5], 0.0), y[6], np.maximum(y[7], 0.0)
    leuk = sn + sp + bn + bp
    free = np.maximum(1.0 - leuk - q, 0.0)
    effect = conc / (conc + p["talazoparib_switch_ec50"])
    on_stem = d.k_on_stem + p["talazoparib_switch_emax"] * effect
    on_blast = d.k_on_blast + p["talazoparib_switch_emax"] * effect
    koff = p["ligand_off_rate"]
    death = (
        p["talazoparib_cytotoxic_max"] * conc / (conc + p["talazoparib_switch_ec50"])
        + lympho * p["lymphodepletion_kill_rate"]
    )
    functional = nk * (1.0 - exh)
    kill = p["nk_kill_max"] * functional / (functional + p["nk_half_activity"])
    renew = d.stem_renewal * free - p["stem_differentiation_rate"]
    feed = d.amplification * p["stem_differentiation_rate"]
    out = np.empty_like(y)
    out[0] = renew - on_stem - death + koff * sp / sn
    out[1] = renew - koff - death - kill + on_stem * sn / sp
    out[2] = feed * sn / bn - p["blast_death_rate"] - on_blast - death + koff * bp / bn
    out[3] = feed * sp / bp - p["blast_death_rate"] - koff - death - kill + on_blast * bn / bp
    ke = p["talazoparib_clearance_l_h"] * 24.0 / p["talazoparib_volume_l"]
    out[4] = 1000.0 * dose_rate / p["talazoparib_volume_l"] - ke * conc
    out[5] = (il2 * p["nk_expansion_rate"] - p["nk_death_rate"]) * nk
    target = sp + bp
    out[6] = (
        p["nk_exhaustion_rate"] * (1.0 - exh) * target / (target + EXHAUSTION_TARGET_HALF)
        - p["nk_recovery_rate"] * exh
    )
    tox = (
        p["talazoparib_marrow_toxicity_max"] * conc / (conc + p["talazoparib_marrow_toxicity_ec50"])
    )
    suppress = 1.0 / (1.0 + leuk / d.inhibition_half)
    out[7] = (
        p["marrow_regeneration_rate"] * q * free * suppress * (1.0 - tox)
        - d.marrow_loss * q
        - lympho * p["lymphodepletion_kill_rate"] * q
    )
    output = q / p["healthy_marrow_fraction"]
    out[8] = p["anc_transit_rate"] * (p["anc_full_marrow"] * output - y[8])
    out[9] = p["platelet_transit_rate"] * (p["platelets_full_marrow"] * output - y[9])
    out[10] = p["haemoglobin_transit_rate"] * (p["haemoglobin_full_marrow"] * output - y[10])
    return out.ravel()


def _decide_dosing(
    cycle: int, y: Array, dosing: Dosing, levels: int, rng: np.random.Generator
) -> None:
    """At a cycle start: reduce one level after grade-4 platelets or neutrophils (Talzenna
    label 2.4 dose modifications), and draw an interruption of 2-7 days in the cycle's second
    week (adverse event or logistics)."""
    n = y.shape[1]
    if cycle > 0:
        prev = dosing.level[:, cycle - 1]
        low = (y[9] < REDUCTION_PLATELETS_BELOW) | (y[8] < REDUCTION_ANC_BELOW)
        reduce = low & (prev < levels - 1)
        dosing.level[:, cycle] = prev + reduce
        dosing.reduced[:, cycle] = reduce
    interrupt = rng.random(n) < INTERRUPTION_PROBABILITY
    dosing.interruption_days[:, cycle] = np.where(interrupt, rng.integers(2, 8, n), 0)


def simulate(
    params: Mapping[str, Array],
    baseline: Baseline,
    products: NKProducts,
    schedule: Schedule,
    rng: np.random.Generator,
    *,
    talazoparib: bool = True,
    dense_step: float | None = None,
    method: str = "RK45",
) -> Course:
    """Simulate every patient from study day 1 to the end of the schedule.

    `talazoparib=False` gives no drug (the counterfactual plotted by `nakip model simulate`);
    `dense_step` (days) also returns the trajectory on that grid. BLAS runs on one thread:
    the solver's small matrix products are 8x slower when threads contend for shared cores.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _simulate(params, baseline, products, schedule, rng, talazoparib, dense_step, method)


def _simulate(
    params: Mapping[str, Array],
    baseline: Baseline,
    products: NKProducts,
    schedule: Schedule,
    rng: np.random.Generator,
    talazoparib: bool,
    dense_step: float | None,
    method: str,
) -> Course:
    y, derived = initial_state(params, baseline)
    n = y.shape[1]
    cycles = len(schedule.cycle_starts)
    dosing = Dosing(
        np.zeros((n, cycles), dtype=np.int64),
        np.zeros((n, cycles), dtype=np.int64),
        np.zeros((n, cycles), dtype=bool),
    )
    viable = products.viable_millions_per_kg
    reads: dict[str, Array] = {}
    at_time = {t: c for c, t in schedule.visits.items()}
    times: list[Array] = []
    dense: list[Array] = []
    bounds = schedule.bounds
    for i in range(len(bounds) - 1):
        t0, t1 = bounds[i], bounds[i + 1]
        if t0 in at_time:
            reads[at_time[t0]] = y.copy()
        if t0 in schedule.infusions:
            y[5] += viable[:, schedule.infusions.index(t0)]
        if t0 in schedule.cycle_starts:
            _decide_dosing(
                schedule.cycle_starts.index(t0), y, dosing, len(schedule.dose_levels_mg), rng
            )
        rate = np.zeros(n)
        if talazoparib and t0 < schedule.treatment_end:
            c = max(k for k, s in enumerate(schedule.cycle_starts) if s <= t0)
            rate = dosing.dose_mg(schedule.dose_levels_mg)[:, c]
            if schedule.cycle_starts[c] + 7.0 <= t0 < schedule.cycle_starts[c] + 14.0:
                rate = rate * (7.0 - dosing.interruption_days[:, c]) / 7.0
        il2 = float(any(a <= t0 < b for a, b in schedule.il2))
        lympho = float(schedule.lymphodepletion[0] <= t0 < schedule.lymphodepletion[1])
        t_eval = None
        if dense_step:
            t_eval = np.arange(t0, t1, dense_step)
        sol = solve_ivp(
            _rhs,
            (t0, t1),
            y.ravel(),
            method=method,
            t_eval=t_eval if t_eval is None else np.append(t_eval, t1),
            args=(params, derived, rate, il2, lympho),
            rtol=1e-5,
            atol=1e-7,
        )
        if not sol.success:
            raise RuntimeError(f"model integration failed on [{t0}, {t1}]: {sol.message}")
        if dense_step:
            times.append(sol.t[:-1])
            dense.append(sol.y[:, :-1].reshape(NS, n, -1))
        y = sol.y[:, -1].reshape(NS, n)
    if bounds[-1] in at_time:
        reads[at_time[bounds[-1]]] = y.copy()
    if dense_step:
        return Course(reads, dosing, np.concatenate(times), np.concatenate(dense, axis=2))
    return Course(reads, dosing)
