"""The visit schedule of a subject, computed from the protocol and the enrolment date.

Visit dates are study days from day 1 = enrolment (first talazoparib dose). Follow-up visits
FU1, FU2, ... fall every `follow_up.interval_days` after the last treatment visit until
`duration_days`. Status is computed, not stored: done / missed / expected / due / overdue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from nakip.protocol import Protocol, load_protocol

VisitStatusCode = Literal["expected", "due", "overdue", "done", "missed"]


@dataclass(frozen=True)
class PlannedVisit:
    """A visit of the schedule: code, study day, window (days before/after) and its forms.

    `expected_forms` are the forms every visit must have; the visit's repeating (event) forms,
    such as CRS or ICANS assessments, are entered only when the event occurs.
    """

    code: str
    name: str
    day: int
    window_before: int
    window_after: int
    forms: tuple[str, ...]
    response_assessment: bool
    follow_up: bool
    expected_forms: tuple[str, ...] = ()

    def target_date(self, day1: date) -> date:
        return day1 + timedelta(days=self.day - 1)

    def window(self, day1: date) -> tuple[date, date]:
        target = self.target_date(day1)
        return target - timedelta(days=self.window_before), target + timedelta(
            days=self.window_after
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "day": self.day,
            "window_before": self.window_before,
            "window_after": self.window_after,
            "forms": list(self.forms),
            "response_assessment": self.response_assessment,
            "follow_up": self.follow_up,
            "expected_forms": list(self.expected_forms),
        }


@dataclass(frozen=True)
class VisitState:
    """A subject's visit with its dates and computed status."""

    visit: PlannedVisit
    target_date: date
    window_start: date
    window_end: date
    status: VisitStatusCode
    forms_entered: tuple[str, ...]
    forms_missing: tuple[str, ...]
    missed_reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.visit.to_dict(),
            "target_date": self.target_date.isoformat(),
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "status": self.status,
            "forms_entered": list(self.forms_entered),
            "forms_missing": list(self.forms_missing),
            "missed_reason": self.missed_reason,
        }


#: (id of the protocol, cohort) -> (that protocol, its planned visits): the schedule is a pure
#: function of a frozen protocol, and every derivation and page asks for it again.
_PLANNED: dict[tuple[int, str], tuple[Protocol, tuple[PlannedVisit, ...]]] = {}


def planned_visits(cohort: str, protocol: Protocol | None = None) -> list[PlannedVisit]:
    """Every visit of the cohort's schedule in study-day order, follow-up visits included.

    Worked out once per protocol object and cohort (the entry keeps its protocol, so the id
    cannot be reused by another object while the entry lives)."""
    proto = protocol or load_protocol()
    hit = _PLANNED.get((id(proto), cohort))
    if hit is not None and hit[0] is proto:
        return list(hit[1])
    out = _plan(cohort, proto)
    if len(_PLANNED) >= 64:  # tests load many protocols: stay bounded
        _PLANNED.clear()
    _PLANNED[(id(proto), cohort)] = (proto, tuple(out))
    return out


def _plan(cohort: str, proto: Protocol) -> list[PlannedVisit]:
    """The cohort's visits worked out from the protocol's schedule."""

    def expected(forms: list[str]) -> tuple[str, ...]:
        return tuple(f for f in forms if not proto.form(f).repeating)

    treatment = {v.code for v in proto.schedule.visits}

    return [
        PlannedVisit(
            v.code,
            v.name,
            v.day,
            v.window_before,
            v.window_after,
            tuple(v.forms),
            v.response_assessment,
            v.code not in treatment,
            expected(v.forms),
        )
        for v in proto.schedule.cohort_visits(cohort)
    ]


def find_visit(cohort: str, code: str, protocol: Protocol | None = None) -> PlannedVisit | None:
    """The planned visit with this code for the cohort, or None."""
    for v in planned_visits(cohort, protocol):
        if v.code == code:
            return v
    return None


def visit_status(
    visit: PlannedVisit,
    day1: date,
    today: date,
    forms_entered: Iterable[str],
    missed: bool = False,
) -> VisitStatusCode:
    """Status of one visit on `today`.

    done: every expected (non-event) form of the visit has an active record; missed: a user
    marked it missed;
    otherwise by date: expected before the window, due inside it (both edges inclusive),
    overdue after it.
    """
    entered = set(forms_entered)
    if visit.expected_forms and set(visit.expected_forms) <= entered:
        return "done"
    if missed:
        return "missed"
    start, end = visit.window(day1)
    if today < start:
        return "expected"
    if today <= end:
        return "due"
    return "overdue"


def visit_states(
    visits: Iterable[PlannedVisit],
    day1: date,
    today: date,
    entered: Mapping[str, set[str]],
    missed: Mapping[str, str],
) -> list[VisitState]:
    """Each planned visit with its dates and status on `today`, from the forms entered per
    visit code and the missed-visit reasons per visit code (no database access)."""
    out = []
    for v in visits:
        have = entered.get(v.code, set())
        start, end = v.window(day1)
        out.append(
            VisitState(
                visit=v,
                target_date=v.target_date(day1),
                window_start=start,
                window_end=end,
                status=visit_status(v, day1, today, have, v.code in missed),
                forms_entered=tuple(f for f in v.forms if f in have),
                forms_missing=tuple(f for f in v.expected_forms if f not in have),
                missed_reason=missed.get(v.code, ""),
            )
        )
    return out


def visits_until(states: Iterable[VisitState], end: date | None) -> list[VisitState]:
    """The visits still expected of a subject who left the study on `end` (end of study or
    death; None: still on study): those whose window opened on or before it, and any with data."""
    if end is None:
        return list(states)
    return [v for v in states if v.window_start <= end or v.forms_entered]
