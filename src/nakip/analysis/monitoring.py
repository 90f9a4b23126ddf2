"""Interim monitoring status per cohort: Simon stage status and the Bayesian toxicity and
feasibility rules against their boundaries, from the analysis datasets.

Conventions (docs/analysis.md): Simon's stages count treated patients in enrolment order, a
patient whose endpoint can no longer be assessed is a non-responder; a monitoring rule counts
patients in enrolment order once they are evaluable for its event (DLT-evaluable for DLT, a known
product outcome for feasibility). Boundaries come from `nakip.stats.bayes_monitor` (Thall &
Simon 1994 posterior-probability rule: stop if >= b_n events among the first n).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Self

import pandas as pd

from nakip.analysis.data import TrialData
from nakip.analysis.design_choice import ChosenDesign, chosen_design, monitoring_nmax
from nakip.analysis.fitter import Fitter
from nakip.analysis.populations import enrolment_order, flag, known, primary_outcomes
from nakip.protocol.model import MonitoringRule, Protocol

EVENT_POPULATION = {
    "dlt": ("dlt_evaluable_fl", "has_dlt", "DLT-evaluable patients"),
    "feasibility_failure": ("feasibility_failure", "feasibility_failure", "patients with a known "
                            "NK-cell product outcome"),
}  # fmt: skip
"""Monitored event -> (ADSL column that makes a patient evaluable, event column, words)."""


# =========================================================================== Simon stage status
@dataclass(frozen=True)
class SimonStatus:
    """The cohort's response rule applied to the outcomes known so far.

    stage1_decision: pending | continue | stop_futility | not_applicable (single stage);
    final_decision: pending | efficacy | no_efficacy | stopped_at_stage1.
    """

    cohort: str
    r1: int | None
    n1: int | None
    r: int
    n: int
    treated: int
    stage1_known: int
    stage1_responders: int
    stage1_decision: str
    stage1_text: str
    final_known: int
    final_responders: int
    final_decision: str
    final_text: str

    @property
    def settled(self) -> bool:
        """True once the rule's final decision is known (no pending outcome can change it)."""
        return self.final_decision != "pending"

    @property
    def crossed(self) -> bool:
        """True when a boundary has been crossed: futility stop or the efficacy bound passed."""
        return self.final_decision in ("stopped_at_stage1", "efficacy", "no_efficacy")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return asdict(self)


def _resp(x: int) -> str:
    return f"{x} responder" + ("" if x == 1 else "s")


def simon_status(outcomes: Sequence[bool | None], design: ChosenDesign) -> SimonStatus:
    """Apply the cohort's design (stop if X1 <= r1 of n1; efficacy if X > r of n; Simon 1989)
    to outcomes in enrolment order (True responder, False not, None not yet known)."""
    r, n = design.r, design.n
    if design.two_stage:
        r1, n1 = int(design.r1), int(design.n1)  # type: ignore[arg-type]
        first = list(outcomes[:n1])
        known1 = sum(o is not None for o in first)
        x1 = sum(o is True for o in first)
        if x1 > r1:
            s1, t1 = "continue", f"continue to stage 2: {_resp(x1)} > {r1} of the first {n1}"
        elif known1 == n1:
            s1, t1 = "stop_futility", f"stop for futility: {_resp(x1)} <= {r1} of the first {n1}"
        elif x1 + (n1 - known1) <= r1:
            s1 = "stop_futility"
            t1 = f"stop for futility: at most {x1 + n1 - known1} <= {r1} of {n1} possible"
        else:
            s1, t1 = "pending", f"{_resp(x1)} among {known1} of the first {n1} known so far"
    else:
        known1 = x1 = 0
        s1, t1 = "not_applicable", "single-stage design: no interim analysis"
    allp = list(outcomes[:n])

    known_all = sum(o is not None for o in allp)
    x = sum(o is True for o in allp)
    if s1 == "stop_futility":
        fd, ft = "stopped_at_stage1", "no stage 2: the cohort stopped for futility at stage 1"
    elif x > r:
        fd, ft = "efficacy", f"efficacy: {x} > {r} responders among the first {n} (H0 rejected)"
    elif known_all == n:
        fd, ft = "no_efficacy", f"no efficacy: {x} <= {r} responders of {n}"
    elif x + (n - known_all) <= r:
        fd = "no_efficacy"
        ft = f"no efficacy: at most {x + n - known_all} <= {r} responders of {n} still possible"
    else:
        fd = "pending"
        ft = (
            f"pending: {_resp(x)}, {known_all} of {n} patients known; "
            f"efficacy needs > {r} (at least {r + 1 - x} more)"
        )
    return SimonStatus(
        design.cohort, design.r1, design.n1, r, n, len(outcomes),
        known1, x1, s1, t1, known_all, x, fd, ft,
    )  # fmt: skip


# =========================================================================== Bayesian rules
@dataclass(frozen=True)
class RuleStatus:
    """A Bayesian monitoring rule (stop if >= b_n events among the first n) on the data.

    `boundary[k]` is b_(k+1), None where no count can stop the trial; `path[k]` is the number
    of events among the first k+1 evaluable patients in enrolment order.
    """

    code: str
    event: str
    scope: str  # a cohort code, or "all" for a trial-wide rule
    limit: float
    cutoff: float
    min_patients: int
    nmax: int
    patients: int
    events: int
    boundary_now: int | None
    crossed_at: int | None
    boundary: tuple[int | None, ...]
    path: tuple[int, ...]
    population: str
    text: str

    @property
    def crossed(self) -> bool:
        """True when the events reached the stopping boundary at some n."""
        return self.crossed_at is not None

    @property
    def decision(self) -> str:
        """'stop' when the boundary was reached, else 'continue'."""
        return "stop" if self.crossed else "continue"

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return {**asdict(self), "crossed": self.crossed, "decision": self.decision}


