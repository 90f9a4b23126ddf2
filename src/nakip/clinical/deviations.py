"""What counts as a protocol deviation of one subject: the one owner of the rule, used by the
EDC listing, the deviation page and the DSMB/final reports (ICH E3 section 10.2; ICH E6(R3)).

A deviation is either recorded by the site on the deviation form (late visit, missed dose,
eligibility waiver, other; judged major or minor) or found in the data:

- a visit assessed outside its window: the window of a visit on study day `day` runs from
  `day - window_before` to `day + window_after` (protocol `schedule.visits`, study day 1 =
  enrolment), compared as dates so that no study day 0 shifts an edge; one finding per visit
  and assessment date, however many forms or parameters carry that date;
- a visit the site declared missed;
- enrolment of a patient the screening marked not eligible (protocol `eligibility`);
- study treatment started before informed consent (ICH E6(R3) 2.8).

A visit the site recorded as a late visit is listed once, as recorded: the data findings of the
same visit are not repeated. Pure Python (no Django, no pandas).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from nakip.protocol.model import Protocol

FORM = "form"
DATA_CHECK = "data check"
VISIT_WINDOW = "visit window"
MISSED_VISIT = "visit missed"
ELIGIBILITY = "eligibility"
CONSENT = "consent"
LATE_VISIT = "late_visit"
"""The deviation-form category that covers a visit's own window and missed findings."""


@dataclass(frozen=True)
class Deviation:
    """One protocol deviation of a subject: category (words), what happened, the visit it
    concerns, severity (form only), where it comes from (`form` or `data check`), and for a
    window finding the date, the window and the days outside it (negative: before)."""

    category: str
    description: str
    visit_code: str = ""
    severity: str = ""
    source: str = DATA_CHECK
    when: date | None = None
    window: tuple[date, date] | None = None
    days_outside: int | None = None

    @property
    def kind(self) -> str:
        """The category, with a window finding's side spelled out."""
        if self.days_outside is None:
            return self.category
        return "before the visit window" if self.days_outside < 0 else "after the visit window"

    @property
    def key(self) -> tuple[str, str, date | None]:
        """What identifies the deviation across views: category, visit, date."""
        return (self.category, self.visit_code, self.when)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kind": self.kind}


@dataclass(frozen=True)
class VisitWindow:
    """A visit of the schedule: code, planned study day and its window in days."""

    code: str
    day: int
    window_before: int
    window_after: int

    def dates(self, day1: date) -> tuple[date, date]:
        """First and last date of the window for a subject whose day 1 is `day1`."""
        target = day1 + timedelta(days=self.day - 1)
        return target - timedelta(days=self.window_before), target + timedelta(
            days=self.window_after
        )


def schedule_windows(protocol: Protocol, cohort: str) -> list[VisitWindow]:
    """The windows of every visit of the cohort, follow-up visits included."""
    return [
        VisitWindow(v.code, v.day, v.window_before, v.window_after)
        for v in protocol.schedule.cohort_visits(cohort)
    ]


def _study_day(day1: date, when: date) -> int:
    delta = (when - day1).days
    return delta + 1 if delta >= 0 else delta  # CDISC: no study day 0


def window_deviation(visit: VisitWindow, day1: date, when: date) -> Deviation | None:
    """The deviation when an assessment of `visit` dated `when` lies outside the window (edges
    inclusive), else None."""
    start, end = visit.dates(day1)
    if start <= when <= end:
        return None
    days = (when - start).days if when < start else (when - end).days
    return Deviation(
        VISIT_WINDOW,
        f"{visit.code} on {when.isoformat()} (study day {_study_day(day1, when)}); window "
        f"{start.isoformat()} to {end.isoformat()} (day {visit.day - visit.window_before} to "
        f"{visit.day + visit.window_after})",
        visit.code,
        when=when,
        window=(start, end),
        days_outside=days,
    )


def missed_visit(visit_code: str, reason: str) -> Deviation:
    """A visit the site declared missed, with the reason given."""
    return Deviation(MISSED_VISIT, reason or "no reason given", visit_code)


def enrolled_not_eligible(
    enrolled: bool, eligible: bool | None, failed_criteria: str | None
) -> Deviation | None:
    """Enrolment although the screening found the patient not eligible (undetermined is not a
    finding: the screening was not completed)."""
    if not enrolled or eligible is not False:
        return None
    return Deviation(
        ELIGIBILITY, f"enrolled although not eligible ({failed_criteria or 'criteria failed'})"
    )


def treated_before_consent(treatment_start: date | None, consent: date | None) -> Deviation | None:
    """Study treatment started before the date of informed consent."""
    if treatment_start is None or consent is None or treatment_start >= consent:
        return None
    return Deviation(
        CONSENT,
        f"study treatment on {treatment_start.isoformat()} before consent on {consent.isoformat()}",
        when=treatment_start,
    )


def recorded_deviation(
    category: str, severity: str, description: str, visit_code: str = ""
) -> Deviation:
    """A deviation entered on the deviation form (category code as words)."""
    text = description + (f" ({visit_code})" if visit_code else "")
    return Deviation(category.replace("_", " "), text, visit_code, severity, FORM)


@dataclass(frozen=True)
class RecordedEntry:
    """A deviation-form entry as the form holds it (category code, not words)."""

    category: str
    severity: str
    description: str
    visit_code: str = ""


def subject_deviations(
    *,
    day1: date | None,
    visits: Sequence[VisitWindow],
    assessed: Mapping[str, Iterable[date]],
    missed: Mapping[str, str] | None = None,
    recorded: Sequence[RecordedEntry] = (),
    enrolled: bool = True,
    eligible: bool | None = None,
    failed_criteria: str | None = None,
    consent: date | None = None,
    treatment_start: date | None = None,
) -> list[Deviation]:
    """Every deviation of one subject (see the module docstring): recorded ones first (in the
    given order), then the findings by visit order and date. `assessed` holds the assessment
    dates of each visit code; `missed` the declared-missed visits with their reasons."""
    late = {r.visit_code for r in recorded if r.category == LATE_VISIT and r.visit_code}
    found: list[Deviation] = []
    for d in (
        enrolled_not_eligible(enrolled, eligible, failed_criteria),
        treated_before_consent(treatment_start, consent),
    ):
        if d is not None:
            found.append(d)
    missed = missed or {}
    for v in visits:
        if v.code in late:
            continue
        if v.code in missed:
            found.append(missed_visit(v.code, missed[v.code]))
        if day1 is None:
            continue
        for when in sorted(set(assessed.get(v.code, ()))):
            d = window_deviation(v, day1, when)
            if d is not None:
                found.append(d)
    forms = [
        recorded_deviation(r.category, r.severity, r.description, r.visit_code) for r in recorded
    ]
    return forms + found
