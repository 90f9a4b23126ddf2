"""Seeded synthetic patients of the NAKIP-AML trial: screening data, disease course, safety.

The generator plans a whole virtual trial as data (no Django): who is screened, who fails which
eligibility criterion, and for every enrolled patient the form values of each scheduled visit,
adverse events, NK-cell products, follow-up and end of study. Each patient carries its *truth*
(intended best response, responder, DLT, feasibility failure), so the EDC's derivations can be
checked against it. Values are chosen inside the clinical thresholds with a safety margin, so the
rules (ELN 2022, ELN-MRD 2021, DLT definition) give the intended answer unambiguously.

Determinism: one `random.Random(seed)` stream, consumed in a fixed order; the calendar is placed
so the data cut falls on `data_cut`, which moves dates but never changes a number.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from nakip.protocol import Protocol, load_protocol
from nakip.protocol.model import Cohort, Visit

#: ELN 2022 categories from best to worst (docs/clinical-rules.md, "best response").
ELN_ORDER = ("CR", "CRh", "CRi", "MLFS", "PR", "SD", "PD")
#: Categories whose marrow is clear (< 5 % blasts, no blood blasts, no EMD).
CR_FAMILY = ("CR", "CRh", "CRi", "MLFS")
#: Days between the last response assessment (EOT) and the data cut.
CUT_MARGIN_DAYS = 14

#: Screen-failure kinds per cohort entry type, with the screening field each one breaks.
OVERT_FAILURES: Mapping[str, str] = MappingProxyType(
    {
        "marrow_blasts_too_high": "bm_blasts_pct",
        "ecog_3": "ecog",
        "washout_too_short": "days_since_last_therapy",
        "recent_transplant": "days_since_hsct",
        "active_gvhd": "active_gvhd_grade",
        "renal_impairment": "creatinine_clearance_ml_min",
        "uncontrolled_infection": "uncontrolled_infection",
        "consent_withdrawn": "",
    }
)
MRD_FAILURES: Mapping[str, str] = MappingProxyType(
    {
        "mrd_rise_too_small": "mrd_current_value",
        "ecog_3": "ecog",
        "renal_impairment": "creatinine_clearance_ml_min",
        "active_cns_disease": "active_cns_disease",
        "consent_withdrawn": "",
    }
)
CONSENT_WITHDRAWN_REASON = "patient withdrew consent before enrolment"


# =========================================================================== scenario
@dataclass(frozen=True)
class Scenario:
    """Parameters of a virtual trial; rates are true per-patient probabilities."""

    patients_per_cohort: int = 12
    seed: int = 2026
    overt_response_rate: float = 0.55
    mrd_response_rate: float = 0.60
    screen_failure_rate: float = 0.25
    dlt_rate: float = 0.12
    feasibility_failure_rate: float = 0.08
    early_dropout_rate: float = 0.10
    partial_screening_rate: float = 0.15

    def __post_init__(self) -> None:
        if int(self.patients_per_cohort) != self.patients_per_cohort or not (
            1 <= self.patients_per_cohort <= 500
        ):
            raise ValueError(
                f"patients_per_cohort must be an integer in 1..500, got {self.patients_per_cohort}"
            )
        for name in (
            "overt_response_rate",
            "mrd_response_rate",
            "screen_failure_rate",
            "dlt_rate",
            "feasibility_failure_rate",
            "early_dropout_rate",
            "partial_screening_rate",
        ):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0 or (name == "screen_failure_rate" and v >= 0.95):
                raise ValueError(f"{name} must lie in [0, 1] (screen failures < 0.95), got {v}")

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# =========================================================================== plan objects
@dataclass(frozen=True)
class FormEntry:
    """One form as site staff enter it; `first_values` differ when a correction follows."""

    entry_date: date
    visit_code: str
    form_code: str
    values: Mapping[str, Any]
    first_values: Mapping[str, Any] | None = None
    correction_reason: str = ""
    monitor_query: tuple[str, str, str] | None = None  # (field, question, answer)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry_date": self.entry_date.isoformat(),
            "visit_code": self.visit_code,
            "form_code": self.form_code,
            "values": dict(self.values),
            "first_values": None if self.first_values is None else dict(self.first_values),
            "correction_reason": self.correction_reason,
            "monitor_query": list(self.monitor_query) if self.monitor_query else None,
        }


@dataclass(frozen=True)
class PatientTruth:
    """What the generator intended for one enrolled patient (the derivations must agree)."""

    responder: bool
    best_response: str | None  # ELN 2022 category (overt) or None when never assessed
    mrd_responder: bool | None  # MRD cohort: > 1 log10 decrease at a response assessment
    evaluable: bool  # at least one response assessment
    dlt: bool
    dlt_window_start: date | None  # talazoparib C1D1 (the DLT window opens there)
    feasibility_failure: bool
    death_date: date | None
    relapse_date: date | None
    off_study: str | None  # end-of-study reason when the patient left the study
    course: str  # one line for people

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for k in ("dlt_window_start", "death_date", "relapse_date"):
            out[k] = out[k].isoformat() if out[k] else None
        return out


@dataclass(frozen=True)
class VirtualPatient:
    """An enrolled patient's casebook plan: dated form entries, missed visits and the truth."""

    cohort: str
    enrolment_date: date
    entries: tuple[FormEntry, ...]
    missed_visits: tuple[tuple[str, str], ...]  # (visit code, reason)
    truth: PatientTruth

    def to_dict(self) -> dict[str, Any]:
        return {
            "cohort": self.cohort,
            "enrolment_date": self.enrolment_date.isoformat(),
            "entries": [e.to_dict() for e in self.entries],
            "missed_visits": [list(m) for m in self.missed_visits],
            "truth": self.truth.to_dict(),
        }


@dataclass(frozen=True)
class ScreeningCase:
    """A screened patient: screening values, the intended verdict and, if enrolled, the plan.

    `initially_missing` fields are left blank at first entry and added by a correction.
    """

    index: int
    intended_cohort: str
    consent_date: date
    values: Mapping[str, Any]
    initially_missing: tuple[str, ...]
    failure: str | None  # a key of OVERT_FAILURES / MRD_FAILURES, None when enrolled
    failure_field: str
    outcome_date: date
    patient: VirtualPatient | None
    monitor_query: tuple[str, str, str] | None = None

    @property
    def intended_eligible(self) -> bool:
        """Eligible by its data (a consent withdrawal is eligible but not enrolled)."""
        return self.failure in (None, "consent_withdrawn")

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "intended_cohort": self.intended_cohort,
            "consent_date": self.consent_date.isoformat(),
            "values": dict(self.values),
            "initially_missing": list(self.initially_missing),
            "failure": self.failure,
            "failure_field": self.failure_field,
            "outcome_date": self.outcome_date.isoformat(),
            "patient": self.patient.to_dict() if self.patient else None,
            "monitor_query": list(self.monitor_query) if self.monitor_query else None,
        }


