"""ADDV: the protocol deviations recorded on the deviation form, one row per deviation."""

from __future__ import annotations

from typing import Any

from nakip.edc.datasets.frames import keys, study_day
from nakip.edc.datasets.source import SubjectSource
from nakip.edc.deviations import DEVIATION_FORM, deviation_rows


def addv_rows(src: SubjectSource) -> list[dict[str, Any]]:
    """The ADDV rows of one subject (the listing rows of `nakip.edc.deviations`)."""
    base = keys(src.subject, src.usubjid)
    day1 = src.subject.enrolment_date
    return [
        {
            **base,
            "record_id": d.record_id,
            "deviation_date": d.deviation_date,
            "study_day": study_day(day1, d.deviation_date),
            "category": d.category,
            "severity": d.severity,
            "visit_code": d.visit_code,
            "description": d.description,
            "corrective_action": d.corrective_action,
        }
        for d in deviation_rows(src.of(DEVIATION_FORM))
    ]
