"""What counts as a protocol deviation (`nakip.clinical.deviations`), at every edge: the visit
window (protocol schedule, edges inclusive, no study day 0), missed visits, eligibility,
consent before treatment (ICH E6(R3) 2.8) and the late-visit rule that lists a visit once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from nakip.clinical.deviations import (
    FORM,
    RecordedEntry,
    VisitWindow,
    enrolled_not_eligible,
    schedule_windows,
    subject_deviations,
    treated_before_consent,
    window_deviation,
)
from nakip.protocol import load_protocol

DAY1 = date(2026, 1, 12)
C2D1 = VisitWindow("C2D1", 29, 3, 3)  # 2026-02-09, window 02-06 .. 02-12
SCREEN = VisitWindow("C1D1", 1, 2, 0)  # window 2026-01-10 .. 01-12 (study days -2 .. 1)


@pytest.mark.parametrize(
    ("visit", "offset", "days_outside"),
    [
        (C2D1, 24, -1),  # 02-05: one day before the window
        (C2D1, 25, None),  # 02-06: first day, inside
        (C2D1, 31, None),  # 02-12: last day, inside
        (C2D1, 32, 1),  # 02-13: one day after
        (SCREEN, -3, -1),  # 01-09, study day -3: the window opens on study day -2
        (SCREEN, -2, None),  # 01-10 inside although study day -2 (no day 0 in between)
        (SCREEN, 1, 1),  # 01-13, study day 2
    ],
)
def test_window_edges(visit: VisitWindow, offset: int, days_outside: int | None) -> None:
    found = window_deviation(visit, DAY1, DAY1 + timedelta(days=offset))
    assert (found.days_outside if found else None) == days_outside
    if found:
        side = "before" if days_outside < 0 else "after"
        assert found.kind == f"{side} the visit window" and found.category == "visit window"


def test_eligibility_and_consent_findings() -> None:
    assert enrolled_not_eligible(True, False, "IN5").description.endswith("(IN5)")
    assert enrolled_not_eligible(True, None, "") is None  # undetermined is not a finding
    assert enrolled_not_eligible(False, False, "IN5") is None  # screen failure, not enrolled
    assert enrolled_not_eligible(True, True, "") is None
    assert treated_before_consent(date(2026, 1, 5), date(2026, 1, 6)) is not None
    assert treated_before_consent(date(2026, 1, 6), date(2026, 1, 6)) is None  # same day
    assert treated_before_consent(None, date(2026, 1, 6)) is None


def test_one_finding_per_visit_and_date_and_late_visit_listed_once() -> None:
    late = DAY1 + timedelta(days=33)
    found = subject_deviations(
        day1=DAY1,
        visits=[SCREEN, C2D1, VisitWindow("C4D1", 85, 3, 3)],
        assessed={"C2D1": [late, late, late], "C4D1": [DAY1 + timedelta(days=90)]},
        missed={"C1D1": "no transport"},
        recorded=[RecordedEntry("late_visit", "minor", "C4D1 late", "C4D1")],
    )
    assert [(d.category, d.visit_code, d.source) for d in found] == [
        ("late visit", "C4D1", FORM),  # the window finding of C4D1 is not repeated
        ("visit missed", "C1D1", "data check"),
        ("visit window", "C2D1", "data check"),  # three forms on one date: one finding
    ]


def test_follow_up_visits_have_windows() -> None:
    protocol = load_protocol()
    windows = {w.code: w for w in schedule_windows(protocol, "overt")}
    fu = protocol.schedule.follow_up
    assert windows["FU1"].window_before == windows["FU1"].window_after == fu.window_days
    last_treatment = [v for v in protocol.schedule.visits if "overt" in v.cohorts][-1]
    assert windows["FU1"].day == last_treatment.day + fu.interval_days
