"""The statistical-design section of a protocol as data: designs, decision rules, monitoring, OC.

Pure computation (no files, no plotting): everything is read from the protocol and computed
with nakip.stats, so the HTML/PDF renderer and `--json` show exactly the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from nakip import __version__
from nakip.analysis.design_choice import (
    ChosenDesign,
    DesignBoundaries,
    chosen_designs,
)
from nakip.protocol.model import Cohort, DesignSpec, MonitoringRule, Protocol
from nakip.report.analysis_plan import AnalysisPlan, build_analysis_plan
from nakip.stats.bayes_monitor import BayesianToxicityMonitor
from nakip.stats.binomial import (
    NoSingleStageDesignError,
    SingleStageDesign,
    single_stage_design,
    single_stage_reject_prob,
)
from nakip.stats.simon import SimonDesign, operating_characteristics, search

__all__ = [
    "BoundaryRange",
    "BoundaryRow",
    "CohortDesign",
    "DEFAULT_EVENT_RATES",
    "DEFAULT_RESPONSE_RATES",
    "DesignReport",
    "DesignRow",
    "MonitoringOCRow",
    "MonitoringSection",
    "OCRow",
    "PlannedCheck",
    "REFERENCES",
    "build_design_report",
    "monitoring_rule_words",
    "simon_decision_rules",
    "single_stage_decision_rules",
]

# True response rates of the cohort OC tables (0.20..0.70 step 0.05); p0 and p1 are added.
DEFAULT_RESPONSE_RATES: tuple[float, ...] = tuple(round(0.20 + 0.05 * i, 2) for i in range(11))
# True event rates of the monitoring OC tables (0.05..0.50 step 0.05); the limit is added.
DEFAULT_EVENT_RATES: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 11))

REFERENCES: dict[str, str] = {
    "simon1989": (
        "Simon R. Optimal two-stage designs for phase II clinical trials. "
        "Control Clin Trials. 1989;10(1):1-10."
    ),
    "jung2004": (
        "Jung SH, Lee T, Kim K, George SL. Admissible two-stage designs for phase II cancer "
        "clinical trials. Stat Med. 2004;23(4):561-569."
    ),
    "thall1994": (
        "Thall PF, Simon R. Practical Bayesian guidelines for phase IIB clinical trials. "
        "Biometrics. 1994;50(2):337-349."
    ),
    "thall1995": (
        "Thall PF, Simon RM, Estey EH. Bayesian sequential monitoring designs for single-arm "
        "clinical trials with multiple outcomes. Stat Med. 1995;14(4):357-379."
    ),
    "ahern2001": (
        "A'Hern RP. Sample size tables for exact single-stage phase II designs. "
        "Stat Med. 2001;20(6):859-866."
    ),
    "koyama2008": (
        "Koyama T, Chen H. Proper inference from Simon's two-stage designs. "
        "Stat Med. 2008;27(16):3145-3154."
    ),
    "jungkim2004": (
        "Jung SH, Kim KM. On the estimation of the binomial probability in multistage clinical "
        "trials. Stat Med. 2004;23(6):881-896."
    ),
    "eln2022": (
        "Döhner H, Wei AH, Appelbaum FR, et al. Diagnosis and management of AML in adults: 2022 "
        "recommendations from an international expert panel on behalf of the ELN. "
        "Blood. 2022;140(12):1345-1377."
    ),
    "ich_e9": "ICH E9. Statistical principles for clinical trials. 1998; section 5.2.",
}


_EVENT_WORDS = {
    "dlt": ("dose-limiting toxicity", "DLT"),
    "feasibility_failure": ("feasibility failure", "feasibility failure"),
}


# =========================================================================== result objects
@dataclass(frozen=True)
class DesignRow:
    """One candidate design with its exact properties under p0 and p1.

    Two-stage: stop if X1 <= r1 of n1, promising if X > r of n. Single-stage designs have
    r1 = n1 = None, PET0 = 0 and EN0 = n, and are promising if X > r (r = least count - 1).
    """

    label: str
    r1: int | None
    n1: int | None
    r: int
    n: int
    en0: float
    pet0: float
    alpha: float
    power: float

    @property
    def two_stage(self) -> bool:
        """True for a two-stage design."""
        return self.n1 is not None

    @property
    def boundaries(self) -> tuple[int | None, int | None, int, int]:
        """(r1, n1, r, n), the design's identity."""
        return (self.r1, self.n1, self.r, self.n)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return asdict(self)

    @classmethod
    def from_simon(cls, label: str, d: SimonDesign) -> DesignRow:
        """Row for a Simon design (attained alpha and power as computed by the search)."""
        return cls(label, d.r1, d.n1, d.r, d.n, d.en0, d.pet0, d.alpha, d.power)

    @classmethod
    def from_single(cls, label: str, d: SingleStageDesign) -> DesignRow:
        """Row for a single-stage design (promising if X > r: the same r as the design's)."""
        return cls(label, None, None, d.r, d.n, float(d.n), 0.0, d.alpha, d.power)


