"""The trial calendar with the monitoring rules acting as data arrive.

Patients arrive every 3-14 days and are screened for a cohort that is open. Each cohort
follows its Simon two-stage design: after n1 enrolments accrual pauses until those patients'
primary endpoints are known (end of treatment + window + a week), then the stage-1 look stops
the cohort for futility (<= r1 responders) or reopens it. The Bayesian rules of the protocol
are checked before every consent on the results known that day, in the order they became
known: DLTs when a patient's DLT window closes (per cohort), NK-product failures when the
failing product was due or after the last infusion (trial-wide). A rule crossing its
boundary (`BayesianToxicityMonitor.stop_counts`: stop at the first n with events >= b_n)
closes the cohort or the trial on the day the deciding result came in (also after accrual
ended, when the last results arrive); patients already enrolled carry on. Outcomes come from
the model patients (`nakip.sim.cohort`): the EDC derives them from the same values.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nakip.analysis.design_choice import chosen_design, monitoring_nmax
from nakip.protocol import Protocol
from nakip.sim.cohort import ModelCohort

#: Days after the end-of-treatment window before a stage-1 outcome counts as known.
REPORTING_DAYS = 7


@dataclass(frozen=True)
class Slot:
    """One screened patient: consent day, cohort, screen-failure kind (None when enrolled),
    days to the outcome, and the index of the cohort's model patient when enrolled."""

    consent_day: int
    cohort: str
    failure: str | None
    offset: int
    model_index: int | None


@dataclass(frozen=True)
class TrialEvent:
    """A monitoring decision: study day (from the first consent), scope, rule and why."""

    day: int
    cohort: str | None  # None = trial-wide
    rule: str
    action: str  # "stop" | "pause" | "continue"
    text: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _crossing(events: list[bool], bounds: list[int]) -> int | None:
    """First n (1-based) with cumulative events >= b_n, or None."""
    x = 0
    for n, e in enumerate(events, start=1):
        x += bool(e)
        if n <= len(bounds) and x >= bounds[n - 1]:
            return n
    return None


