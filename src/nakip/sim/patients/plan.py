"""The virtual trial as data: what to simulate (`Scenario`), and the plan the generator writes
— dated form entries, each patient's truth, screening cases and the trial — with the constants
the other modules share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from nakip.sim.enrolment import TrialEvent
from nakip.sim.scenario import DEFAULT_SCENARIO, TrialScenario, get_scenario

#: ELN 2022 categories from best to worst (docs/clinical-rules.md, "best response").
ELN_ORDER = ("CR", "CRh", "CRi", "MLFS", "PR", "SD", "PD")
#: Categories whose marrow is clear (< 5 % blasts, no blood blasts, no EMD).
CR_FAMILY = ("CR", "CRh", "CRi", "MLFS")
#: Best-response order of the ELN 2022 categories including not evaluable.
RANK_ORDER = (*ELN_ORDER, "NE")
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
    #: expedited reports of a serious adverse event (`sae_report` values without the AE id)
    sae_reports: tuple[Mapping[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry_date": self.entry_date.isoformat(),
            "visit_code": self.visit_code,
            "form_code": self.form_code,
            "values": dict(self.values),
            "first_values": None if self.first_values is None else dict(self.first_values),
            "correction_reason": self.correction_reason,
            "monitor_query": list(self.monitor_query) if self.monitor_query else None,
            "sae_reports": [dict(r) for r in self.sae_reports],
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
    serious_events: int = 0  # adverse events marked serious (each gets expedited reports)
    gvhd_grade: int = 0  # worst MAGIC acute GVHD grade (0 = none)

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