@dataclass(frozen=True)
class PlannedCheck:
    """Does the protocol's `planned` design equal the one the search finds?"""

    status: Literal["match", "mismatch", "absent"]
    planned: DesignRow | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return {
            "status": self.status,
            "planned": None if self.planned is None else self.planned.to_dict(),
            "message": self.message,
        }


@dataclass(frozen=True)
class OCRow:
    """Operating characteristics of the chosen design at one true response rate."""

    p: float
    prob_promising: float
    pet: float
    expected_n: float

    def to_dict(self) -> dict[str, float]:
        """Plain-JSON view."""
        return asdict(self)


@dataclass(frozen=True)
class CohortDesign:
    """The design section of one cohort: hypotheses, designs, rules in words and OC."""

    code: str
    name: str
    description: str
    endpoint: str
    design_type: str
    design_label: str
    p0: float
    p1: float
    alpha: float
    power: float
    nmax: int
    chosen: DesignRow
    optimal: DesignRow
    minimax: DesignRow
    single_stage: DesignRow | None
    planned_check: PlannedCheck
    decision_rules: tuple[str, ...]
    oc: tuple[OCRow, ...]
    curve: dict[str, tuple[float, ...]] = field(repr=False)
    max_n: int = 0  # planned maximum sample size (nakip.analysis.design_choice decides it)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view (the dense plotting curves are left out)."""
        return {
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "endpoint": self.endpoint,
            "design_type": self.design_type,
            "design_label": self.design_label,
            "hypotheses": {
                "p0": self.p0,
                "p1": self.p1,
                "alpha": self.alpha,
                "power": self.power,
                "sided": "one-sided",
                "nmax": self.nmax,
            },
            "max_n": self.max_n,
            "chosen": self.chosen.to_dict(),
            "optimal": self.optimal.to_dict(),
            "minimax": self.minimax.to_dict(),
            "single_stage": None if self.single_stage is None else self.single_stage.to_dict(),
            "planned_check": self.planned_check.to_dict(),
            "decision_rules": list(self.decision_rules),
            "oc": [row.to_dict() for row in self.oc],
        }


@dataclass(frozen=True)
class BoundaryRow:
    """Stop if at least `stop_if_at_least` events among the first n (None: no stop at n)."""

    n: int
    stop_if_at_least: int | None
    posterior_at_boundary: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return asdict(self)


@dataclass(frozen=True)
class BoundaryRange:
    """Consecutive patient counts n_from..n_to sharing one stopping count."""

    n_from: int
    n_to: int
    stop_if_at_least: int

    @property
    def patients(self) -> str:
        """'3' or '3-4' (en dash), for tables."""
        return str(self.n_from) if self.n_from == self.n_to else f"{self.n_from}\u2013{self.n_to}"

    def to_dict(self) -> dict[str, int]:
        """Plain-JSON view."""
        return asdict(self)


@dataclass(frozen=True)
class MonitoringOCRow:
    """Exact OC of a monitoring rule at one true event rate."""

    rate: float
    prob_stop: float
    prob_early_stop: float
    expected_n: float
    expected_events: float

    def to_dict(self) -> dict[str, float]:
        """Plain-JSON view."""
        return asdict(self)


