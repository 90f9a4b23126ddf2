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

import numpy as np

from nakip.protocol import Protocol, load_protocol
from nakip.protocol.model import Cohort, Visit
from nakip.sim.cohort import ModelCohort, simulate_cohort
from nakip.sim.enrolment import TrialEvent, plan_enrolment
from nakip.sim.model import Schedule
from nakip.sim.scenario import DEFAULT_SCENARIO, TrialScenario, get_scenario

#: ELN 2022 categories from best to worst (clinical-reference §2, "best response").
ELN_ORDER = ("CR", "CRh", "CRi", "MLFS", "PR", "SD", "PD")
#: Categories whose marrow is clear (< 5 % blasts, no blood blasts, no EMD).
CR_FAMILY = ("CR", "CRh", "CRi", "MLFS")
#: Best-response order of the ELN 2022 categories including not evaluable.
_RANK_ORDER = (*ELN_ORDER, "NE")
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
    """What to simulate: patients requested per cohort, the seed, the named scenario of
    `scenarios.yaml` (true rates per cohort), whether the monitoring rules act, and the share
    of screenings entered incomplete first; `screen_failure_rate` overrides the scenario's."""

    patients_per_cohort: int = 27
    seed: int = 2026
    scenario: str = DEFAULT_SCENARIO
    monitoring: bool = True
    partial_screening_rate: float = 0.15
    screen_failure_rate: float | None = None

    def __post_init__(self) -> None:
        if (
            isinstance(self.patients_per_cohort, bool)
            or int(self.patients_per_cohort) != self.patients_per_cohort
            or not 1 <= self.patients_per_cohort <= 500
        ):
            raise ValueError(
                f"patients_per_cohort must be an integer in 1..500, got {self.patients_per_cohort}"
            )
        for name in ("partial_screening_rate", "screen_failure_rate"):
            v = getattr(self, name)
            if v is not None and not 0.0 <= v < 0.95:
                raise ValueError(f"{name} must lie in [0, 0.95), got {v}")
        get_scenario(self.scenario)  # ScenarioError (a ValueError) names the known scenarios

    @property
    def truth(self) -> TrialScenario:
        return get_scenario(self.scenario)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "truth": self.truth.to_dict()}


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
    dlt_window_start: date | None
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
    events: tuple[TrialEvent, ...] = ()

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
            "events": [self.event_dict(e) for e in self.events],
        }

    def event_date(self, e: TrialEvent) -> date:
        return self.start_date + timedelta(days=e.day)

    def event_dict(self, e: TrialEvent) -> dict[str, Any]:
        return {**e.to_dict(), "date": self.event_date(e).isoformat()}


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


_FORM_ORDER = ("marrow", "emd", "mrd", "haematology", "talazoparib", "nk_infusion", "icans")