@dataclass(frozen=True)
class VirtualTrial:
    """A whole virtual trial: the scenario, its calendar and every screened patient in order."""

    scenario: Scenario
    start_date: date
    data_cut: date
    screenings: tuple[ScreeningCase, ...]

    def patients(self, cohort: str | None = None) -> list[VirtualPatient]:
        """Enrolled patients in enrolment order (optionally one cohort)."""
        out = [s.patient for s in self.screenings if s.patient is not None]
        out = [p for p in out if cohort is None or p.cohort == cohort]
        return sorted(out, key=lambda p: p.enrolment_date)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.to_dict(),
            "start_date": self.start_date.isoformat(),
            "data_cut": self.data_cut.isoformat(),
            "screenings": [s.to_dict() for s in self.screenings],
        }


# =========================================================================== random helpers
class _Draw:
    """A seeded stream with the few draws the generator needs (values rounded as labs do)."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def u(self, lo: float, hi: float, nd: int = 1) -> float:
        return round(self.r.uniform(lo, hi), nd)

    def i(self, lo: int, hi: int) -> int:
        return self.r.randint(lo, hi)

    def p(self, prob: float) -> bool:
        return self.r.random() < prob

    def pick(self, options: Any) -> Any:
        return self.r.choice(list(options))

    def weighted(self, options: Mapping[str, float]) -> str:
        keys = list(options)
        return self.r.choices(keys, weights=[options[k] for k in keys])[0]


def _iso(d: date) -> str:
    return d.isoformat()


def _sig(x: float, digits: int = 3) -> float:
    """`x` rounded to `digits` significant digits (how MRD values are reported)."""
    if x <= 0:
        return 0.0
    return round(x, digits - 1 - math.floor(math.log10(x)))


# =========================================================================== screening values
def _base_screening(d: _Draw, consent: date, protocol: Protocol) -> dict[str, Any]:
    sex = d.pick(["female", "male"])
    age = d.i(24, 82)
    cbp = sex == "female" and age < 50 and d.p(0.6)
    prior_hsct = d.p(0.4)
    values: dict[str, Any] = {
        "consent_signed": True,
        "sex": sex,
        "age_years": age,
        "diagnosis_classification": "WHO_2016",
        "diagnosis": d.weighted(
            {"AML_de_novo": 0.6, "AML_secondary": 0.25, "AML_therapy_related": 0.15}
        ),
        "apl": False,
        "diagnosis_date": _iso(consent - timedelta(days=d.i(200, 1500))),
        "prior_lines": d.i(1, 4),
        "prior_intensive_therapy": True,  # a qualifying prior line (criterion IN3)
        "prior_palliative_drug": "none",
        "last_therapy_kind": "cytotoxic",  # washout in days (IN4a)
        "days_since_last_therapy": d.i(protocol.treatment.washout_days + 7, 150),
        "prior_hsct": prior_hsct,
        "active_gvhd_grade": 0,
        "ecog": d.weighted({"0": 0.3, "1": 0.5, "2": 0.2}),
        "childbearing_potential": cbp,
        "pregnant_or_breastfeeding": False,
        "creatinine_clearance_ml_min": d.u(45, 125),
        "worst_liver_x_uln_exceeds": False,
        "active_cns_disease": False,
        "systemic_immunosuppression": False,
        "uncontrolled_infection": False,
        "unsafe_condition": False,
    }
    values["ecog"] = int(values["ecog"])
    if prior_hsct:
        values["days_since_hsct"] = d.i(150, 1200)
    if cbp:
        values["pregnancy_test_negative"] = True
        values["pregnancy_test_hours_before_treatment"] = d.i(12, 70)
    return values


def _overt_screening(d: _Draw, consent: date, protocol: Protocol, c: Cohort) -> dict[str, Any]:
    assert c.overt_entry is not None
    values = _base_screening(d, consent, protocol)
    ceiling = c.overt_entry.bm_blasts_below_pct
    values.update(
        {
            "relapsed_or_refractory": True,
            "in_haematological_remission": False,
            "anc": d.u(0.2, 1.4, 2),
            "platelets": d.u(12, 80, 0),
            "haemoglobin": d.u(7.5, 10.5),
            "wbc": d.u(0.8, 6.0),
            "pb_blasts_pct": d.u(0, min(15.0, c.overt_entry.pb_blasts_below_pct - 3)),
            "marrow_date": _iso(consent + timedelta(days=d.i(0, 3))),
            "bm_blasts_pct": d.u(7, ceiling - 1),
        }
    )
    return values


_MRD_MARKERS = {
    "qPCR": ("NPM1 type A", "CBFB::MYH11", "RUNX1::RUNX1T1"),
    "flow": ("LAIP CD34+CD7+", "different-from-normal CD117+CD56+"),
}


def _mrd_screening(d: _Draw, consent: date, protocol: Protocol, c: Cohort) -> dict[str, Any]:
    assert c.mrd_entry is not None
    values = _base_screening(d, consent, protocol)
    assay = d.weighted({"qPCR": 0.6, "flow": 0.4})
    current = d.u(0.3, 20.0, 2) if assay == "qPCR" else d.u(0.5, 3.0, 2)
    fold = d.u(c.mrd_entry.rise_fold_above + 1.0, 40.0)
    current_date = consent - timedelta(days=d.i(3, 14))
    values.update(
        {
            "relapsed_or_refractory": False,
            "in_haematological_remission": True,
            "anc": d.u(1.2, 4.5, 2),
            "platelets": d.u(90, 280, 0),
            "haemoglobin": d.u(10.0, 14.0),
            "wbc": d.u(2.5, 8.0),
            "pb_blasts_pct": 0.0,
            "marrow_date": _iso(consent + timedelta(days=d.i(0, 3))),
            "bm_blasts_pct": d.u(0.2, c.mrd_entry.remission_bm_blasts_below_pct - 1.5),
            "mrd_assay": assay,
            "mrd_material": "bone_marrow",  # the rise compares like with like
            "mrd_reference_assay": assay,
            "mrd_reference_material": "bone_marrow",
            "mrd_marker": d.pick(_MRD_MARKERS[assay]),
            "mrd_reference_date": _iso(current_date - timedelta(days=d.i(21, 60))),
            "mrd_reference_value": _sig(current / fold, 3),
            "mrd_current_date": _iso(current_date),
            "mrd_current_value": current,
        }
    )
    return values


def _break(values: dict[str, Any], kind: str, d: _Draw, protocol: Protocol, c: Cohort) -> None:
    """Change screening values so they fail for the intended, realistic reason."""
    if kind == "marrow_blasts_too_high":
        assert c.overt_entry is not None
        values["bm_blasts_pct"] = d.u(c.overt_entry.bm_blasts_below_pct + 2, 45)
    elif kind == "ecog_3":
        values["ecog"] = 3
    elif kind == "washout_too_short":
        values["days_since_last_therapy"] = d.i(3, protocol.treatment.washout_days - 3)
    elif kind == "recent_transplant":
        values["prior_hsct"] = True
        values["days_since_hsct"] = d.i(35, 80)
    elif kind == "active_gvhd":
        values["prior_hsct"] = True
        values.setdefault("days_since_hsct", d.i(150, 400))
        values["active_gvhd_grade"] = 2
    elif kind == "renal_impairment":
        values["creatinine_clearance_ml_min"] = d.u(15, 27)
    elif kind == "uncontrolled_infection":
        values["uncontrolled_infection"] = True
    elif kind == "active_cns_disease":
        values["active_cns_disease"] = True
    elif kind == "mrd_rise_too_small":
        assert c.mrd_entry is not None
        fold = d.u(1.3, c.mrd_entry.rise_fold_above - 0.6)
        values["mrd_reference_value"] = _sig(values["mrd_current_value"] / fold, 3)
    elif kind != "consent_withdrawn":
        raise ValueError(f"unknown screen-failure kind {kind!r}")


# =========================================================================== disease course
@dataclass
class _State:
    """Disease and blood values at one visit (None = not measured)."""

    bm: float | None = None
    pb: float = 0.0
    anc: float = 1.0
    plt: float = 100.0
    hb: float = 9.0
    wbc: float = 3.0
    lym: float = 1.0
    mrd: float | None = None
    lod: float | None = None
    emd: bool = False
    cellularity: float = 40.0


def _overt_state(cat: str, base: _State, d: _Draw) -> _State:
    """Values that classify as `cat` under ELN 2022 with margins (thresholds in the protocol:
    CR < 5 % blasts, ANC 1.0, platelets 100; CRh 0.5 / 50; PR 5-25 % and halved; PD > 50 % and
    >= 15 points)."""
    assert base.bm is not None
    s = _State(hb=d.u(8.0, 11.5), wbc=d.u(1.0, 6.0), lym=d.u(0.4, 1.8))
    if cat in CR_FAMILY:
        s.bm, s.pb, s.cellularity = d.u(0.5, 4.4), 0.0, d.u(25, 60, 0)
        if cat == "CR":
            s.anc, s.plt = d.u(1.1, 4.0, 2), d.u(110, 320, 0)
        elif cat == "CRh":
            s.anc, s.plt = d.u(0.6, 0.9, 2), d.u(55, 95, 0)
        elif cat == "CRi":
            s.anc, s.plt = d.u(1.1, 3.0, 2), d.u(15, 45, 0)
        else:
            s.anc, s.plt, s.cellularity = d.u(0.05, 0.45, 2), d.u(5, 45, 0), d.u(15, 40, 0)
    elif cat == "PR":
        s.bm = d.u(5.5, min(24.0, 0.45 * base.bm))
        s.pb, s.anc, s.plt = 0.0, d.u(1.1, 3.0, 2), d.u(110, 250, 0)
    elif cat == "SD":
        s.bm = round(max(5.5, base.bm * d.r.uniform(0.7, 1.2)), 1)
        s.pb, s.anc, s.plt = d.u(0, 6), d.u(0.1, 1.4, 2), d.u(8, 90, 0)
    elif cat == "PD":
        s.bm = min(95.0, round(base.bm + d.r.uniform(16.0, 30.0), 1))
        s.pb = d.u(5, 30)
        s.anc = round(base.anc * d.r.uniform(0.4, 0.95), 2)
        s.plt = round(base.plt * d.r.uniform(0.4, 0.95), 0)
    else:
        raise ValueError(cat)
    return s


def _attained_at(n: int, d: _Draw) -> int:
    """Index of the response visit where the best response is first reached (earlier likelier)."""
    weights = {str(j): w for j, w in enumerate((0.5, 0.35, 0.15, 0.1, 0.1, 0.1)[:n])}
    return int(d.weighted(weights))


def _overt_plan(resp: bool, n: int, d: _Draw) -> tuple[str, list[str], int | None]:
    """(best category, categories at the response visits, visit index of relapse or None)."""
    if resp:
        best = d.weighted({"CR": 0.6, "CRh": 0.2, "CRi": 0.2})
    else:
        best = d.weighted({"MLFS": 0.15, "PR": 0.2, "SD": 0.4, "PD": 0.25})
    k = _attained_at(n, d) if best != "PD" else d.i(0, min(1, n - 1))
    cats: list[str] = []
    relapse_at = None
    for j in range(n):
        if j < k:
            cats.append("MLFS" if best in CR_FAMILY and d.p(0.5) else "SD")
        elif j == k:
            cats.append(best)
            if best == "PD":
                break
        elif resp and j == n - 1 and d.p(0.2):
            cats.append("SD")  # marrow relapse (>= 5 % blasts) at the last assessment
            relapse_at = j
        else:
            cats.append(best if best not in ("PR", "MLFS") or d.p(0.6) else "SD")
    # the best over the series (stable disease before progression makes the best SD)
    return min(cats, key=ELN_ORDER.index), cats, relapse_at


# =========================================================================== one patient
#: forms filled by the builder method of the same name from the visit date alone
_AMENDMENT2_FORMS = frozenset({"chemistry", "eln_risk", "lymphodepletion", "donor", "gvhd"})
_FORM_ORDER = ("marrow", "emd", "mrd", "haematology", "talazoparib", "nk_infusion", "icans")


class _PatientBuilder:
    """Builds one enrolled patient's dated entries by walking the protocol's visit schedule."""

    def __init__(
        self,
        d: _Draw,
        protocol: Protocol,
        cohort: Cohort,
        scenario: Scenario,
        screening: Mapping[str, Any],
        enrol: date,
        cut: date,
    ) -> None:
        self.d, self.p, self.c, self.sc = d, protocol, cohort, scenario
        self.scr = screening
        self.enrol, self.cut = enrol, cut
        self.overt = cohort.overt_entry is not None
        self.entries: list[FormEntry] = []
        self.missed: list[tuple[str, str]] = []
        self.visits = list(protocol.schedule.visits)
        self.n_ra = sum(1 for v in self.visits if v.response_assessment)
        self.weight = d.u(48, 105)
        self.assay = str(screening.get("mrd_assay") or d.weighted({"qPCR": 0.6, "flow": 0.4}))
        self.marker = str(screening.get("mrd_marker") or d.pick(_MRD_MARKERS[self.assay]))
        self.lod = 0.001 if self.assay == "qPCR" else 0.01
        self.product_failed = False

    # ----------------------------------------------------------------- helpers
    def when(self, v: Visit) -> date:
        """Visit date: target day with a jitter of up to 2 days inside the window."""
        j = self.d.i(-min(v.window_before, 2), min(v.window_after, 2))
        return self.enrol + timedelta(days=v.day - 1 + j)

    def add(self, when: date, visit: str, form: str, values: Mapping[str, Any]) -> None:
        self.entries.append(FormEntry(when, visit, form, MappingProxyType(dict(values))))

    def day(self, n: int) -> date:
        return self.enrol + timedelta(days=n)

    # ----------------------------------------------------------------- forms
    def haematology(self, s: _State, when: date) -> dict[str, Any]:
        female = self.scr.get("sex") == "female"
        return {
            "sample_date": _iso(when),
            "anc": s.anc,
            "anc_lln": 1.8,
            "platelets": s.plt,
            "platelets_lln": 150.0,
            "haemoglobin": s.hb,
            "haemoglobin_lln": 12.0 if female else 13.5,
            "wbc": s.wbc,
            "wbc_lln": 4.0,
            "lymphocytes": s.lym,
            "lymphocytes_lln": 1.0,
            "pb_blasts_pct": s.pb,
            "transfusion_independent": s.plt >= 50 and s.hb >= 8.0,
        }

    def marrow(self, s: _State, when: date) -> dict[str, Any]:
        return {
            "aspirate_date": _iso(when),
            "evaluable": True,
            "bm_blasts_pct": s.bm,
            "auer_rods": False,
            "cellularity_pct": s.cellularity,
        }

    def emd(self, s: _State, when: date) -> dict[str, Any]:
        return {"assessment_date": _iso(when), "emd_present": s.emd, "method": "clinical"}

    def mrd(self, s: _State, when: date) -> dict[str, Any]:
        qpcr = self.assay == "qPCR"
        return {
            "sample_date": _iso(when),
            "material": "bone_marrow",
            "assay": self.assay,
            "marker": self.marker,
            "value": s.mrd if s.mrd is not None else 0.0,
            "value_unit": "percent_of_abl1" if qpcr else "percent_of_cd45",
            "lod": self.lod,
        }

    def icans(self, when: date) -> dict[str, Any]:
        """A routine ICE assessment after an NK-cell infusion (normal: ASTCT grade 0)."""
        return {
            "assessment_date": _iso(when),
            "ice_score": 10,
            "unarousable": False,
            "consciousness": "normal",
            "seizure": "none",
            "motor_weakness": False,
            "raised_icp": "none",
        }

    def talazoparib(self, v: Visit, when: date, dose: str, s: _State, stops: bool) -> str:
        """One cycle's dosing; a reduction to the next level after low platelets (or by
        chance); a short last period when the visit ends treatment."""
        d = self.d
        tal = self.p.treatment.talazoparib
        levels = ["1.0" if x == 1 else f"{x:g}" for x in tal.dose_levels_mg]
        reduce = v.day > 1 and not stops and dose in levels[:-1] and (s.plt < 30 or d.p(0.12))
        if reduce:
            dose = levels[levels.index(dose) + 1]
        values: dict[str, Any] = {
            "period_start": _iso(when),
            "period_end": _iso(when + timedelta(days=3 if stops else tal.cycle_length_days - 1)),
            "daily_dose_mg": dose,
            "interrupted": False,
            "reduced": reduce,
            "doses_missed": 0,
        }
        if not stops and d.p(0.15):
            values["interrupted"] = True
            values["interruption_days"] = values["doses_missed"] = d.i(2, 7)
            values["interruption_reason"] = d.pick(["adverse_event", "logistics"])
        if reduce:
            values["reduction_reason"] = "adverse_event"
        self.add(when, v.code, "talazoparib", values)
        return dose

    def nk_infusion(self, k: int, when: date, fails: bool, mode: str) -> tuple[bool, dict]:
        """An NK-cell product: on target, or (feasibility failure) not made, below the minimum
        dose or below the minimum viability of the protocol."""
        d = self.d
        plan = self.p.treatment.nk_cells
        values: dict[str, Any] = {
            "infusion_date": _iso(when),
            "infusion_number": k + 1,
            "body_weight_kg": self.weight,
        }
        if fails and mode == "not_made":
            self.product_failed = True
            values.update(given=False, not_given_reason="manufacturing_failure")
            return False, values
        dose = d.r.uniform(plan.target_dose_per_kg * 0.95, plan.target_dose_per_kg * 2.5)
        viability = d.u(plan.min_viability_pct + 6, 97)
        if fails and mode == "low_dose":
            dose = d.r.uniform(plan.min_dose_per_kg * 0.5, plan.min_dose_per_kg * 0.9)
            self.product_failed = True
        elif fails:
            viability = d.u(plan.min_viability_pct - 15, plan.min_viability_pct - 3)
            self.product_failed = True
        values.update(
            given=True,
            product_lot=f"NK-{when:%y%m%d}-{k + 1}",
            cell_dose_per_kg=float(round(dose, -5)),
            viability_pct=viability,
            purity_pct=d.u(85, 99),
            cd3_per_kg=float(round(d.r.uniform(5e3, 6e4), -2)),
            release_passed=not fails,
            infusion_reaction_grade=0,
        )
        return True, values

    # ----------------------------------------------------------------- amendment-2 forms
    def chemistry(self, when: date) -> dict[str, Any]:
        """Liver and renal values around normal (at most CTCAE grade 1 relative to ULN)."""
        d = self.d
        return {
            "sample_date": _iso(when),
            "alt": d.u(10, 55),
            "alt_uln": 40.0,
            "ast": d.u(10, 50),
            "ast_uln": 40.0,
            "bilirubin": d.u(0.3, 1.4, 2),
            "bilirubin_uln": 1.2,
            "creatinine": d.u(0.6, 1.3, 2),
            "creatinine_uln": 1.1,
        }

    def eln_risk(self, when: date) -> dict[str, Any]:
        risk = self.d.weighted({"favorable": 0.2, "intermediate": 0.35, "adverse": 0.45})
        lesion = {
            "favorable": "NPM1_without_FLT3_ITD",
            "intermediate": "FLT3_ITD_wild_type_NPM1",
            "adverse": self.d.pick(["complex_karyotype", "TP53_mutated", "minus7"]),
        }[risk]
        return {
            "sample_date": _iso(when),
            "risk": risk,
            "defining_lesion": lesion,
            "method": "combined",
        }

    def lymphodepletion(self, when: date) -> dict[str, Any]:
        """Fludarabine 30 mg/m2 and cyclophosphamide 500 mg/m2 on days 3-5 (the protocol)."""
        return {
            "body_surface_area_m2": round(0.6 + self.weight / 70, 2),
            "start_date": _iso(self.day(2)),
            "end_date": _iso(self.day(4)),
            "fludarabine_mg_m2": 30,
            "fludarabine_days": 3,
            "cyclophosphamide_mg_m2": 500,
            "cyclophosphamide_days": 3,
            "dose_modified": False,
        }

    def donor(self, when: date) -> dict[str, Any]:
        d = self.d
        return {
            "relation": d.pick(["parent", "sibling", "child"]),
            "donor_age_years": d.i(20, 65),
            "hla_match_of_10": d.i(5, 7),
            "kir_ligand_mismatch": d.p(0.4),
            "kir_haplotype": d.weighted({"AA": 0.3, "Bx": 0.7}),
        }

    def il2(self, when: date, given: bool) -> dict[str, Any]:
        """IL-2 1 x 10^6 IU/m2 every other day x 6 after an infusion (none without one)."""
        first = when + timedelta(days=1)
        n = 6 if given else 0
        out = {
            "first_dose_date": _iso(first),
            "last_dose_date": _iso(first + timedelta(days=10)),
            "dose_iu_m2": 1e6,
            "doses_given": n,
            "route": "subcutaneous",
        }
        if n < 6:
            out["reason_fewer"] = "other"
        return out

    def gvhd(self, when: date) -> dict[str, Any]:
        """A scheduled GVHD assessment without findings (acute GVHD grade 0)."""
        return {
            "assessment_date": _iso(when),
            "rash_bsa_pct": 0,
            "bilirubin": self.d.u(0.3, 1.1, 2),
            "persistent_nausea_vomiting_anorexia": False,
            "stool_episodes_per_day": 1,
            "severe_pain_ileus_or_bloody_stool": False,
        }

    def conduct(self, end: date) -> None:
        """Concomitant medications every patient gets, and now and then a late-visit deviation."""
        d = self.d
        self.add(
            self.enrol,
            "",
            "concomitant_medication",
            {
                "drug": "aciclovir",
                "category": "anti_infective",
                "indication": "HSV prophylaxis",
                "dose": 400,
                "dose_unit": "mg",
                "route": "oral",
                "start_date": _iso(self.enrol),
                "ongoing": True,
            },
        )
        if d.p(0.15) and self.day(30) <= end:
            self.add(
                self.day(33),
                "",
                "deviation",
                {
                    "deviation_date": _iso(self.day(32)),
                    "category": "late_visit",
                    "visit_concerned": "C2D1",
                    "severity": "minor",
                    "description": "C2D1 assessment done after its window",
                    "corrective_action": "visit reminders one week ahead",
                },
            )

    def ae(self, onset: date, **values: Any) -> None:
        out: dict[str, Any] = {
            "onset_date": _iso(onset),
            "serious": False,
            "attribution_talazoparib": "unrelated",
            "attribution_nk": "unrelated",
            "category": "nonhematologic",
            "outcome": "recovered",
        }
        out.update(values)
        self.add(onset, "", "adverse_event", out)

    def crs(self, onset: date, visit: str, grade: int) -> None:
        """CRS signs giving ASTCT grade 1 (fever only) or 3 (one vasopressor)."""
        hypotension, hypoxia = {1: ("none", "none"), 3: ("one_vasopressor", "low_flow")}[grade]
        self.add(
            onset,
            visit,
            "crs",
            {
                "onset_date": _iso(onset),
                "assessment_date": _iso(onset + timedelta(days=0 if grade == 1 else 1)),
                "fever_c": self.d.u(38.3, 39.8),
                "antipyretics_or_anticytokine_given": grade > 1,
                "hypotension": hypotension,
                "hypoxia": hypoxia,
                "death_from_crs": False,
                "tocilizumab_given": grade > 1,
                "resolution_date": _iso(onset + timedelta(days=self.d.i(2, 5))),
            },
        )
        self.ae(
            onset,
            term="Cytokine release syndrome",
            ctcae_grade=grade,
            serious=grade >= 3,
            category="crs",
            attribution_nk="definite" if grade >= 3 else "probable",
            resolution_date=_iso(onset + timedelta(days=4)),
        )

    def end_of_study(self, reason: str, when: date, details: str = "") -> None:
        values: dict[str, Any] = {"end_date": _iso(when), "reason": reason}
        if reason == "death":
            values["death_date"] = _iso(when)
        else:
            values["last_known_alive_date"] = _iso(when)
        if details:
            values["details"] = details
        self.add(when, "", "end_of_study", values)

    # ----------------------------------------------------------------- disease states
    def baseline(self) -> _State:
        d, scr = self.d, self.scr
        s = _State(
            bm=float(scr["bm_blasts_pct"]),
            pb=float(scr["pb_blasts_pct"]),
            anc=float(scr["anc"]),
            plt=float(scr["platelets"]),
            hb=float(scr["haemoglobin"]),
            wbc=float(scr["wbc"]),
            lym=d.u(0.3, 1.5) if self.overt else d.u(0.8, 2.5),
            cellularity=d.u(40, 80, 0) if self.overt else d.u(30, 60, 0),
        )
        if self.overt:
            assert s.bm is not None
            s.bm = round(min(max(s.bm + d.r.uniform(-1.0, 1.0), 7.0), 19.5), 1)
            s.mrd = d.u(5, 80) if self.assay == "qPCR" else d.u(2, 18)
        else:
            s.mrd = _sig(float(scr["mrd_current_value"]) * d.r.uniform(0.9, 1.6), 3)
        return s

    def mrd_plan(self, responder: bool, base: _State) -> tuple[list[float | None], int | None]:
        """MRD log10 changes at the response visits (ELN-MRD 2021: responder < -1; values keep
        0.15 log10 away from -1) and the visit of a haematological relapse, if any."""
        d, n = self.d, self.n_ra
        assert base.mrd is not None
        changes: list[float | None] = []
        if responder:
            k = _attained_at(n, d)
            for j in range(n):
                if j < k:
                    changes.append(d.u(-0.85, 0.2, 2))
                elif j == k or d.p(0.7):
                    changes.append(None if d.p(0.3) else d.u(-3.0, -1.2, 2))
                else:
                    changes.append(d.u(-0.85, -0.2, 2))
            return changes, None
        relapse_at = d.i(1, n - 1) if n > 1 and d.p(0.3) else None
        for j in range(n):
            if relapse_at is not None and j > relapse_at:
                break
            changes.append(d.u(0.3, 1.2, 2) if j == relapse_at else d.u(-0.85, 0.9, 2))
        return changes, relapse_at

    def mrd_state(self, base: _State, change: float | None, relapse: bool) -> _State:
        d = self.d
        s = _State(
            bm=d.u(8, 30) if relapse else d.u(0.2, 3.5),
            pb=d.u(1, 10) if relapse else 0.0,
            anc=d.u(1.1, 4.0, 2),
            plt=d.u(95, 280, 0),
            hb=d.u(9.5, 14),
            wbc=d.u(2.5, 7.5),
            lym=d.u(0.8, 2.5),
            cellularity=d.u(30, 60, 0),
        )
        assert base.mrd is not None
        value = 0.0 if change is None else _sig(base.mrd * 10**change, 3)
        # at or near the limit of detection the lab reports "undetectable" (0)
        s.mrd = value if value > 2 * self.lod else 0.0
        return s

    def between(self, prev: _State, base: _State, assessed: list[str]) -> _State:
        """Counts at a visit without marrow: nadir before the first assessment, then near the
        last assessment (no blood blasts after a CR-family response: no relapse by blood)."""
        d = self.d
        if not self.overt:
            return _State(
                anc=d.u(1.0, 3.5, 2),
                plt=d.u(90, 260, 0),
                hb=d.u(9.5, 13.5),
                wbc=d.u(2.5, 7.0),
                lym=d.u(0.8, 2.2),
            )
        if not assessed:
            return _State(
                anc=d.u(0.05, 0.6, 2),
                plt=d.u(8, 45, 0),
                hb=d.u(7.5, 9.5),
                wbc=d.u(0.3, 2.0),
                lym=d.u(0.2, 1.0),
                pb=round(base.pb * d.r.uniform(0.2, 1.0), 1),
            )
        clear = assessed[-1] in (*CR_FAMILY, "PR")
        return _State(
            anc=round(prev.anc * d.r.uniform(0.9, 1.1), 2),
            plt=round(prev.plt * d.r.uniform(0.9, 1.1), 0),
            hb=d.u(8.0, 11.0),
            wbc=d.u(1.0, 5.0),
            lym=d.u(0.4, 1.6),
            pb=0.0 if clear else d.u(0, 5),
        )

    # ----------------------------------------------------------------- the course
    def build(self, responder: bool, dropout: bool) -> VirtualPatient:
        d = self.d
        base = self.baseline()
        changes: list[float | None] = []
        if self.overt:
            best, cats, relapse_at = _overt_plan(responder, self.n_ra, d)
            if (base.bm or 0) < 12.5:  # PR (5-25 % and halved) needs a baseline >= ~12 %
                cats = ["SD" if c == "PR" else c for c in cats]
                best = "SD" if best == "PR" else best
        else:
            changes, relapse_at = self.mrd_plan(responder, base)
            best, cats = None, ["MRD"] * len(changes)
        nk_visits = [v for v in self.visits if "nk_infusion" in v.forms]
        product_fails = d.p(self.sc.feasibility_failure_rate)
        fail_mode = d.weighted({"not_made": 0.4, "low_dose": 0.35, "low_viability": 0.25})
        fail_at = d.i(0, max(len(nk_visits) - 1, 0))
        crs_visit_chance = [d.p(0.2) for _ in nk_visits]

        drop: date | None = None
        drop_reason = ""
        if dropout:
            first_ra = next((v for v in self.visits if v.response_assessment), self.visits[-1])
            last_day = max(13, first_ra.day - first_ra.window_before - 2)
            drop = self.day(d.i(12, last_day) - 1)
            drop_reason = d.pick(["death", "withdrawal_by_subject"])
            best, cats, relapse_at, changes = None, [], None, []

        dlt_start: date | None = None  # first NK-cell infusion
        treatment_start: date | None = None  # talazoparib C1D1: the DLT window opens
        dlt_visit = ""
        infusions: list[bool] = []
        crs_events: list[tuple[date, str]] = []
        relapse: date | None = None
        stopped = ""
        assessed: list[str] = []
        dose = "1.0"
        prev = base
        for v in self.visits:
            when = self.enrol if v.day == 1 else self.when(v)
            if drop is not None and when >= drop:
                self.missed.append((v.code, _drop_text(drop_reason, drop)))
                continue
            if stopped:
                self.missed.append((v.code, stopped))
                continue
            stops = False
            if v.day == 1:
                s = base
            elif v.response_assessment and len(assessed) < len(cats):
                j = len(assessed)
                if self.overt:
                    s = _overt_state(cats[j], base, d)
                    s.mrd = self.overt_mrd(cats[j], base)
                    stops = cats[j] == "PD"
                else:
                    s = self.mrd_state(base, changes[j], j == relapse_at)
                    stops = j == relapse_at
                if j == relapse_at:
                    relapse = when
                assessed.append(cats[j])
            else:
                s = self.between(prev, base, assessed)
            for form in sorted(
                v.forms, key=lambda f: _FORM_ORDER.index(f) if f in _FORM_ORDER else 99
            ):
                if form == "marrow":
                    self.add(when, v.code, form, self.marrow(s, when))
                elif form == "emd":
                    self.add(when, v.code, form, self.emd(s, when))
                elif form == "mrd":
                    self.add(when, v.code, form, self.mrd(s, when))
                elif form == "haematology":
                    self.add(when, v.code, form, self.haematology(s, when))
                elif form == "talazoparib":
                    dose = self.talazoparib(v, when, dose, s, stops)
                    treatment_start = treatment_start or when
                elif form == "nk_infusion":
                    k = len(infusions)
                    given, values = self.nk_infusion(
                        k, when, product_fails and k == fail_at, fail_mode
                    )
                    infusions.append(given)
                    self.add(when, v.code, form, values)
                    if given and dlt_start is None:
                        dlt_start, dlt_visit = when, v.code
                    if given and k < len(crs_visit_chance) and crs_visit_chance[k]:
                        crs_events.append((when + timedelta(days=1), v.code))
                elif form == "icans" and any(infusions):
                    self.add(when, v.code, form, self.icans(when + timedelta(days=1)))
                elif form == "il2":
                    self.add(when, v.code, form, self.il2(when, bool(infusions and infusions[-1])))
                elif form in _AMENDMENT2_FORMS:
                    self.add(when, v.code, form, getattr(self, form)(when))
            prev = s
            if stops:
                what = "progressive disease" if self.overt else "haematological relapse"
                stopped = f"treatment discontinued: {what} at {v.code}"

        died_early = drop if drop_reason == "death" else None
        self.conduct(min(drop or self.cut, self.cut))
        dlt = self.adverse_events(dlt_start, dlt_visit, drop, died_early, crs_events)
        eot = self.visits[-1]
        eot_day = self.day(eot.day - 1)
        if drop is not None:
            details = "died of sepsis in cycle 1" if died_early else "withdrew consent in cycle 1"
            self.end_of_study(drop_reason, drop, details)
            self.miss_follow_up(eot_day, 1, f"off study ({drop_reason})")
            death, off_study = died_early, drop_reason
        else:
            in_remission = (responder and relapse is None) if self.overt else relapse is None
            death, relapse, off_study = self.follow_up(responder, in_remission, eot_day, relapse)

        mrd_responder = None
        if not self.overt:
            mrd_responder = any(
                (c is None or c < -1.0) and j != relapse_at for j, c in enumerate(changes)
            )
        evaluable = bool(assessed)
        truth = PatientTruth(
            responder=bool(mrd_responder) if not self.overt else responder and evaluable,
            best_response=best if self.overt and evaluable else None,
            mrd_responder=mrd_responder if evaluable else None,
            evaluable=evaluable,
            dlt=dlt,
            dlt_window_start=treatment_start,
            feasibility_failure=self.product_failed,
            death_date=death,
            relapse_date=relapse,
            off_study=off_study or None,
            course=self.course(best, assessed, changes, drop_reason, death),
        )
        entries = tuple(sorted(self.entries, key=lambda e: e.entry_date))
        return VirtualPatient(self.c.code, self.enrol, entries, tuple(self.missed), truth)

    def overt_mrd(self, cat: str, base: _State) -> float:
        assert base.mrd is not None
        if cat in CR_FAMILY:
            return _sig(base.mrd * 10 ** self.d.r.uniform(-2.5, -0.5), 3)
        return _sig(base.mrd * self.d.r.uniform(0.6, 2.0), 3)

    def adverse_events(
        self,
        dlt_start: date | None,
        dlt_visit: str,
        drop: date | None,
        died: date | None,
        crs_events: list[tuple[date, str]],
    ) -> bool:
        """Typical AEs of talazoparib + NK cells, and a DLT (docs/clinical-rules.md "DLT") with the
        scenario's probability once the DLT window has started; returns whether one occurred.
        Look-alikes that are *not* DLTs are included on purpose (exemptions of §6)."""
        d = self.d
        end = min(drop or self.cut, self.cut)

        def ok(onset: date) -> bool:
            return self.enrol <= onset <= end

        onset = self.day(d.i(2, 20))
        if d.p(0.6) and ok(onset):
            self.ae(
                onset,
                term="Nausea",
                ctcae_grade=d.i(1, 2),
                attribution_talazoparib=d.pick(["possible", "probable"]),
                resolution_date=_iso(onset + timedelta(days=d.i(3, 14))),
            )
        onset = self.day(d.i(5, 40))
        if d.p(0.4) and ok(onset):
            self.ae(
                onset,
                term="Fatigue",
                ctcae_grade=2,
                attribution_talazoparib="possible",
                outcome="recovering",
            )
        onset = self.day(d.i(9, 40))
        if self.overt and d.p(0.5) and ok(onset):
            # an infection judged disease-related is exempt from the DLT definition
            self.ae(
                onset,
                term="Febrile neutropenia",
                ctcae_grade=3,
                serious=True,
                attribution_talazoparib="possible",
                disease_related=True,
                resolution_date=_iso(onset + timedelta(days=d.i(4, 10))),
            )
        onset = self.day(d.i(10, 50))
        if d.p(0.35 if self.overt else 0.15) and ok(onset):
            self.ae(
                onset,
                term=d.pick(["Anemia", "Platelet count decreased"]),
                ctcae_grade=3,
                category="hematologic",
                attribution_talazoparib="probable",
                outcome="recovering",
            )
        if dlt_start is not None and d.p(0.2) and ok(dlt_start):
            self.ae(
                dlt_start,
                term="Infusion related reaction",
                ctcae_grade=d.i(1, 2),
                category="infusion_reaction",
                attribution_nk="probable",
                resolution_date=_iso(dlt_start + timedelta(days=1)),
            )
        onset = self.day(d.i(3, 30))
        if d.p(0.12) and ok(onset):
            # grade 3 nausea controlled within 72 h: exempt
            self.ae(
                onset,
                term="Nausea",
                ctcae_grade=3,
                attribution_talazoparib="probable",
                controlled_within_hours=d.i(6, 48),
                resolution_date=_iso(onset + timedelta(days=3)),
            )
        for onset, visit in crs_events:
            if ok(onset):
                self.crs(onset, visit, 1)
        kind = d.weighted({"alt": 0.3, "pneumonitis": 0.2, "crs": 0.3, "diarrhea": 0.2})
        window = self.p.safety.dlt.window_days
        dlt = False
        if dlt_start is not None and d.p(self.sc.dlt_rate):
            onset = dlt_start + timedelta(days=1 if kind == "crs" else d.i(1, min(window - 2, 20)))
            if ok(onset):
                dlt = True
                if kind == "crs":
                    self.crs(onset, dlt_visit, 3)
                elif kind == "alt":
                    self.ae(
                        onset,
                        term="Alanine aminotransferase increased",
                        ctcae_grade=3,
                        attribution_talazoparib="probable",
                        resolution_date=_iso(onset + timedelta(days=d.i(7, 20))),
                    )
                elif kind == "pneumonitis":
                    self.ae(
                        onset,
                        term="Pneumonitis",
                        ctcae_grade=3,
                        serious=True,
                        attribution_nk="possible",
                        outcome="recovering",
                    )
                else:  # grade 3 diarrhoea not controlled within 72 h: no exemption
                    self.ae(
                        onset,
                        term="Diarrhea",
                        ctcae_grade=3,
                        attribution_talazoparib="probable",
                        controlled_within_hours=d.i(96, 168),
                        resolution_date=_iso(onset + timedelta(days=8)),
                    )
        if died is not None:
            self.ae(
                died - timedelta(days=2),
                term="Sepsis",
                ctcae_grade=5,
                serious=True,
                attribution_talazoparib="unlikely",
                attribution_nk="unlikely",
                disease_related=True,
                outcome="fatal",
            )
        return dlt

    def miss_follow_up(self, eot_day: date, first: int, reason: str) -> None:
        fu = self.p.schedule.follow_up
        k = first
        while k * fu.interval_days <= fu.duration_days:
            target = eot_day + timedelta(days=k * fu.interval_days)
            if target - timedelta(days=fu.window_days) > self.cut:
                break
            self.missed.append((f"FU{k}", reason))
            k += 1

    def follow_up(
        self, responder: bool, in_remission: bool, eot_day: date, relapse: date | None
    ) -> tuple[date | None, date | None, str]:
        """Follow-up visits until death, the end of follow-up or the data cut; returns the
        reported death date, relapse date and end-of-study reason."""
        d = self.d
        fu = self.p.schedule.follow_up
        median = 700 if responder else 220
        death = eot_day + timedelta(days=30 + int(d.r.expovariate(math.log(2) / median)))
        reported = relapse is not None
        if in_remission and d.p(0.35):
            relapse = eot_day + timedelta(days=d.i(40, 500))
        transplant = in_remission and d.p(0.3)
        k = 1
        while k * fu.interval_days <= fu.duration_days:
            target = eot_day + timedelta(days=k * fu.interval_days)
            if target > self.cut:
                return None, (relapse if reported else None), ""
            values: dict[str, Any] = {"contact_date": _iso(target), "vital_status": "alive"}
            if death <= target:
                values.update(
                    contact_date=_iso(death),
                    vital_status="dead",
                    death_date=_iso(death),
                    death_cause="leukaemia" if d.p(0.8) else "infection",
                    disease_status="persistent_disease"
                    if not in_remission or reported
                    else "unknown",
                )
                self.add(target, f"FU{k}", "follow_up", values)
                self.end_of_study("death", death)
                self.miss_follow_up(eot_day, k + 1, "off study (death)")
                return death, (relapse if reported else None), "death"
            if relapse is not None and relapse <= target and not reported:
                values.update(
                    disease_status="relapse",
                    relapse_date=_iso(relapse),
                    new_therapy=True,
                    new_therapy_start_date=_iso(min(relapse + timedelta(days=10), target)),
                    new_therapy_details="azacitidine + venetoclax",
                )
                reported = True
            elif reported or not in_remission:
                values["disease_status"] = "persistent_disease"
            else:
                values["disease_status"] = "remission"
                if transplant and k == 1:
                    values["transplant"] = True
                    values["transplant_date"] = _iso(target - timedelta(days=d.i(20, 60)))
            values["disease_assessment"] = "blood_counts"  # a remission assessment (EFS censoring)
            self.add(target, f"FU{k}", "follow_up", values)
            last = target
            k += 1
        if k == 1:
            return None, (relapse if reported else None), ""
        self.end_of_study("completed", last)
        return None, (relapse if reported else None), "completed"

    def course(
        self,
        best: str | None,
        assessed: list[str],
        changes: list[float | None],
        drop: str,
        death: date | None,
    ) -> str:
        """One line describing the course (for people reading a patient plan)."""
        if drop:
            text = "early " + ("death" if drop == "death" else "withdrawal") + ", not assessed"
        elif self.overt:
            text = f"best {best} ({' > '.join(assessed)})"
        else:
            shown = ["undetectable" if c is None else f"{c:+.2f}" for c in changes]
            text = "MRD log10 change " + ", ".join(shown)
        if self.product_failed:
            text += "; NK product failed"
        if death is not None:
            text += f"; died {death.isoformat()}"
        return text


def _drop_text(reason: str, when: date) -> str:
    if reason == "death":
        return f"subject died on {when.isoformat()}"
    return f"subject withdrew consent on {when.isoformat()}"


# =========================================================================== the trial
def generate_trial(
    scenario: Scenario | None = None,
    data_cut: date | None = None,
    protocol: Protocol | None = None,
) -> VirtualTrial:
    """Plan a virtual trial: screen patients until each cohort has `patients_per_cohort`
    enrolled, then write every patient's casebook up to the data cut (default today).

    The data cut falls `CUT_MARGIN_DAYS` after the last patient's end-of-treatment window, so
    every enrolled patient has a primary-endpoint assessment.
    """
    sc = scenario or Scenario()
    proto = protocol or load_protocol()
    cut = data_cut or date.today()
    d = _Draw(sc.seed)
    cohorts = {c.code: c for c in proto.cohorts}
    window = proto.schedule.screening_window_days

    # pass 1: arrivals, cohorts, failures and enrolment days (the calendar depends on these only)
    need = {code: sc.patients_per_cohort for code in cohorts}
    slots: list[tuple[int, str, str | None, int]] = []  # (consent day, cohort, failure, +days)
    day = 0
    while any(need.values()):
        open_codes = [c for c, n in need.items() if n > 0]
        code = d.r.choices(open_codes, weights=[need[c] for c in open_codes])[0]
        kinds = OVERT_FAILURES if cohorts[code].overt_entry is not None else MRD_FAILURES
        failure = d.pick(kinds) if d.p(sc.screen_failure_rate) else None
        offset = d.i(3, 10) if failure else d.i(5, min(20, window))
        slots.append((day, code, failure, offset))
        if failure is None:
            need[code] -= 1
        day += d.i(3, 14)
    eot = proto.schedule.visits[-1]
    last_enrol = max(c + o for c, _, f, o in slots if f is None)
    cut_day = last_enrol + eot.day - 1 + eot.window_after + CUT_MARGIN_DAYS
    start = cut - timedelta(days=cut_day)

    # pass 2: screening values, courses
    cases: list[ScreeningCase] = []
    for idx, (cday, code, failure, offset) in enumerate(slots):
        consent = start + timedelta(days=cday)
        c = cohorts[code]
        overt = c.overt_entry is not None
        values = (_overt_screening if overt else _mrd_screening)(d, consent, proto, c)
        if failure:
            _break(values, failure, d, proto, c)
        missing = ("ecog", "creatinine_clearance_ml_min") if d.p(sc.partial_screening_rate) else ()
        outcome = consent + timedelta(days=offset)
        patient = None
        if failure is None:
            responder = d.p(sc.overt_response_rate if overt else sc.mrd_response_rate)
            dropout = not responder and d.p(sc.early_dropout_rate)
            builder = _PatientBuilder(d, proto, c, sc, values, outcome, cut)
            patient = builder.build(responder, dropout)
        kinds = OVERT_FAILURES if overt else MRD_FAILURES
        cases.append(
            ScreeningCase(
                index=idx,
                intended_cohort=code,
                consent_date=consent,
                values=MappingProxyType(values),
                initially_missing=missing,
                failure=failure,
                failure_field=kinds.get(failure or "", ""),
                outcome_date=outcome,
                patient=patient,
                monitor_query=_SCREENING_QUERY if idx == 1 else None,
            )
        )
    return VirtualTrial(sc, start, cut, tuple(_plant_data_management(cases)))


_SCREENING_QUERY = (
    "days_since_last_therapy",
    "Please confirm the date of the last anti-leukaemic therapy against the source.",
    "Confirmed against the discharge letter; the value is correct.",
)
_MARROW_QUERY = (
    "bm_blasts_pct",
    "Please confirm the marrow blast percentage against the pathology report.",
    "Confirmed: the value matches the pathology report.",
)
TYPO_REASON = "transcription error (decimal place); corrected from the lab report"


def _plant_data_management(cases: list[ScreeningCase]) -> list[ScreeningCase]:
    """The data-management events of a real trial, per cohort: one transcription error that a
    soft edit check catches (platelets x 10) and the site corrects, and one monitor query on a
    post-baseline marrow result that the investigator answers."""
    typo: set[str] = set()
    query: set[str] = set()
    out = []
    for case in cases:
        p = case.patient
        if p is None:
            out.append(case)
            continue
        entries = list(p.entries)
        for j, e in enumerate(entries):
            if p.cohort not in typo and e.form_code == "haematology":
                if float(e.values["platelets"]) >= 110:
                    wrong = {**e.values, "platelets": float(e.values["platelets"]) * 10}
                    entries[j] = replace(
                        e, first_values=MappingProxyType(wrong), correction_reason=TYPO_REASON
                    )
                    typo.add(p.cohort)
            elif (
                p.cohort not in query
                and e.form_code == "marrow"
                and e.entry_date > p.enrolment_date
            ):
                entries[j] = replace(e, monitor_query=_MARROW_QUERY)
                query.add(p.cohort)
        out.append(replace(case, patient=replace(p, entries=tuple(entries))))
    return out


def iter_entries(trial: VirtualTrial) -> Iterator[tuple[ScreeningCase, FormEntry]]:
    """Every planned form entry of the trial with its screening case, in date order."""
    pairs = [(s, e) for s in trial.screenings if s.patient for e in s.patient.entries]
    return iter(sorted(pairs, key=lambda t: (t[1].entry_date, t[0].index)))