@dataclass(frozen=True)
class MonitoringSection:
    """One monitoring rule applied to one population (a cohort, each cohort, or all pooled)."""

    code: str
    event: str
    description: str
    event_definition: str
    prior_a: float
    prior_b: float
    limit: float
    cutoff: float
    min_patients: int
    per_cohort: bool
    scope: str
    nmax: int
    words: str
    boundaries: tuple[BoundaryRow, ...]
    ranges: tuple[BoundaryRange, ...]
    oc: tuple[MonitoringOCRow, ...]
    curve: dict[str, tuple[float, ...]] = field(repr=False)

    @property
    def key(self) -> str:
        """Identifier used in file names and anchors."""
        return f"{self.code}-n{self.nmax}"

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view (the dense plotting curve is left out)."""
        return {
            "code": self.code,
            "event": self.event,
            "description": self.description,
            "event_definition": self.event_definition,
            "prior": {"a": self.prior_a, "b": self.prior_b},
            "limit": self.limit,
            "cutoff": self.cutoff,
            "min_patients": self.min_patients,
            "per_cohort": self.per_cohort,
            "scope": self.scope,
            "nmax": self.nmax,
            "words": self.words,
            "boundaries": [b.to_dict() for b in self.boundaries],
            "ranges": [r.to_dict() for r in self.ranges],
            "oc": [row.to_dict() for row in self.oc],
        }


@dataclass(frozen=True)
class DesignReport:
    """The statistical-design section of a protocol, ready to render or print as JSON."""

    acronym: str
    title: str
    registry_id: str
    study_id: str
    sponsor: str
    protocol_version: str
    protocol_date: str
    software_version: str
    generated: str
    cohorts: tuple[CohortDesign, ...]
    monitoring: tuple[MonitoringSection, ...]
    methods: tuple[str, ...]
    references: tuple[str, ...]
    plan: AnalysisPlan | None = None

    @property
    def mismatches(self) -> tuple[CohortDesign, ...]:
        """Cohorts whose planned design differs from the computed one."""
        return tuple(c for c in self.cohorts if c.planned_check.status == "mismatch")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view of the whole report."""
        return {
            "trial": {
                "acronym": self.acronym,
                "title": self.title,
                "registry_id": self.registry_id,
                "study_id": self.study_id,
                "sponsor": self.sponsor,
                "protocol_version": self.protocol_version,
                "protocol_date": self.protocol_date,
            },
            "software_version": self.software_version,
            "generated": self.generated,
            "cohorts": [c.to_dict() for c in self.cohorts],
            "monitoring": [m.to_dict() for m in self.monitoring],
            "methods": list(self.methods),
            "analysis_plan": None if self.plan is None else self.plan.to_dict(),
            "references": list(self.references),
        }


# =========================================================================== words
def _fmt(p: float) -> str:
    """A rate as a percentage without needless decimals: 0.35 -> '35%'."""
    return f"{100 * p:.4g}%"


def simon_decision_rules(r1: int, n1: int, r: int, n: int) -> tuple[str, ...]:
    """The two-stage rule in words (Simon 1989): stage-1 futility stop, final decision.

    Example for 3/9, 13/27: "Enrol 9 patients. If 3 or fewer respond, stop for futility. ..."
    """
    n2 = n - n1
    stop = "If none responds" if r1 == 0 else f"If {r1} or fewer respond"
    return (
        f"Enrol {n1} patients. {stop}, stop for futility. Otherwise enrol {n2} more; the "
        f"treatment is declared promising if more than {r} of {n} respond.",
        f"Stage 1: {n1} patients; the trial continues only with at least {r1 + 1} "
        f"{'response' if r1 + 1 == 1 else 'responses'} among them.",
        f"Stage 2: {n2} further patients ({n} in total); at least {r + 1} responses among "
        f"the {n} patients reject H0; {r} or fewer do not.",
    )


def single_stage_decision_rules(r: int, n: int) -> tuple[str, ...]:
    """A single-stage rule in words: promising if more than r of n respond."""
    return (
        f"Enrol {n} patients. The treatment is declared promising if more than {r} of {n} "
        f"respond (at least {r + 1}); otherwise it is not.",
    )


def _ranges(rows: Sequence[BoundaryRow]) -> tuple[BoundaryRange, ...]:
    out: list[BoundaryRange] = []
    for row in rows:
        if row.stop_if_at_least is None:
            continue
        if out and out[-1].stop_if_at_least == row.stop_if_at_least and out[-1].n_to == row.n - 1:
            last = out[-1]
            out[-1] = BoundaryRange(last.n_from, row.n, last.stop_if_at_least)
        else:
            out.append(BoundaryRange(row.n, row.n, row.stop_if_at_least))
    return tuple(out)


