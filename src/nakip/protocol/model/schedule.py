"""The protocol's schedule: screening window, visits with their day and window, and follow-up.

The EDC builds its visit calendar and the forms due at each visit from it.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from nakip.protocol.model.base import CohortCode, Strict


class Visit(Strict):
    """A scheduled visit on a study day (day 1 = first talazoparib dose), with its window."""

    code: str = Field(pattern=r"^[A-Z0-9_]{2,12}$")
    name: str
    day: int
    window_before: int = Field(ge=0)
    window_after: int = Field(ge=0)
    forms: list[str] = Field(default_factory=list)
    cohorts: list[CohortCode] = Field(default_factory=lambda: ["overt", "mrd"])
    response_assessment: bool = False


class FollowUp(Strict):
    """Repeating follow-up after the end of treatment."""

    interval_days: int = Field(ge=1)
    window_days: int = Field(ge=0)
    duration_days: int = Field(ge=1)
    forms: list[str] = Field(default_factory=list)


class Schedule(Strict):
    """Visit schedule (calendar from enrolment), with windows and follow-up."""

    screening_window_days: int = Field(ge=1)
    visits: list[Visit] = Field(min_length=1)
    follow_up: FollowUp

    @model_validator(mode="after")
    def _ordered_unique(self) -> Schedule:
        codes = [v.code for v in self.visits]
        if len(set(codes)) != len(codes):
            raise ValueError("visit codes must be unique")
        days = [v.day for v in self.visits]
        if days != sorted(days):
            raise ValueError("visits must be listed in study-day order")
        return self

    def cohort_visits(self, cohort: str) -> list[Visit]:
        """Every visit of a cohort in study-day order: its treatment visits, then follow-up
        visits FU1, FU2, ... every `follow_up.interval_days` after the last treatment visit
        until `duration_days`, each with a window of `window_days` on both sides."""
        out = [v for v in self.visits if cohort in v.cohorts]
        fu = self.follow_up
        last_day = out[-1].day if out else 1
        k = 1
        while k * fu.interval_days <= fu.duration_days:
            out.append(
                Visit(
                    code=f"FU{k}",
                    name=f"Follow-up {k}",
                    day=last_day + k * fu.interval_days,
                    window_before=fu.window_days,
                    window_after=fu.window_days,
                    forms=list(fu.forms),
                    cohorts=[cohort],
                )
            )
            k += 1
        return out