class _PatientBuilder:
    """Writes one enrolled patient's dated entries by walking the protocol's visit schedule,
    every disease value and dose read off its model patient (`ModelCohort`, index `k`)."""

    def __init__(
        self,
        d: _Draw,
        protocol: Protocol,
        cohort: Cohort,
        screening: Mapping[str, Any],
        enrol: date,
        cut: date,
        model: ModelCohort,
        k: int,
    ) -> None:
        self.d, self.p, self.c = d, protocol, cohort
        self.scr = screening
        self.enrol, self.cut = enrol, cut
        self.m, self.k = model, k
        self.reads = model.patient(k)
        self.outcome = model.outcomes[k]
        self.overt = cohort.overt_entry is not None
        self.entries: list[FormEntry] = []
        self.missed: list[tuple[str, str]] = []
        self.visits = list(protocol.schedule.visits)
        self.weight = float(model.weight_kg[k])
        self.assay = str(model.assays.assay[k])
        self.marker = str(screening.get("mrd_marker") or _MRD_MARKERS[self.assay][0])
        if screening.get("mrd_assay") != self.assay:
            self.marker = _MRD_MARKERS[self.assay][0]
        self.lod = float(model.assays.lod[k])
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

    def talazoparib(self, v: Visit, cycle: int, when: date, stops: bool) -> None:
        """One cycle's dosing as the model gave it: the dose level (reduced after grade-4
        counts), an interruption in the second week; a short last period when the visit
        ends treatment."""
        tal = self.p.treatment.talazoparib
        dosing = self.m.course.dosing
        level = float(tal.dose_levels_mg[int(dosing.level[self.k, cycle])])
        reduce = bool(dosing.reduced[self.k, cycle]) and not stops
        values: dict[str, Any] = {
            "period_start": _iso(when),
            "period_end": _iso(when + timedelta(days=3 if stops else tal.cycle_length_days - 1)),
            "daily_dose_mg": "1.0" if level == 1 else f"{level:g}",
            "interrupted": False,
            "reduced": reduce,
            "doses_missed": 0,
        }
        days = int(dosing.interruption_days[self.k, cycle])
        if not stops and days:
            values["interrupted"] = True
            values["interruption_days"] = values["doses_missed"] = days
            values["interruption_reason"] = self.d.pick(["adverse_event", "logistics"])
        if reduce:
            values["reduction_reason"] = "adverse_event"
        self.add(when, v.code, "talazoparib", values)

    def nk_infusion(self, j: int, when: date) -> tuple[bool, dict]:
        """NK-cell product `j` as manufactured for the model patient (dose, viability; not
        made, under-dosed or under the minimum viability when it failed)."""
        pr = self.m.products
        values: dict[str, Any] = {
            "infusion_date": _iso(when),
            "infusion_number": j + 1,
            "body_weight_kg": self.weight,
        }
        failed = bool(self.m.product_failure[self.k]) and int(self.m.failed_infusion[self.k]) == j
        self.product_failed = self.product_failed or failed
        if not pr.given[self.k, j]:
            values.update(given=False, not_given_reason="manufacturing_failure")
            return False, values
        values.update(
            given=True,
            cell_dose_per_kg=float(pr.dose_per_kg[self.k, j]),
            viability_pct=float(pr.viability_pct[self.k, j]),
            infusion_reaction_grade=0,
        )
        return True, values

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
    def state(self, code: str) -> _State:
        """The model's readout at a visit as the forms record it."""
        r = self.reads[code]
        return _State(
            bm=r["bm_blasts_pct"],
            pb=r["pb_blasts_pct"],
            anc=r["anc"],
            plt=r["platelets"],
            hb=r["haemoglobin"],
            wbc=r["wbc"],
            lym=r["lymphocytes"],
            mrd=r["mrd_value"],
            cellularity=r["cellularity_pct"],
        )

    # ----------------------------------------------------------------- the course
    def build(self) -> VirtualPatient:
        d = self.d
        out = self.outcome
        dropout = bool(self.m.dropout[self.k])
        drop: date | None = None
        drop_reason = ""
        if dropout:
            first_ra = next((v for v in self.visits if v.response_assessment), self.visits[-1])
            last_day = max(13, first_ra.day - first_ra.window_before - 2)
            drop = self.day(d.i(12, last_day) - 1)
            drop_reason = d.pick(["death", "withdrawal_by_subject"])
        crs_visit_chance = [d.p(0.2) for _ in self.p.treatment.nk_cells.infusion_days]

        dlt_start: date | None = None
        dlt_visit = ""
        infusions: list[bool] = []
        crs_events: list[tuple[date, str]] = []
        relapse: date | None = None
        cleared = False
        stopped = ""
        assessed = 0
        cycle = 0
        nadir = float(self.reads[self.visits[0].code]["anc"])
        for v in self.visits:
            when = self.enrol if v.day == 1 else self.when(v)
            if drop is not None and when >= drop:
                self.missed.append((v.code, _drop_text(drop_reason, drop)))
                continue
            if stopped:
                self.missed.append((v.code, stopped))
                continue
            s = self.state(v.code)
            nadir = min(nadir, s.anc)
            stops = v.code == out.stopped_at
            if v.response_assessment:
                cat = out.categories[assessed]
                assessed += 1
                if cleared and (s.bm or 0.0) >= 5.0 and relapse is None:
                    relapse = when
                cleared = cleared or cat in CR_FAMILY[:3]
                if stops and not self.overt:
                    relapse = when
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
                    self.talazoparib(v, cycle, when, stops)
                    cycle += 1
                elif form == "nk_infusion":
                    j = len(infusions)
                    given, values = self.nk_infusion(j, when)
                    infusions.append(given)
                    self.add(when, v.code, form, values)
                    if given and dlt_start is None:
                        dlt_start, dlt_visit = when, v.code
                    if given and crs_visit_chance[j]:
                        crs_events.append((when + timedelta(days=1), v.code))
                elif form == "icans" and any(infusions):
                    self.add(when, v.code, form, self.icans(when + timedelta(days=1)))
            if stops:
                what = "progressive disease" if self.overt else "haematological relapse"
                stopped = f"treatment discontinued: {what} at {v.code}"

        died_early = drop if drop_reason == "death" else None
        dlt = self.adverse_events(dlt_start, dlt_visit, drop, died_early, crs_events, nadir)
        eot = self.visits[-1]
        eot_day = self.day(eot.day - 1)
        responder = out.responder
        if drop is not None:
            details = "died of sepsis in cycle 1" if died_early else "withdrew consent in cycle 1"
            self.end_of_study(drop_reason, drop, details)
            self.miss_follow_up(eot_day, 1, f"off study ({drop_reason})")
            death, off_study = died_early, drop_reason
        else:
            in_remission = relapse is None and (cleared if self.overt else not out.stopped_at)
            death, relapse, off_study = self.follow_up(responder, in_remission, eot_day, relapse)

        evaluable = assessed > 0
        best = None
        if self.overt and evaluable:
            best = min(out.categories, key=_RANK_ORDER.index)
        truth = PatientTruth(
            responder=responder,
            best_response=best,
            mrd_responder=responder if not self.overt and evaluable else None,
            evaluable=evaluable,
            dlt=dlt,
            dlt_window_start=dlt_start,
            feasibility_failure=self.product_failed,
            death_date=death,
            relapse_date=relapse,
            off_study=off_study or None,
            course=self.course(best, list(out.categories), drop_reason, death),
        )
        entries = tuple(sorted(self.entries, key=lambda e: e.entry_date))
        return VirtualPatient(self.c.code, self.enrol, entries, tuple(self.missed), truth)

    def adverse_events(
        self,
        dlt_start: date | None,
        dlt_visit: str,
        drop: date | None,
        died: date | None,
        crs_events: list[tuple[date, str]],
        anc_nadir: float,
    ) -> bool:
        """Typical AEs of talazoparib + NK cells — febrile neutropenia likelier when the model's
        ANC fell below 0.5 — and the model patient's DLT (drawn at the scenario's rate,
        clinical-reference §6) once the DLT window has started; returns whether one occurred.
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
        if d.p(0.6 if anc_nadir < 0.5 else 0.05) and ok(onset):
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
        if dlt_start is not None and bool(self.m.dlt[self.k]):
            onset = dlt_start + timedelta(days=1 if kind == "crs" else d.i(1, min(window - 2, 20)))
            if drop is not None:  # a patient who left early had the DLT before leaving
                onset = min(onset, drop - timedelta(days=1))
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
        drop: str,
        death: date | None,
    ) -> str:
        """One line describing the course (for people reading a patient plan)."""
        if drop:
            text = "early " + ("death" if drop == "death" else "withdrawal") + ", not assessed"
        elif self.overt:
            text = f"best {best} ({' > '.join(assessed)})"
        else:
            text = "MRD " + " > ".join(
                "responding (> 1 log10 fall)" if c == "MRD-resp" else "not responding"
                for c in assessed
            )
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
    """Plan a virtual trial: the model patients of each cohort first (`simulate_cohort`: their
    biology decides every outcome), then arrivals and screening until each cohort has
    `patients_per_cohort` enrolled or a monitoring rule closed it (`plan_enrolment`), then
    every enrolled patient's casebook written from the model's readouts up to the data cut
    (default today).

    The data cut falls `CUT_MARGIN_DAYS` after the last patient's end-of-treatment window, so
    every enrolled patient has a primary-endpoint assessment.
    """
    sc = scenario or Scenario()
    truth = sc.truth
    proto = protocol or load_protocol()
    cut = data_cut or date.today()
    d = _Draw(sc.seed)
    rng = np.random.default_rng(sc.seed)
    cohorts = {c.code: c for c in proto.cohorts}
    schedule = Schedule.from_protocol(proto)
    models = {
        code: simulate_cohort(
            c, sc.patients_per_cohort, truth.cohorts[code].rates, rng, proto, schedule
        )
        for code, c in cohorts.items()
    }

    def failure_kind(code: str) -> str:
        return d.pick(OVERT_FAILURES if cohorts[code].overt_entry is not None else MRD_FAILURES)

    need = {code: sc.patients_per_cohort for code in cohorts}
    slots, events = plan_enrolment(
        d.r,
        proto,
        models,
        need,
        truth.screen_failure_rate if sc.screen_failure_rate is None else sc.screen_failure_rate,
        failure_kind,
        sc.monitoring,
    )
    eot = proto.schedule.visits[-1]
    last_enrol = max(s.consent_day + s.offset for s in slots if s.failure is None)
    cut_day = last_enrol + eot.day - 1 + eot.window_after + CUT_MARGIN_DAYS
    cut_day = max([cut_day, *(e.day + CUT_MARGIN_DAYS for e in events)])
    start = cut - timedelta(days=cut_day)

    cases: list[ScreeningCase] = []
    for idx, slot in enumerate(slots):
        consent = start + timedelta(days=slot.consent_day)
        c = cohorts[slot.cohort]
        overt = c.overt_entry is not None
        values = (_overt_screening if overt else _mrd_screening)(d, consent, proto, c)
        outcome = consent + timedelta(days=slot.offset)
        patient = None
        if slot.failure:
            _break(values, slot.failure, d, proto, c)
        else:
            assert slot.model_index is not None
            model = models[slot.cohort]
            _model_screening(values, model, slot.model_index, outcome, overt)
            builder = _PatientBuilder(d, proto, c, values, outcome, cut, model, slot.model_index)
            patient = builder.build()
        missing = ("ecog", "creatinine_clearance_ml_min") if d.p(sc.partial_screening_rate) else ()
        kinds = OVERT_FAILURES if overt else MRD_FAILURES
        cases.append(
            ScreeningCase(
                index=idx,
                intended_cohort=slot.cohort,
                consent_date=consent,
                values=MappingProxyType(values),
                initially_missing=missing,
                failure=slot.failure,
                failure_field=kinds.get(slot.failure or "", ""),
                outcome_date=outcome,
                patient=patient,
                monitor_query=_SCREENING_QUERY if idx == 1 else None,
            )
        )
    return VirtualTrial(sc, start, cut, tuple(_plant_data_management(cases)), tuple(events))


def _model_screening(
    values: dict[str, Any], model: ModelCohort, k: int, enrol: date, overt: bool
) -> None:
    """Screening values of an enrolled patient taken from its model patient's baseline, so the
    disease the site screened is the disease the model treats."""
    b = model.baseline
    values["anc"] = round(float(b.anc[k]), 2)
    values["platelets"] = round(float(b.platelets[k]))
    values["haemoglobin"] = round(float(b.haemoglobin[k]), 1)
    if overt:
        values["bm_blasts_pct"] = round(float(b.leukaemic_share[k]) * 100, 1)
        return
    assay = str(model.assays.assay[k])
    consent = date.fromisoformat(values["marrow_date"]) - timedelta(days=3)
    current_date = min(enrol - timedelta(days=int(model.mrd_days_before[k])), consent)
    fold = float(values["mrd_current_value"]) / float(values["mrd_reference_value"])
    current = float(model.mrd_current[k])
    values.update(
        mrd_assay=assay,
        mrd_marker=values["mrd_marker"] if values["mrd_assay"] == assay else _MRD_MARKERS[assay][0],
        mrd_current_value=current,
        mrd_current_date=_iso(current_date),
        mrd_reference_value=_sig(current / fold, 3),
        mrd_reference_date=_iso(current_date - timedelta(days=30)),
    )


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
