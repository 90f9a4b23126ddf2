"""Per-cohort summary of a trial read back from the EDC: CONSORT counts, response, safety,
Simon decisions and monitoring status, all from the EDC's derived values.

Nothing here knows the virtual patients' truth: the numbers come from `ScreeningRecord`s and
`nakip.edc.derivations.derive_subject`, so the same summary works on real data.
Conventions (the protocol is silent): Simon stages count patients in enrolment order and a
patient whose primary endpoint can no longer be assessed (off study, or past the assessment
window without an assessment) counts as a non-responder (intention to treat); monitoring counts
patients in enrolment order once they are evaluable for the event.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from nakip.protocol import Protocol
from nakip.protocol.model import Cohort, MonitoringRule

ELN_CATEGORIES = ("CR", "CRh", "CRi", "MLFS", "PR", "SD", "PD", "NE")
NOT_ASSESSED = "not assessed"
MRD_CATEGORIES = (
    "> 1 log10 decrease",
    "decrease <= 1 log10",
    "no decrease",
    "haematological relapse",
    NOT_ASSESSED,
)


def _plain(obj: Any) -> Any:
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


# =========================================================================== result objects
@dataclass(frozen=True)
class SimonStatus:
    """The protocol's two-stage rule applied to the responders observed so far.

    stage1_decision: pending | continue | stop_futility;
    final_decision: pending | efficacy | no_efficacy | stopped_at_stage1.
    """

    r1: int
    n1: int
    r: int
    n: int
    stage1_known: int
    stage1_responders: int
    stage1_decision: str
    stage1_text: str
    final_known: int
    final_responders: int
    final_decision: str
    final_text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MonitoringStatus:
    """A Bayesian monitoring rule (stop if >= b_n events among the first n) on the data."""

    code: str
    event: str
    scope: str  # a cohort code, or "all" for a trial-wide rule
    nmax: int
    patients: int
    events: int
    boundary: int | None  # stop count at the current n (None: no stop possible yet)
    crossed_at: int | None  # the first n at which the boundary was reached
    decision: str  # continue | stop
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SubjectLine:
    """One enrolled subject's derived results."""

    subject_number: str
    cohort: str
    enrolment_date: date
    best_response: str | None
    mrd_best_log10_change: float | None
    responder: bool | None
    endpoint_known: bool
    has_dlt: bool
    feasibility_failure: bool | None
    relapse_date: date | None
    death_date: date | None
    end_of_study_reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


@dataclass(frozen=True)
class CohortResult:
    """One cohort's CONSORT counts, primary endpoint, safety, Simon and monitoring status."""

    cohort: str
    name: str
    endpoint: str
    screened: int
    screen_failures: int
    enrolled: int
    evaluable: int
    responders: int
    response_distribution: Mapping[str, int]
    dlt_evaluable: int
    dlt_patients: int
    dlt_events: int
    feasibility_evaluable: int
    feasibility_failures: int
    relapses: int
    deaths: int
    simon: SimonStatus
    monitoring: tuple[MonitoringStatus, ...]
    subjects: tuple[SubjectLine, ...]

    def to_dict(self) -> dict[str, Any]:
        out = {k: _plain(v) for k, v in self.__dict__.items()}
        out["simon"] = self.simon.to_dict()
        out["monitoring"] = [m.to_dict() for m in self.monitoring]
        out["subjects"] = [s.to_dict() for s in self.subjects]
        return out


@dataclass(frozen=True)
class TrialResults:
    """The whole trial at the data cut: screening (CONSORT), each cohort, trial-wide rules."""

    data_cut: date
    screened: int
    screen_failed: int
    in_screening: int
    enrolled: int
    failure_reasons: tuple[tuple[str, int], ...]
    cohorts: tuple[CohortResult, ...]
    monitoring: tuple[MonitoringStatus, ...]

    def cohort(self, code: str) -> CohortResult:
        return next(c for c in self.cohorts if c.cohort == code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "data_cut": self.data_cut.isoformat(),
            "screened": self.screened,
            "screen_failed": self.screen_failed,
            "in_screening": self.in_screening,
            "enrolled": self.enrolled,
            "failure_reasons": [{"reason": r, "count": n} for r, n in self.failure_reasons],
            "cohorts": [c.to_dict() for c in self.cohorts],
            "monitoring": [m.to_dict() for m in self.monitoring],
        }