def rule_status(rule: MonitoringRule, events: Sequence[bool], scope: str, nmax: int) -> RuleStatus:
    """The rule applied to `events` (one per evaluable patient, enrolment order); the boundary
    table is extended past `nmax` when more patients than planned are evaluable."""
    from nakip.stats.bayes_monitor import BayesianToxicityMonitor

    nmax = max(nmax, len(events), rule.min_patients)
    mon = BayesianToxicityMonitor(
        rule.prior_a, rule.prior_b, rule.limit, rule.cutoff, nmax, rule.min_patients
    )
    bounds = tuple(int(b) if int(b) <= k else None for k, b in enumerate(mon.stop_counts, 1))
    path: list[int] = []
    crossed = None
    x = 0
    for k, e in enumerate(events, start=1):
        x += bool(e)
        path.append(x)
        b = bounds[k - 1]
        if crossed is None and b is not None and x >= b:
            crossed = k
    n = len(events)
    now = bounds[n - 1] if n else None
    population = EVENT_POPULATION.get(rule.event, ("", "", "evaluable patients"))[2]
    if crossed is not None:
        text = f"STOP: boundary reached at n = {crossed} ({rule.event} in {x} of {n})"
    elif n == 0:
        text = f"no {population} yet"
    elif now is None:
        text = f"continue: {x} of {n}; no stop possible before n = {rule.min_patients}"
    else:
        text = f"continue: {x} of {n} (stop if >= {now} of {n})"
    return RuleStatus(
        rule.code, rule.event, scope, rule.limit, rule.cutoff, rule.min_patients, nmax,
        n, x, now, crossed, bounds, tuple(path), population, text,
    )  # fmt: skip


def monitored_events(adsl: pd.DataFrame, event: str) -> list[bool]:
    """Events of the patients evaluable for `event`, in enrolment order."""
    if event not in EVENT_POPULATION:
        raise ValueError(f"monitoring event {event!r}: no ADSL columns for it")
    evaluable_col, event_col, _ = EVENT_POPULATION[event]
    rows = enrolment_order(adsl)
    if evaluable_col == event_col:
        rows = rows[known(rows[evaluable_col])]
    else:
        rows = rows[flag(rows[evaluable_col])]
    return flag(rows[event_col]).tolist()


# =========================================================================== the fitter
class MonitoringAnalysis(Fitter):
    """Simon stage status and Bayesian monitoring status of every cohort, lifelines-style.

    `MonitoringAnalysis(protocol).fit(data)`; then `simon` (cohort -> SimonStatus), `rules`
    (per-cohort rules by cohort and the trial-wide ones under "all"), `flagged`, `summary`.
    """

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.simon: dict[str, SimonStatus] = {}
        self.rules: dict[str, tuple[RuleStatus, ...]] = {}
        self.cutoff: date | None = None

    def fit(self, data: TrialData) -> Self:
        """Compute every status from `data` (its cut-off decides which outcomes are known)."""
        p = self.protocol
        self.cutoff = data.cutoff
        for cohort in p.cohorts:
            adsl = data.adsl[data.adsl["cohort"] == cohort.code]
            outcomes = primary_outcomes(adsl, p, cohort, data.cutoff, "responder")
            self.simon[cohort.code] = simon_status(outcomes, chosen_design(p, cohort.code))
            self.rules[cohort.code] = tuple(
                rule_status(
                    rule,
                    monitored_events(adsl, rule.event),
                    cohort.code,
                    monitoring_nmax(p, rule, cohort.code),
                )
                for rule in p.monitoring
                if rule.per_cohort
            )
        self.rules["all"] = tuple(
            rule_status(
                rule, monitored_events(data.adsl, rule.event), "all", monitoring_nmax(p, rule)
            )
            for rule in p.monitoring
            if not rule.per_cohort
        )
        self._fitted = True
        return self

    def _check(self) -> None:
        self._check_fitted()

    @property
    def all_rules(self) -> tuple[RuleStatus, ...]:
        """Every rule status, per-cohort ones first."""
        self._check_fitted()
        return tuple(r for rules in self.rules.values() for r in rules)

    @property
    def flagged(self) -> tuple[str, ...]:
        """One line per crossed boundary (Simon futility/efficacy or a Bayesian stop)."""
        self._check_fitted()
        out = [f"{code}: Simon {s.final_text}" for code, s in self.simon.items() if s.crossed]
        out += [f"{r.scope}: {r.code} {r.text}" for r in self.all_rules if r.crossed]
        return tuple(out)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per cohort rule: scope, rule, patients, events/responders, status text."""
        self._check_fitted()
        rows = [
            {
                "scope": code,
                "rule": "simon",
                "patients": s.final_known,
                "events": s.final_responders,
                "crossed": s.crossed,
                "status": s.final_text,
            }
            for code, s in self.simon.items()
        ]
        rows += [
            {
                "scope": r.scope,
                "rule": r.code,
                "patients": r.patients,
                "events": r.events,
                "crossed": r.crossed,
                "status": r.text,
            }
            for r in self.all_rules
        ]
        return pd.DataFrame(
            rows, columns=["scope", "rule", "patients", "events", "crossed", "status"]
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        self._check_fitted()
        return {
            "cutoff": None if self.cutoff is None else self.cutoff.isoformat(),
            "simon": {k: v.to_dict() for k, v in self.simon.items()},
            "rules": {k: [r.to_dict() for r in v] for k, v in self.rules.items()},
            "flagged": list(self.flagged),
        }
