"""ADLB: every graded blood-count value with its CTCAE v5.0 grade and baseline grade."""

from __future__ import annotations

from typing import Any

from nakip.edc.datasets.frames import keys, study_day
from nakip.edc.datasets.source import SubjectSource


def _units(src: SubjectSource, version: int) -> dict[str, str | None]:
    """Unit of each haematology field as the record's form version defines it."""
    return {f.name: f.unit for f in src.protocol.form("haematology", version).fields}


def adlb_rows(src: SubjectSource) -> list[dict[str, Any]]:
    """The ADLB rows of one subject, one per graded blood-count value."""
    base = keys(src.subject, src.usubjid)
    day1 = src.subject.enrolment_date
    units = {r.pk: _units(src, r.form_version) for r in src.of("haematology")}
    return [
        {
            **base,
            "record_id": g.record_id,
            "visit_code": g.visit_code,
            "sample_date": g.sample_date,
            "study_day": study_day(day1, g.sample_date),
            "paramcd": g.field,
            "term": g.term,
            "value": g.value,
            "unit": units.get(g.record_id, {}).get(g.field),
            "grade": g.grade,
            "baseline_grade": g.baseline_grade,
            "worsened": g.worsened,
        }
        for g in src.derivation.lab_grades
    ]