class _Calendar:
    def __init__(
        self,
        protocol: Protocol,
        models: Mapping[str, ModelCohort],
        need: Mapping[str, int],
        monitoring: bool,
    ) -> None:
        from nakip.stats.bayes_monitor import BayesianToxicityMonitor

        self.p = protocol
        self.models = models
        self.need = dict(need)
        self.monitoring = monitoring
        self.enrolled: dict[str, list[int]] = {c: [] for c in need}  # enrolment days
        self.closed: dict[str, str] = {}
        self.paused_until: dict[str, int] = {}
        self.looked: set[str] = set()
        self.events: list[TrialEvent] = []
        self.design = {c: chosen_design(protocol, c) for c in need}
        visits = protocol.schedule.visits
        eot = visits[-1]
        self.endpoint_known = eot.day - 1 + eot.window_after + REPORTING_DAYS
        nk = protocol.treatment.nk_cells
        self.infusion_days = [d - 1 for d in nk.infusion_days]
        self.dlt_days = protocol.safety.dlt.window_days
        self.rules = []
        for rule in protocol.monitoring:
            nmax = max(
                monitoring_nmax(protocol, rule),
                max(need.values()) if rule.per_cohort else sum(need.values()),
            )
            mon = BayesianToxicityMonitor(
                rule.prior_a, rule.prior_b, rule.limit, rule.cutoff, nmax, rule.min_patients
            )
            self.rules.append((rule, [int(b) for b in mon.stop_counts]))

    # ------------------------------------------------------------- what is known when
    def _known(self, code: str, k: int, event: str) -> tuple[int, bool]:
        """(day the patient's event status is known, whether the event happened)."""
        m = self.models[code]
        enrol = self.enrolled[code][k]
        if event == "dlt":
            given = np.flatnonzero(m.products.given[k])
            first = self.infusion_days[int(given[0])] if given.size else self.infusion_days[-1]
            return enrol + first + self.dlt_days, bool(m.dlt[k])
        failed = bool(m.feasibility_failure[k])
        which = int(m.failed_infusion[k]) if failed else len(self.infusion_days) - 1
        return enrol + self.infusion_days[which], failed

    def check_rules(self, day: int) -> None:
        for rule, bounds in self.rules:
            scopes = list(self.need) if rule.per_cohort else [None]
            for scope in scopes:
                codes = [scope] if scope else list(self.need)
                if all(c in self.closed for c in codes):
                    continue
                known = sorted(
                    (self._known(c, k, rule.event), c)
                    for c in codes
                    for k in range(len(self.enrolled[c]))
                )
                known = [(d, e) for (d, e), _ in known if d <= day]
                n = _crossing([e for _, e in known], bounds)
                if n is None:
                    continue
                when, x = known[n - 1][0], sum(e for _, e in known[:n])
                text = (
                    f"stop ({rule.code}): {x} {rule.event.replace('_', ' ')}s among the first "
                    f"{n} evaluable patients reached the boundary (stop if >= {bounds[n - 1]} of "
                    f"{n}: Pr(rate > {rule.limit:g}) > {rule.cutoff:g})"
                )
                self.events.append(TrialEvent(when, scope, rule.code, "stop", text))
                for c in codes:
                    self.closed.setdefault(c, text)

    def _check_simon(self, code: str, day: int) -> None:
        d = self.design[code]
        k = len(self.enrolled[code])
        if not d.two_stage or code in self.looked or k < d.n1 or self.need[code] <= 0:
            return
        look = max(self.enrolled[code][: d.n1]) + self.endpoint_known
        if code not in self.paused_until:
            self.paused_until[code] = look
            self.events.append(
                TrialEvent(
                    max(self.enrolled[code][: d.n1]),
                    code,
                    "simon_stage1",
                    "pause",
                    f"pause: {d.n1} patients enrolled; accrual waits for their primary endpoint "
                    "(the Simon stage-1 look)",
                )
            )
        if day < look:
            return
        self.looked.add(code)
        del self.paused_until[code]
        x1 = int(self.models[code].responders[: d.n1].sum())
        if x1 <= d.r1:
            text = f"stop for futility at the Simon stage-1 look: {x1} <= {d.r1} of {d.n1}"
            self.closed[code] = text
            self.events.append(TrialEvent(look, code, "simon_stage1", "stop", text))
        else:
            text = f"continue to stage 2: {x1} > {d.r1} responders of the first {d.n1}"
            self.events.append(TrialEvent(look, code, "simon_stage1", "continue", text))

    def open_cohorts(self, day: int) -> list[str]:
        if self.monitoring:
            self.check_rules(day)
            for c in self.need:
                if c not in self.closed:
                    self._check_simon(c, day)
        return [
            c
            for c, n in self.need.items()
            if n > 0 and c not in self.closed and c not in self.paused_until
        ]


def plan_enrolment(
    r: random.Random,
    protocol: Protocol,
    models: Mapping[str, ModelCohort],
    need: Mapping[str, int],
    screen_failure_rate: float,
    draw_failure: Callable[[str], str],
    monitoring: bool = True,
) -> tuple[list[Slot], list[TrialEvent]]:
    """Arrivals, screen failures and enrolments until each cohort has its patients or is
    closed by a monitoring rule; returns the slots and the monitoring decisions."""
    cal = _Calendar(protocol, models, need, monitoring)
    window = protocol.schedule.screening_window_days
    slots: list[Slot] = []
    day = 0
    while any(n > 0 and c not in cal.closed for c, n in cal.need.items()):
        open_codes = cal.open_cohorts(day)
        if open_codes:
            code = r.choices(open_codes, weights=[cal.need[c] for c in open_codes])[0]
            failure = draw_failure(code) if r.random() < screen_failure_rate else None
            offset = r.randint(3, 10) if failure else r.randint(5, min(20, window))
            index = None
            if failure is None:
                index = len(cal.enrolled[code])
                cal.enrolled[code].append(day + offset)
                cal.need[code] -= 1
            slots.append(Slot(day, code, failure, offset, index))
        day += r.randint(3, 14)
    if monitoring:  # results of the last patients still arrive after accrual ended
        cal.check_rules(10**6)
    return slots, sorted(cal.events, key=lambda e: e.day)