# =========================================================================== pure rules
def _resp(x: int) -> str:
    return f"{x} responder" + ("" if x == 1 else "s")


def simon_status(outcomes: Sequence[bool | None], r1: int, n1: int, r: int, n: int) -> SimonStatus:
    """Apply Simon's rule (stop if X1 <= r1 of n1; efficacy if X > r of n; Simon 1989) to
    outcomes in enrolment order (True responder, False not, None not yet known)."""
    first = list(outcomes[:n1])
    known1 = sum(o is not None for o in first)
    x1 = sum(o is True for o in first)
    if known1 < n1 and x1 <= r1:
        s1, t1 = "pending", f"{_resp(x1)} among {known1} of the first {n1} known so far"
        if x1 + (n1 - known1) <= r1:
            s1 = "stop_futility"
            t1 = f"stop for futility: at most {x1 + n1 - known1} <= {r1} of {n1} possible"
    elif x1 > r1:
        s1, t1 = "continue", f"continue to stage 2: {_resp(x1)} > {r1} of the first {n1}"
    else:
        s1, t1 = "stop_futility", f"stop for futility: {_resp(x1)} <= {r1} of the first {n1}"
    allp = list(outcomes[:n])
    known = sum(o is not None for o in allp)
    x = sum(o is True for o in allp)
    if s1 == "stop_futility":
        fd, ft = "stopped_at_stage1", "no stage 2: the cohort stopped for futility at stage 1"
    elif x > r:
        fd, ft = "efficacy", f"efficacy: {x} > {r} responders among the first {n} (H0 rejected)"
    elif known == n:
        fd, ft = "no_efficacy", f"no efficacy: {x} <= {r} responders of {n}"
    elif x + (n - known) <= r:
        fd = "no_efficacy"
        ft = f"no efficacy: at most {x + n - known} <= {r} responders of {n} still possible"
    else:
        fd = "pending"
        ft = (
            f"pending: {_resp(x)}, {known} of {n} patients known; "
            f"efficacy needs > {r} (at least {r + 1 - x} more)"
        )
    return SimonStatus(r1, n1, r, n, known1, x1, s1, t1, known, x, fd, ft)


def monitoring_status(
    rule: MonitoringRule, events: Sequence[bool], scope: str, nmax: int
) -> MonitoringStatus:
    """Bayesian posterior-probability monitoring (`nakip.stats.bayes_monitor`) on events in
    enrolment order: stop at the first n with events >= b_n."""
    from nakip.stats.bayes_monitor import BayesianToxicityMonitor

    nmax = max(nmax, len(events), rule.min_patients)
    mon = BayesianToxicityMonitor(
        rule.prior_a, rule.prior_b, rule.limit, rule.cutoff, nmax, rule.min_patients
    )
    bounds = [int(b) for b in mon.stop_counts]
    crossed = None
    x = 0
    for k, e in enumerate(events, start=1):
        x += bool(e)
        if crossed is None and x >= bounds[k - 1]:
            crossed = k
    n = len(events)
    b = bounds[n - 1] if n and bounds[n - 1] <= n else None
    if crossed is not None:
        text = f"stop: boundary reached at n = {crossed} ({rule.event} in {x} of {n})"
    elif n == 0:
        text = "no evaluable patients yet"
    elif b is None:
        text = f"continue: {x} of {n}; no stop possible before n = {rule.min_patients}"
    else:
        text = f"continue: {x} of {n} (stop if >= {b} of {n})"
    return MonitoringStatus(
        rule.code,
        rule.event,
        scope,
        nmax,
        n,
        x,
        b,
        crossed,
        "stop" if crossed is not None else "continue",
        text,
    )


# =========================================================================== reading the EDC
def _candidate_cohort(values: Mapping[str, Any], fits: Iterable[Mapping[str, Any]], p: Protocol):
    """The cohort a screened patient was screened for: the one whose entry block fits, else by
    disease state (in remission -> MRD-entry cohort, relapsed/refractory -> overt-entry)."""
    fitting = [f["cohort"] for f in fits if f.get("fits") is True]
    if len(fitting) == 1:
        return fitting[0]
    for c in p.cohorts:
        if c.mrd_entry is not None and values.get("in_haematological_remission") is True:
            return c.code
    for c in p.cohorts:
        if c.overt_entry is not None and values.get("relapsed_or_refractory") is True:
            return c.code
    return ""


