"""ADSL: one row per enrolled subject — dates, populations, responders, disposition."""

from __future__ import annotations

from datetime import date
from typing import Any

from nakip.edc.datasets import subject_facts as facts
from nakip.edc.datasets.frames import keys
from nakip.edc.datasets.source import SubjectSource

#: end-of-study reason -> disposition category of the dictionary
_DISPOSITION = {
    "completed": "completed",
    "death": "died",
    "lost_to_follow_up": "lost to follow-up",
}


def disposition(death_date: date | None, end_reason: str | None) -> str:
    """Disposition at the cut-off: died, completed, lost to follow-up, withdrawn (any other
    end-of-study reason) or ongoing (no end of study)."""
    if death_date is not None:
        return "died"
    if end_reason is None:
        return "ongoing"
    return _DISPOSITION.get(end_reason, "withdrawn")


def _death_cause(src: SubjectSource) -> str | None:
    for rec in src.records:
        if rec.form_code == "follow_up" and rec.values.get("death_cause"):
            return rec.values["death_cause"]
    return None


def adsl_row(src: SubjectSource) -> dict[str, Any]:
    """The ADSL row of one subject."""
    d, p, recs, subject = src.derivation, src.protocol, src.records, src.subject
    overt = p.cohort(subject.cohort).primary_endpoint.kind == "eln2022_response"
    eln_evaluable = any(r.category != "NE" for r in d.responses)
    evaluable = eln_evaluable if overt else bool(d.mrd_evaluable)
    return {
        **keys(subject, src.usubjid),
        "screening_number": subject.screening.screening_number,
        "consent_date": subject.screening.consent_date,
        "enrolment_date": subject.enrolment_date,
        "treatment_start_date": d.treatment_start_date,
        "first_nk_date": d.first_nk_date,
        "nk_infusions": facts.nk_infusions(recs),
        "enrolled_fl": True,
        "treated_fl": d.treatment_start_date is not None or d.first_nk_date is not None,
        "response_evaluable_fl": evaluable,
        "dlt_evaluable_fl": facts.dlt_evaluable(d, src.as_of),
        "best_response": d.best_response if overt else mrd_category(src),
        "responder": d.responder,
        "responder_cr": d.responder_cr,
        "responder_cr_cri": d.responder_cr_cri,
        "responder_cr_crh_cri": d.responder_cr_crh_cri,
        "mrd_responder": d.mrd_responder,
        "mrd_evaluable": d.mrd_evaluable,
        "mrd_negative": d.mrd_negative,
        "best_mrd_log10_change": d.best_mrd_log10_change,
        "remission_date": d.remission_date,
        "relapse_date": d.relapse_date,
        "has_dlt": d.has_dlt,
        "feasibility_failure": d.feasibility_failure,
        "death_date": d.death_date,
        "death_cause": _death_cause(src),
        "last_known_alive_date": d.last_known_alive_date,
        "last_assessment_date": d.last_assessment_date,
        "end_of_study_date": d.end_of_study_date,
        "end_of_study_reason": d.end_of_study_reason,
        "disposition": disposition(d.death_date, d.end_of_study_reason),
        "locked": src.locked,
        "data_cutoff": src.cutoff,
    }


MRD_CATEGORIES = (
    "> 1 log10 decrease",
    "decrease <= 1 log10",
    "no decrease",
    "haematological relapse",
    "not assessed",
)


def mrd_category(src: SubjectSource) -> str:
    """MRD best response of the mrd cohort in words, as the trial summary counts it: not
    assessed (no response-assessment sample), > 1 log10 decrease (responder), haematological
    relapse, a smaller decrease, or no decrease."""
    d = src.derivation
    ra = [p for p in d.mrd if p.response_assessment]
    if not ra:
        return MRD_CATEGORIES[4]
    if any(p.responder for p in ra):
        return MRD_CATEGORIES[0]
    if d.relapse_date is not None:
        return MRD_CATEGORIES[3]
    changes = [p.log10_change for p in ra if p.log10_change is not None]
    return MRD_CATEGORIES[1] if changes and min(changes) < 0 else MRD_CATEGORIES[2]
