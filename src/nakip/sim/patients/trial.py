"""A whole virtual trial: model patients first, then enrolment with the monitoring rules acting,
then each screened patient's screening values and each enrolled patient's casebook, with the
data-management events of a real trial planted (a corrected typo, monitor queries)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from types import MappingProxyType

import numpy as np

from nakip.protocol import Protocol, load_protocol
from nakip.sim.cohort import simulate_cohort
from nakip.sim.enrolment import plan_enrolment
from nakip.sim.model import Schedule
from nakip.sim.patients.course import PatientBuilder
from nakip.sim.patients.draws import Draw
from nakip.sim.patients.plan import (
    CUT_MARGIN_DAYS,
    MRD_FAILURES,
    OVERT_FAILURES,
    FormEntry,
    Scenario,
    ScreeningCase,
    VirtualTrial,
)
from nakip.sim.patients.screening import (
    break_screening,
    model_screening,
    mrd_screening,
    overt_screening,
)


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
    d = Draw(sc.seed)
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
        values = (overt_screening if overt else mrd_screening)(d, consent, proto, c)
        outcome = consent + timedelta(days=slot.offset)
        patient = None
        if slot.failure:
            break_screening(values, slot.failure, d, proto, c)
        else:
            assert slot.model_index is not None
            model = models[slot.cohort]
            model_screening(values, model, slot.model_index, outcome, overt)
            builder = PatientBuilder(d, proto, c, values, outcome, cut, model, slot.model_index)
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