def _failure_labels(scr: Any) -> list[str]:
    """Screen-failure reasons grouped for a CONSORT box: failed criteria by id and text, entry
    blocks by the fields that failed, other reasons as given."""
    elig = scr.eligibility or {}
    labels = [
        f"{c['id']}: {c['text']}" for c in elig.get("criteria", []) if c["status"] == "failed"
    ]
    fits = elig.get("cohort_fits", [])
    if elig.get("status") == "not_eligible" and fits and not any(f.get("fits") for f in fits):
        cohort = _candidate_cohort(scr.values, fits, _protocol())
        for f in fits:
            if f["cohort"] == cohort and ": " in f.get("reason", ""):
                parts = f["reason"].split(": ", 1)[1].split(";")
                labels.append(
                    f"entry criteria of cohort {cohort} not met: "
                    + ", ".join(_short(x) for x in parts)
                )
    if not labels:
        labels = list(scr.screen_failure_reasons or []) or ["unspecified"]
    return labels


def _short(part: str) -> str:
    """'bm_blasts_pct = 40.2 (>= 20)' -> 'bm_blasts_pct >= 20' (values dropped for grouping)."""
    part = part.strip()
    if " = " in part:
        name, rest = part.split(" = ", 1)
        m = re.search(r"\(([<>=!]+ [^)]*)\)", rest)
        return f"{name} {m.group(1)}" if m else f"{name} = {rest}"
    return part.split(" — ")[0]


def _protocol() -> Protocol:
    from nakip.edc.services import get_protocol

    return get_protocol()


def _endpoint_known(dv: Any, cohort: Cohort, cut: date, assessment_window_after: int) -> bool:
    if dv.responder is not None:
        return True
    if dv.death_date is not None or dv.end_of_study_reason is not None:
        return True
    last = dv.enrolment_date + timedelta(
        days=cohort.primary_endpoint.assessment_day - 1 + assessment_window_after
    )
    return cut > last


def _mrd_category(dv: Any) -> str:
    ra = [p for p in dv.mrd if p.response_assessment]
    if not ra:
        return NOT_ASSESSED
    if any(p.responder for p in ra):
        return MRD_CATEGORIES[0]
    if dv.relapse_date is not None:
        return "haematological relapse"
    changes = [p.log10_change for p in ra if p.log10_change is not None]
    return MRD_CATEGORIES[1] if changes and min(changes) < 0 else "no decrease"


