"""ADRS: every response assessment (ELN 2022 per visit, MRD change per sample) and the best
overall response per subject."""

from __future__ import annotations

from typing import Any

from nakip.edc.datasets import subject_facts as facts
from nakip.edc.datasets.adsl import mrd_category
from nakip.edc.datasets.frames import keys, study_day
from nakip.edc.datasets.source import SubjectSource


def adrs_rows(src: SubjectSource) -> list[dict[str, Any]]:
    """The ADRS rows of one subject: ELN 2022 per visit, MRD per sample, then the best response."""
    d, p, subject = src.derivation, src.protocol, src.subject
    base = keys(subject, src.usubjid)
    day1 = subject.enrolment_date
    rows: list[dict[str, Any]] = []
    for r in d.responses:
        rows.append(
            {
                **base,
                "paramcd": "ELNRESP",
                "visit_code": r.visit_code,
                "assessment_date": r.assessment_date,
                "study_day": study_day(day1, r.assessment_date),
                "category": r.category,
                "log10_change": None,
                "responder": facts.visit_responder(d, r, p),
                "evaluable": r.category != "NE",
                "response_assessment": True,
                "rule": r.rule,
            }
        )
    for m in d.mrd:
        rows.append(
            {
                **base,
                "paramcd": "MRDCHG",
                "visit_code": m.visit_code,
                "assessment_date": m.sample_date,
                "study_day": study_day(day1, m.sample_date),
                "category": None,
                "log10_change": m.log10_change,
                "responder": m.responder,
                "evaluable": m.evaluable,
                "response_assessment": m.response_assessment,
                "rule": m.rule,
            }
        )
    overt = p.cohort(subject.cohort).primary_endpoint.kind == "eln2022_response"
    if overt:
        best = d.best_response
        first = next((r for r in d.responses if r.category == best), None)
        rule = d.best_response_rule
        evaluable = best is not None and best != "NE"
    else:
        best = mrd_category(src)
        first = None
        rule = "ELN-MRD 2021: best log10 change over the response-assessment samples"
        evaluable = bool(d.mrd_evaluable)
    when = first.assessment_date if first else None
    rows.append(
        {
            **base,
            "paramcd": "BOR",
            "visit_code": first.visit_code if first else None,
            "assessment_date": when,
            "study_day": study_day(day1, when),
            "category": best,
            "log10_change": d.best_mrd_log10_change,
            "responder": d.responder,
            "evaluable": evaluable,
            "response_assessment": None,
            "rule": rule,
        }
    )
    return rows
