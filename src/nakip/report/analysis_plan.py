"""The analysis-plan sections of the design report: populations, estimation, accrual, EFS/OS
methods, combined operating characteristics of all stopping rules, and the p0/p1 rationale.

Pure computation over the protocol and nakip.stats (no files, no plotting), so the HTML/PDF and
`--json` show the same numbers. Methods follow ICH E9 (analysis sets, section 5.2), Simon (1989)
and Koyama & Chen (2008) for two-stage inference, and ELN 2022 (Döhner et al., Blood 2022,
Table 9) for EFS/OS/RFS/CIR; the clinical rules are stated in docs/clinical-rules.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from typing import Protocol as TypingProtocol

import numpy as np

from nakip.protocol.model import Cohort, MonitoringRule, Protocol
from nakip.stats.bayes_monitor import BayesianToxicityMonitor
from nakip.stats.binomial import clopper_pearson_interval, single_stage_reject_prob
from nakip.stats.simon import TwoStageInference, operating_characteristics

__all__ = [
    "AnalysisPlan",
    "CombinedOCRow",
    "LANDMARK_MONTHS",
    "Population",
    "build_analysis_plan",
    "combined_oc",
]

LANDMARK_MONTHS = (6, 12, 24)
"""Landmark times of the EFS/OS/RFS rates reported (months from the time origin)."""


class _Design(TypingProtocol):
    """The boundaries of a chosen design (two-stage when n1 is not None)."""

    r1: int | None
    n1: int | None
    r: int
    n: int


# =========================================================================== result objects
@dataclass(frozen=True)
class Population:
    """One analysis set (ICH E9 section 5.2): its ADSL flag, definition and use."""

    name: str
    flag: str
    definition: str
    used_for: str

    def to_dict(self) -> dict[str, str]:
        """Plain-JSON view."""
        return asdict(self)


@dataclass(frozen=True)
class CombinedOCRow:
    """Exact OC of one cohort under its efficacy, toxicity and feasibility rules together.

    The outcomes partition the trials: stopped for toxicity, for feasibility (toxicity checked
    first when both cross at the same patient), for futility at stage 1, or completed; the
    treatment is declared promising only in a completed trial with enough responders.
    """

    cohort: str
    response_rate: float
    dlt_rate: float
    feasibility_failure_rate: float
    prob_promising: float
    prob_toxicity_stop: float
    prob_feasibility_stop: float
    prob_futility_stop: float
    prob_completed: float
    expected_n: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return asdict(self)


@dataclass(frozen=True)
class AnalysisPlan:
    """The analysis-plan sections, each as paragraphs or rows ready to render."""

    populations: tuple[Population, ...]
    non_evaluable: tuple[str, ...]
    estimation: tuple[str, ...]
    accrual: tuple[str, ...]
    time_to_event: tuple[str, ...]
    combined_oc: tuple[CombinedOCRow, ...]
    combined_oc_notes: tuple[str, ...]
    rationale: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return {
            "populations": [p.to_dict() for p in self.populations],
            "non_evaluable": list(self.non_evaluable),
            "estimation": list(self.estimation),
            "accrual": list(self.accrual),
            "time_to_event": list(self.time_to_event),
            "combined_oc": [row.to_dict() for row in self.combined_oc],
            "combined_oc_notes": list(self.combined_oc_notes),
            "rationale": list(self.rationale),
        }


# =========================================================================== combined OC
def _monitor_survival(rule: MonitoringRule | None, n: int, rate: float) -> np.ndarray:
    """P(the rule has not stopped after the first k patients), k = 0..n (1 without a rule)."""
    if rule is None:
        return np.ones(n + 1)
    monitor = BayesianToxicityMonitor(
        rule.prior_a, rule.prior_b, rule.limit, rule.cutoff, n, min(rule.min_patients, n)
    )
    by_n = np.asarray(monitor.operating_characteristics([rate]).prob_stop_by_n[0])
    return np.concatenate([[1.0], 1.0 - np.cumsum(by_n)])


def combined_oc(
    cohort: str,
    design: _Design,
    toxicity: MonitoringRule | None,
    feasibility: MonitoringRule | None,
    response_rate: float,
    dlt_rate: float,
    feasibility_failure_rate: float,
) -> CombinedOCRow:
    """Exact OC of the three rules applied together to one cohort of up to n patients.

    Assumes each patient's response, DLT and feasibility failure are independent events, so
    the stopping times T_eff (n1 or n), T_tox and T_feas are independent and
    P(N > k) = P(T_eff > k) P(T_tox > k) P(T_feas > k), E[N] = sum_k<n P(N > k).
    """
    n = design.n
    s_tox = _monitor_survival(toxicity, n, dlt_rate)
    s_feas = _monitor_survival(feasibility, n, feasibility_failure_rate)
    k = np.arange(n + 1)
    if design.n1 is not None and design.r1 is not None:
        oc = operating_characteristics(design, [response_rate])
        pet, success = float(oc.pet[0]), float(oc.prob_reject[0])
        n1 = design.n1
    else:
        pet, n1 = 0.0, n
        success = float(single_stage_reject_prob(design.r + 1, n, response_rate))
    # P(T_eff >= k): the efficacy rule lets the k-th patient be treated
    eff_reaches = np.where(k <= n1, 1.0, 1.0 - pet)
    eff_beyond = np.where(k < n1, 1.0, np.where(k < n, 1.0 - pet, 0.0))  # P(T_eff > k)
    p_tox_at = -np.diff(s_tox)  # P(T_tox = k), k = 1..n
    p_feas_at = -np.diff(s_feas)
    tox_stop = float(np.sum(p_tox_at * eff_reaches[1:] * s_feas[:-1]))
    feas_stop = float(np.sum(p_feas_at * eff_reaches[1:] * s_tox[1:]))
    futility = pet * float(s_tox[n1] * s_feas[n1]) if n1 < n else 0.0
    completed = (1.0 - pet) * float(s_tox[n] * s_feas[n])
    return CombinedOCRow(
        cohort=cohort,
        response_rate=float(response_rate),
        dlt_rate=float(dlt_rate),
        feasibility_failure_rate=float(feasibility_failure_rate),
        prob_promising=success * float(s_tox[n] * s_feas[n]),
        prob_toxicity_stop=tox_stop,
        prob_feasibility_stop=feas_stop,
        prob_futility_stop=futility,
        prob_completed=completed,
        expected_n=float(np.sum(eff_beyond[:-1] * s_tox[:-1] * s_feas[:-1])),
    )


def _rule_for(protocol: Protocol, event: str) -> MonitoringRule | None:
    return next((m for m in protocol.monitoring if m.event == event), None)


def _combined_rows(
    protocol: Protocol, cohorts: Sequence[Cohort], chosen: Mapping[str, _Design]
) -> tuple[CombinedOCRow, ...]:
    """Rows at p0 and p1 crossed with a tolerable rate (half the limit) and the limit itself."""
    tox = _rule_for(protocol, "dlt")
    feas = _rule_for(protocol, "feasibility_failure")
    dlt_rates = (round(tox.limit / 2, 4), tox.limit) if tox else (0.0,)
    feas_rates = (round(feas.limit / 2, 4), feas.limit) if feas else (0.0,)
    rows = []
    for cohort in cohorts:
        for p in (cohort.design.p0, cohort.design.p1):
            for t in dlt_rates:
                for f in feas_rates:
                    rows.append(combined_oc(cohort.code, chosen[cohort.code], tox, feas, p, t, f))
    return tuple(rows)


# =========================================================================== words
def _pct(p: float) -> str:
    return f"{100 * p:.4g}%"


def _populations(protocol: Protocol) -> tuple[Population, ...]:
    dlt = protocol.safety.dlt
    return (
        Population(
            "Enrolled",
            "enrolled_fl",
            "Every patient enrolled (allocated a subject number) in a cohort.",
            "Disposition and the CONSORT flow; EFS and OS (time origin: enrolment).",
        ),
        Population(
            "Treated (intention to treat, safety)",
            "treated_fl",
            "Enrolled patients who received any study treatment (talazoparib or NK cells).",
            "Primary efficacy analysis (responders / treated) and all safety tables.",
        ),
        Population(
            "Response-evaluable",
            "response_evaluable_fl",
            "Treated patients with at least one evaluable response assessment "
            "(marrow for the overt cohort, MRD sample for the mrd cohort).",
            "Supportive analysis of the primary endpoint (evaluable patients only).",
        ),
        Population(
            "DLT-evaluable",
            "dlt_evaluable_fl",
            f"Treated patients who completed the DLT window ({dlt.window_description}) or had "
            "a DLT within it.",
            "Toxicity monitoring and the DLT rate.",
        ),
        Population(
            "Known product outcome",
            "feasibility_failure",
            "Enrolled patients whose NK-cell product was given or has failed (the flag is "
            "present).",
            "Feasibility monitoring and the feasibility failure rate.",
        ),
    )


def _non_evaluable(cohorts: Sequence[Cohort]) -> tuple[str, ...]:
    days = sorted({c.primary_endpoint.assessment_day for c in cohorts})
    day_text = " or ".join(f"day {d}" for d in days)
    return (
        "The primary analysis counts every treated patient in the denominator; a treated patient "
        f"without an evaluable response assessment by {day_text} (early death, withdrawal, "
        "missing or unevaluable marrow or MRD sample) is a non-responder. This is the "
        "conservative choice the exact design assumes: the design's n counts treated patients.",
        "Enrolled but untreated patients are reported in the CONSORT flow with the reason; "
        "the design's n counts treated patients, so accrual continues until n are treated. "
        "An untreated patient whose NK-cell product failed counts as a feasibility failure.",
        "As a sensitivity analysis, the response rate is also given among response-evaluable "
        "patients only, and under the alternative responder definitions of the overt cohort "
        "(CR only; CR, CRh or CRi).",
    )


def _estimation(cohorts: Sequence[Cohort], chosen: Mapping[str, _Design]) -> tuple[str, ...]:
    out = [
        "For each cohort the report gives the observed response rate with its exact two-sided "
        "95% Clopper-Pearson interval and the exact one-sided binomial p-value against p0."
    ]
    two_stage = [c for c in cohorts if chosen[c.code].n1 is not None]
    if two_stage:
        d = chosen[two_stage[0].code]
        example = TwoStageInference(d, p0=two_stage[0].design.p0).fit(d.r1 + 1, x_total=d.r + 1)
        naive = clopper_pearson_interval(d.r + 1, d.n)
        out.append(
            "After a two-stage design the naive proportion is biased and its Clopper-Pearson "
            "interval does not have its nominal coverage, because the trial could have stopped "
            "at stage 1. The primary estimate is therefore computed over the stage-wise "
            "ordering of the sample space (Koyama & Chen 2008): the p-value P_p0(T >= t), the "
            "median-unbiased estimate and the exact two-sided 95% interval by inverting the "
            "same ordering; the UMVUE (Jung & Kim 2004) is given beside it. A trial stopped "
            "at stage 1 is analysed with its stage-1 count."
        )
        out.append(
            f"Example for the {d.r1}/{d.n1}, {d.r}/{d.n} design: with {d.r + 1} responders of "
            f"{d.n} (the smallest success), the naive estimate {(d.r + 1) / d.n:.3f} "
            f"(95% CI {naive.lower:.3f}-{naive.upper:.3f}) becomes a median-unbiased estimate "
            f"of {example.mue:.3f} (95% CI {example.ci_lower:.3f}-{example.ci_upper:.3f}), "
            f"p = {example.p_value:.4f}."
        )
    return tuple(out)


def _accrual(cohorts: Sequence[Cohort], chosen: Mapping[str, _Design]) -> tuple[str, ...]:
    out = []
    for c in cohorts:
        d = chosen[c.code]
        if d.n1 is None or d.r1 is None:
            out.append(f"Cohort {c.code}: single-stage design, no interim analysis and no pause.")
            continue
        day = c.primary_endpoint.assessment_day
        out.append(
            f"Cohort {c.code}: accrual pauses after the {d.n1}th treated patient until the first "
            f"{d.n1} are evaluable for the primary endpoint (day {day}, about "
            f"{day / 30.44:.1f} months after the last of them starts). Stage 2 opens early as "
            f"soon as {d.r1 + 1} responders are confirmed among them, since futility (at most "
            f"{d.r1} of {d.n1}) can then no longer occur; it closes the cohort if no more than "
            f"{d.r1} of the {d.n1} respond."
        )
    out.append(
        "The protocol file states no pause setting; pausing is NAKIP's default because "
        "patients enrolled beyond n1 before the interim would be treated on a rule that may "
        "stop for futility. Should any be enrolled (overrunning), they are treated and "
        "reported, and the stage-wise inference uses the stage-1 count of the first n1 only."
    )
    return tuple(out)


def _time_to_event(protocol: Protocol) -> tuple[str, ...]:
    tte = protocol.time_to_event
    efs = "; ".join(
        f"{code}: "
        + ", ".join(e.replace("_", " ") for e in d.events)
        + (" (treatment failure is an event at day 1)" if d.treatment_failure_at_day_1 else "")
        for code, d in tte.efs.items()
    )
    marks = ", ".join(str(m) for m in LANDMARK_MONTHS)
    return (
        f"Time origin: {tte.origin}. Overall survival (OS): death from any cause, censored at "
        "the date last known alive. Event-free survival (EFS, ELN 2022 Table 9): "
        f"{efs}; responders without an event are censored at their last response assessment. "
        "Relapse-free survival (RFS) from remission to relapse or death, among responders; "
        "cumulative incidence of relapse (CIR) with death without relapse as a competing risk, "
        "reported with the cumulative incidence of death (CID).",
        "Survival curves are Kaplan-Meier estimates with pointwise 95% intervals on the "
        "log(-log) scale (Greenwood variance), medians with Brookmeyer-Crowley 95% intervals "
        f"(not estimable when the curve or its bound does not reach 50%), and rates at {marks} "
        "months with their intervals. CIR and CID are Aalen-Johansen estimates. Numbers at risk "
        "are shown under every curve.",
        "The cohorts are analysed separately and are not compared formally; log-rank and Gray "
        "tests between cohorts are descriptive only. Follow-up is summarised by the reverse "
        "Kaplan-Meier median.",
    )


def _rationale(
    cohorts: Sequence[Cohort], chosen: Mapping[str, _Design], registry_id: str
) -> tuple[str, ...]:
    out = []
    for c in cohorts:
        d, spec = chosen[c.code], c.design
        ci = clopper_pearson_interval(d.r + 1, d.n)
        out.append(
            f"Cohort {c.code}: p0 = {_pct(spec.p0)} is the response rate below which the "
            f"combination would not be worth further study and p1 = {_pct(spec.p1)} the rate "
            f"that would justify a larger trial, as stated in the protocol (registered as "
            f"{registry_id}). The design declares the treatment promising with at least "
            f"{d.r + 1} of {d.n} responders ({_pct((d.r + 1) / d.n)}, exact 95% CI "
            f"{_pct(ci.lower)}-{_pct(ci.upper)}). The difference p1 - p0 = "
            f"{_pct(spec.p1 - spec.p0)} is what a single-arm trial of {d.n} patients can "
            f"detect with one-sided alpha {spec.alpha:g} and power {spec.power:g}."
        )
    return tuple(out)


def build_analysis_plan(protocol: Protocol, chosen: Mapping[str, _Design]) -> AnalysisPlan:
    """The analysis-plan sections for `protocol`, given the chosen design of every cohort."""
    cohorts = tuple(protocol.cohorts)
    notes = [
        "Each patient's response, DLT and feasibility failure are assumed independent; "
        "every patient is evaluable for all three. Rates: p0 and p1 for response, and for "
        "each monitored event a tolerable rate (half its limit) and the limit itself.",
        "Toxicity is checked before feasibility when both rules stop at the same patient, and "
        "both before the stage-1 efficacy decision.",
    ]
    feas = _rule_for(protocol, "feasibility_failure")
    if feas is not None and not feas.per_cohort and len(cohorts) > 1:
        notes.append(
            "The feasibility rule pools all cohorts; here it is applied to one cohort's own "
            "patients, so with both cohorts enrolling it sees more patients than shown and "
            "its own exact OC (pooled) are in the monitoring section."
        )
    return AnalysisPlan(
        populations=_populations(protocol),
        non_evaluable=_non_evaluable(cohorts),
        estimation=_estimation(cohorts, chosen),
        accrual=_accrual(cohorts, chosen),
        time_to_event=_time_to_event(protocol),
        combined_oc=_combined_rows(protocol, cohorts, chosen),
        combined_oc_notes=tuple(notes),
        rationale=_rationale(cohorts, chosen, protocol.trial.registry_id),
    )