def summarize(
    protocol: Protocol | None = None, data_cut: date | None = None, site_code: str | None = None
) -> TrialResults:
    """Summarise the EDC's data (optionally one site's) at `data_cut` (default today)."""
    from nakip.edc.derivations import derive_subject
    from nakip.edc.models import ScreeningOutcome, ScreeningRecord, Subject

    p = protocol or _protocol()
    cut = data_cut or date.today()
    screenings = ScreeningRecord.objects.order_by("consent_date", "screening_number")
    subjects = Subject.objects.select_related("screening").order_by("enrolment_date", "sequence")
    if site_code:
        screenings = screenings.filter(site__code=site_code)
        subjects = subjects.filter(site__code=site_code)
    screenings = list(screenings)
    failed = [s for s in screenings if s.outcome == ScreeningOutcome.SCREEN_FAILED]
    reasons: Counter[str] = Counter()
    for s in failed:
        reasons.update(_failure_labels(s))
    per_cohort_screened: Counter[str] = Counter()
    per_cohort_failed: Counter[str] = Counter()
    for s in screenings:
        code = getattr(s, "subject", None) and s.subject.cohort
        code = code or _candidate_cohort(s.values, (s.eligibility or {}).get("cohort_fits", []), p)
        per_cohort_screened[code] += 1
        if s.outcome == ScreeningOutcome.SCREEN_FAILED:
            per_cohort_failed[code] += 1

    derived = [(s, derive_subject(s, p)) for s in subjects]
    ra_window = {v.day: v.window_after for v in p.schedule.visits if v.response_assessment}
    planned_n = {
        c.code: (c.design.planned.n if c.design.planned else c.design.nmax) for c in p.cohorts
    }
    cohorts = []
    for c in p.cohorts:
        rows = [(s, dv) for s, dv in derived if s.cohort == c.code]
        window_after = ra_window.get(c.primary_endpoint.assessment_day, 0)
        lines = []
        outcomes: list[bool | None] = []
        for s, dv in rows:
            known = _endpoint_known(dv, c, cut, window_after)
            outcome = bool(dv.responder) if known else None
            outcomes.append(outcome)
            changes = [m.log10_change for m in dv.mrd if m.response_assessment]
            changes = [x for x in changes if x is not None]
            lines.append(
                SubjectLine(
                    s.subject_number,
                    s.cohort,
                    s.enrolment_date,
                    dv.best_response,
                    min(changes) if changes else None,
                    dv.responder,
                    known,
                    dv.has_dlt,
                    dv.feasibility_failure,
                    dv.relapse_date,
                    dv.death_date,
                    dv.end_of_study_reason,
                )
            )
        if c.primary_endpoint.kind == "eln2022_response":
            dist = Counter(dv.best_response or NOT_ASSESSED for _, dv in rows)
            order = (*ELN_CATEGORIES, NOT_ASSESSED)
        else:
            dist = Counter(_mrd_category(dv) for _, dv in rows)
            order = MRD_CATEGORIES
        planned = c.design.planned
        if planned is not None:
            simon = simon_status(outcomes, planned.r1, planned.n1, planned.r, planned.n)
        else:  # no planned boundaries: the optimal design of the protocol's parameters
            from nakip.stats import simon as simon_mod

            d = c.design
            opt = simon_mod.search(d.p0, d.p1, d.alpha, d.power, d.nmax).optimal
            simon = simon_status(outcomes, opt.r1, opt.n1, opt.r, opt.n)
        dlt_rows = [dv for _, dv in rows if _dlt_evaluable(dv, p, cut)]
        feas_rows = [dv for _, dv in rows if dv.feasibility_failure is not None]
        mon = tuple(
            monitoring_status(
                rule, _events(rule, [dv for _, dv in rows], p, cut), c.code, planned_n[c.code]
            )
            for rule in p.monitoring
            if rule.per_cohort
        )
        cohorts.append(
            CohortResult(
                cohort=c.code,
                name=c.name,
                endpoint=c.primary_endpoint.description,
                screened=per_cohort_screened[c.code],
                screen_failures=per_cohort_failed[c.code],
                enrolled=len(rows),
                evaluable=sum(dv.responder is not None for _, dv in rows),
                responders=sum(dv.responder is True for _, dv in rows),
                response_distribution={k: dist.get(k, 0) for k in order},
                dlt_evaluable=len(dlt_rows),
                dlt_patients=sum(dv.has_dlt for _, dv in rows),
                dlt_events=sum(bool(a.is_dlt) for _, dv in rows for a in dv.adverse_events),
                feasibility_evaluable=len(feas_rows),
                feasibility_failures=sum(bool(dv.feasibility_failure) for dv in feas_rows),
                relapses=sum(dv.relapse_date is not None for _, dv in rows),
                deaths=sum(dv.death_date is not None for _, dv in rows),
                simon=simon,
                monitoring=mon,
                subjects=tuple(lines),
            )
        )
    everyone = [dv for _, dv in derived]
    trial_wide = tuple(
        monitoring_status(rule, _events(rule, everyone, p, cut), "all", sum(planned_n.values()))
        for rule in p.monitoring
        if not rule.per_cohort
    )
    return TrialResults(
        data_cut=cut,
        screened=len(screenings),
        screen_failed=len(failed),
        in_screening=sum(s.outcome == ScreeningOutcome.SCREENING for s in screenings),
        enrolled=len(derived),
        failure_reasons=tuple(sorted(reasons.items(), key=lambda t: (-t[1], t[0]))),
        cohorts=tuple(cohorts),
        monitoring=trial_wide,
    )


def _dlt_evaluable(dv: Any, p: Protocol, cut: date) -> bool:
    """DLT-evaluable: the DLT window started (study treatment given) and either a DLT occurred
    or the window (closed by the first NK-cell infusion, `dlt_window_end`) is over by the cut."""
    if dv.dlt_window_start is None:
        return False
    end = dv.dlt_window_end
    return dv.has_dlt or (end is not None and cut > end) or dv.death_date is not None


def _events(rule: MonitoringRule, rows: Sequence[Any], p: Protocol, cut: date) -> list[bool]:
    if rule.event == "dlt":
        return [dv.has_dlt for dv in rows if _dlt_evaluable(dv, p, cut)]
    return [bool(dv.feasibility_failure) for dv in rows if dv.feasibility_failure is not None]