def monitoring_rule_words(rule: MonitoringRule, ranges: Sequence[BoundaryRange], scope: str) -> str:
    """The Bayesian stopping rule in words, with the first boundaries spelled out."""
    long_name, short = _EVENT_WORDS.get(rule.event, (rule.event.replace("_", " "), rule.event))
    ess = rule.prior_a + rule.prior_b
    prior_mean = rule.prior_a / ess
    head = (
        f"From the {_ordinal(rule.min_patients)} evaluable patient onwards, {scope}, "
        f"stop enrolment if Pr({short} rate > {_fmt(rule.limit)} | data) > {rule.cutoff:g}, "
        f"under a Beta({rule.prior_a:g}, {rule.prior_b:g}) prior (mean {_fmt(prior_mean)}, "
        f"worth {ess:g} patient{'' if ess == 1 else 's'})."
    )
    if not ranges:
        return head + f" With this sample size no number of {long_name}s stops the trial."
    parts = [
        f"{b.stop_if_at_least} or more {_plural_event(short, b.stop_if_at_least)} among the "
        f"first {b.patients} patients"
        for b in ranges[:3]
    ]
    tail = "; and so on (table below)" if len(ranges) > 3 else ""
    return head + " That is: stop with " + "; ".join(parts) + tail + "."


def _plural_event(short: str, k: int) -> str:
    if short == "DLT":
        return "DLT" if k == 1 else "DLTs"
    return short if k == 1 else f"{short}s"


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


# =========================================================================== computation
def _grid(base: Sequence[float], extra: Sequence[float]) -> tuple[float, ...]:
    values = {round(float(v), 6) for v in [*base, *extra]}
    return tuple(sorted(values))


def _search_rows(spec: DesignSpec) -> tuple[DesignRow, DesignRow, DesignRow | None]:
    result = search(spec.p0, spec.p1, spec.alpha, spec.power, spec.nmax)
    optimal = DesignRow.from_simon("Optimal", result.optimal)
    minimax = DesignRow.from_simon("Minimax", result.minimax)
    try:
        single = DesignRow.from_single(
            "Single-stage", single_stage_design(spec.p0, spec.p1, spec.alpha, spec.power, 1000)
        )
    except NoSingleStageDesignError:
        single = None
    return optimal, minimax, single


def _row(label: str, d: DesignBoundaries) -> DesignRow:
    return DesignRow(label, d.r1, d.n1, d.r, d.n, d.en0, d.pet0, d.alpha, d.power)


def _planned_check(choice: ChosenDesign) -> PlannedCheck:
    """The protocol's planned boundaries against the recomputed design, as decided by
    `nakip.analysis.design_choice`."""
    if choice.matches_search is None:
        return PlannedCheck("absent", None, "The protocol states no planned design to check.")
    planned = _row("Planned (protocol)", choice.design)
    return PlannedCheck("match" if choice.matches_search else "mismatch", planned, choice.message)


