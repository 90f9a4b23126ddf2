"""ADSV: the subject visits as the deviation rule needs them (`nakip.clinical.deviations`):
one row per dated form record with its visit and clinical date, and one per visit declared
missed with the reason, so the reports find the deviations the EDC listing finds."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from nakip.edc.datasets.frames import keys, study_day
from nakip.edc.datasets.snapshot import record_date
from nakip.edc.datasets.source import SubjectSource
from nakip.edc.schedule import planned_visits, visit_states, visits_until


def adsv_rows(src: SubjectSource) -> list[dict[str, Any]]:
    """The ADSV rows of one subject at the data cut-off: its dated records (records after the
    cut-off are already dropped), then the visits the EDC shows as missed (declared missed and
    not complete; after leaving the study only visits whose window opened by then) whose
    window opened on or before the cut-off."""
    base = keys(src.subject, src.usubjid)
    day1 = src.subject.enrolment_date
    rows: list[dict[str, Any]] = []
    entered: dict[str, set[str]] = defaultdict(set)
    for r in src.records:
        entered[r.visit_code].add(r.form_code)
        when = record_date(src.protocol, r)
        if when is None or not r.visit_code:
            continue
        rows.append({**base, "visit_code": r.visit_code, "record_id": r.pk,
                     "form_code": r.form_code, "visit_date": when,
                     "study_day": study_day(day1, when), "missed": False,
                     "missed_reason": None})  # fmt: skip
    states = visit_states(
        planned_visits(src.subject.cohort, src.protocol), day1, src.as_of, entered, src.missed
    )
    for v in visits_until(states, src.derivation.left_study_date):
        if v.status != "missed" or (src.cutoff is not None and v.window_start > src.cutoff):
            continue
        rows.append({**base, "visit_code": v.visit.code, "record_id": None, "form_code": None,
                     "visit_date": None, "study_day": None, "missed": True,
                     "missed_reason": v.missed_reason})  # fmt: skip
    return rows