def _cohort_oc(
    chosen: DesignRow, rates: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = np.asarray(rates, dtype=float)
    if chosen.two_stage:
        oc = operating_characteristics(chosen, p)
        return (np.asarray(oc.prob_reject), np.asarray(oc.pet), np.asarray(oc.en))
    reject = np.asarray(single_stage_reject_prob(chosen.r, chosen.n, p))
    return reject, np.zeros_like(p), np.full_like(p, float(chosen.n))


def _cohort_design(
    cohort: Cohort, choice: ChosenDesign, response_rates: Sequence[float]
) -> CohortDesign:
    spec = cohort.design
    optimal, minimax, single = _search_rows(spec)
    chosen = _row("Chosen", choice.searched)
    if chosen.two_stage:
        rules = simon_decision_rules(chosen.r1, chosen.n1, chosen.r, chosen.n)  # type: ignore[arg-type]
    else:
        rules = single_stage_decision_rules(chosen.r, chosen.n)
    grid = _grid(response_rates, [spec.p0, spec.p1])
    reject, pet, en = _cohort_oc(chosen, grid)
    oc = tuple(
        OCRow(float(p), float(a), float(b), float(c))
        for p, a, b, c in zip(grid, reject, pet, en, strict=True)
    )
    dense = np.round(np.linspace(0.0, 1.0, 201), 6)
    curve: dict[str, tuple[float, ...]] = {"p": tuple(float(v) for v in dense)}
    for key, row in (("chosen", chosen), ("optimal", optimal), ("minimax", minimax)):
        r_, pet_, en_ = _cohort_oc(row, dense)
        curve[f"{key}_reject"] = tuple(float(v) for v in r_)
        curve[f"{key}_pet"] = tuple(float(v) for v in pet_)
        curve[f"{key}_en"] = tuple(float(v) for v in en_)
    return CohortDesign(
        code=cohort.code,
        name=cohort.name,
        description=cohort.description,
        endpoint=cohort.primary_endpoint.description,
        design_type=spec.type,
        design_label=choice.label,
        p0=spec.p0,
        p1=spec.p1,
        alpha=spec.alpha,
        power=spec.power,
        nmax=spec.nmax,
        chosen=_row(f"Chosen ({choice.label})", choice.searched),
        optimal=optimal,
        minimax=minimax,
        single_stage=single,
        planned_check=_planned_check(choice),
        decision_rules=rules,
        oc=oc,
        curve=curve,
        max_n=choice.planned_n,
    )


def _monitoring_section(
    rule: MonitoringRule,
    nmax: int,
    scope: str,
    event_rates: Sequence[float],
    definition: str,
) -> MonitoringSection:
    monitor = BayesianToxicityMonitor(
        rule.prior_a, rule.prior_b, rule.limit, rule.cutoff, nmax, min(rule.min_patients, nmax)
    )
    table = monitor.boundaries
    rows = tuple(
        BoundaryRow(
            n=int(n),
            stop_if_at_least=None if _isna(stop) else int(stop),
            posterior_at_boundary=None if _isna(post) else float(post),
        )
        for n, stop, post in zip(
            table.index,
            table["stop_if_at_least"],
            table["posterior_prob_at_boundary"],
            strict=True,
        )
        if n >= rule.min_patients
    )
    ranges = _ranges(rows)
    grid = _grid(event_rates, [rule.limit])
    oc = monitor.operating_characteristics(grid)
    oc_rows = tuple(
        MonitoringOCRow(float(r), float(s), float(e), float(en), float(ev))
        for r, s, e, en, ev in zip(
            oc.rates,
            oc.prob_stop,
            oc.prob_early_stop,
            oc.expected_n,
            oc.expected_events,
            strict=True,
        )
    )
    dense = np.round(np.linspace(0.0, 0.7, 141), 6)
    dense_oc = monitor.operating_characteristics(dense)
    curve = {
        "rate": tuple(float(v) for v in dense),
        "prob_stop": dense_oc.prob_stop,
        "expected_n": dense_oc.expected_n,
    }
    return MonitoringSection(
        code=rule.code,
        event=rule.event,
        description=rule.description,
        event_definition=definition,
        prior_a=rule.prior_a,
        prior_b=rule.prior_b,
        limit=rule.limit,
        cutoff=rule.cutoff,
        min_patients=rule.min_patients,
        per_cohort=rule.per_cohort,
        scope=scope,
        nmax=nmax,
        words=monitoring_rule_words(rule, ranges, scope),
        boundaries=rows,
        ranges=ranges,
        oc=oc_rows,
        curve=curve,
    )


def _isna(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _event_definition(protocol: Protocol, event: str) -> str:
    """What counts as an event, from the protocol's safety block."""
    safety = protocol.safety
    if event == "dlt":
        return (
            f"a dose-limiting toxicity as defined in the protocol (CTCAE v{safety.ctcae_version}, "
            f"{safety.crs_icans_grading} for CRS/ICANS), {safety.dlt.window_description}"
        )
    if event == "feasibility_failure":
        return " ".join(safety.feasibility_failure.split())
    return event.replace("_", " ")


def _monitoring(
    rule: MonitoringRule,
    cohorts: Sequence[CohortDesign],
    event_rates: Sequence[float],
    definition: str,
) -> list[MonitoringSection]:
    """Per-cohort rules get one section per distinct cohort size; pooled rules one section."""
    if not rule.per_cohort:
        total = sum(c.max_n for c in cohorts)
        if len(cohorts) > 1:
            parts = " + ".join(f"{c.max_n} {c.code}" for c in cohorts)
            scope = f"over all cohorts pooled (up to {total} patients: {parts})"
        else:
            scope = f"in the trial (up to {total} patients)"
        return [_monitoring_section(rule, total, scope, event_rates, definition)]
    by_n: dict[int, list[CohortDesign]] = {}
    for c in cohorts:
        by_n.setdefault(c.max_n, []).append(c)
    out = []
    for n, group in by_n.items():
        if len(group) == len(cohorts) and len(cohorts) > 1:
            scope = f"in each cohort separately (up to {n} patients per cohort)"
        else:
            names = ", ".join(c.code for c in group)
            scope = f"in cohort {names} (up to {n} patients)"
        out.append(_monitoring_section(rule, n, scope, event_rates, definition))
    return out


def _methods(
    cohorts: Sequence[CohortDesign], monitoring: Sequence[MonitoringSection]
) -> tuple[str, ...]:
    two_stage = any(c.chosen.two_stage for c in cohorts)
    first = (
        "Each cohort is analysed independently with an exact binomial design for its primary "
        "response endpoint, testing H0: p ≤ p0 against H1: p ≥ p1 at one-sided level α. "
    )
    if two_stage:
        first += (
            "Two-stage designs follow Simon (1989): among all designs with total sample size "
            "n ≤ nmax, exact type-I error ≤ α and power ≥ 1 − β, the optimal design "
            "minimises the expected sample size under H0 (EN0) and the minimax design minimises "
            "n (ties broken by EN0). Designs between the two are admissible in the sense of "
            "Jung et al. (2004). The trial stops for futility after stage 1 if r1 or fewer of "
            "n1 patients respond; there is no early stop for efficacy. "
        )
    else:
        first += "The single-stage design is the smallest exact design (A'Hern 2001). "
    first += (
        "Operating characteristics (probability of declaring the treatment promising, "
        "probability of early termination PET, expected sample size) are exact binomial sums."
    )
    out = [first]
    if monitoring:
        out.append(
            "Safety and feasibility are monitored continuously with Bayesian beta-binomial "
            "rules (Thall & Simon 1994; Thall, Simon & Estey 1995): with a Beta(a, b) prior on "
            "the event rate, enrolment stops when the posterior probability that the rate "
            "exceeds its limit is above the cutoff. Each rule is tabulated as the least number "
            "of events among the first n patients that stops the trial; its operating "
            "characteristics (probability of stopping, expected number of patients treated) are "
            "computed exactly by forward recursion over the patient-by-event lattice, assuming "
            "every patient is evaluable."
        )
    return tuple(out)


def build_design_report(
    protocol: Protocol,
    *,
    response_rates: Sequence[float] = DEFAULT_RESPONSE_RATES,
    event_rates: Sequence[float] = DEFAULT_EVENT_RATES,
    today: date | None = None,
) -> DesignReport:
    """Compute the statistical-design section of `protocol` for every cohort and monitoring rule.

    Raises ValueError (including nakip.stats.simon.NoDesignError) when a design cannot be found.
    """
    choices = chosen_designs(protocol)
    cohorts = tuple(_cohort_design(c, choices[c.code], response_rates) for c in protocol.cohorts)
    monitoring: list[MonitoringSection] = []
    for rule in protocol.monitoring:
        monitoring.extend(
            _monitoring(rule, cohorts, event_rates, _event_definition(protocol, rule.event))
        )
    refs = ["simon1989", "jung2004"]
    if any(not c.chosen.two_stage for c in cohorts):
        refs.append("ahern2001")
    if monitoring:
        refs += ["thall1994", "thall1995"]
    refs += ["ich_e9", "eln2022"]
    if any(c.chosen.two_stage for c in cohorts):
        refs += ["koyama2008", "jungkim2004"]
    trial = protocol.trial
    return DesignReport(
        acronym=trial.acronym,
        title=" ".join(trial.title.split()),
        registry_id=trial.registry_id,
        study_id=trial.study_id,
        sponsor=trial.sponsor,
        protocol_version=trial.protocol_version,
        protocol_date=trial.protocol_date.isoformat(),
        software_version=__version__,
        generated=(today or date.today()).isoformat(),
        cohorts=cohorts,
        monitoring=tuple(monitoring),
        methods=_methods(cohorts, monitoring),
        references=tuple(REFERENCES[k] for k in refs),
        plan=build_analysis_plan(protocol, {c.code: c.chosen for c in cohorts}),
    )
