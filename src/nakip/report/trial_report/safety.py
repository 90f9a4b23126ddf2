"""Report sections: safety (AE incidence, worst grade per term, CRS/ICANS, acute GVHD, SAEs and
their expedited reporting, heat maps) and the monitoring status (Simon stages, Bayesian
toxicity and feasibility rules against boundaries).

Counts come from `nakip.analysis.safety`, `.sae_reporting`, `.monitoring` and `.feasibility`;
patients are counted once per category at their worst grade (CTCAE v5.0; ASTCT 2019 for
CRS/ICANS; MAGIC for acute GVHD).
"""

from __future__ import annotations

import pandas as pd

from nakip.analysis.feasibility import FeasibilityAnalysis
from nakip.analysis.monitoring import MonitoringAnalysis, RuleStatus
from nakip.analysis.sae_reporting import SAEReporting
from nakip.analysis.safety import ALL, CATEGORIES, GRADES, SafetyAnalysis
from nakip.report.figures.monitoring import monitoring_status_figure
from nakip.report.figures.safety import ae_heatmap_figure
from nakip.report.figures.style import FigureImage, figure_image
from nakip.report.trial_report.model import (
    DASH,
    ReportSection,
    Table,
    ci_text,
    count_pct,
    pct,
)
from nakip.report.trial_report.serious_events import (
    gvhd_table,
    sae_listing,
    sae_summary_table,
)

__all__ = ["monitoring_section", "safety_section"]

_EVENT_WORDS = {"dlt": "DLTs", "feasibility_failure": "feasibility failures"}


def _scopes(safety: SafetyAnalysis) -> list[str]:
    return [s for s in safety.population if s != ALL] + [ALL]


def _overview(safety: SafetyAnalysis) -> Table:
    scopes = _scopes(safety)
    rows = safety.overview.set_index("cohort")
    body = [("Treated patients", *[str(safety.population[s]) for s in scopes])]
    for key, label in CATEGORIES:
        body.append(
            (label, *[count_pct(int(rows.loc[s, key]), safety.population[s]) for s in scopes])
        )
    return Table(
        "ae-overview",
        "Patients with adverse events (safety population: all treated)",
        ("Category", *scopes),
        tuple(body),
        note="Each patient counts once per category; percentages of treated patients.",
    )


def _by_term(safety: SafetyAnalysis, limit: int | None) -> Table:
    frame = safety.by_term
    rows = [
        (str(r.cohort), DASH if pd.isna(r.soc) else str(r.soc), str(r.term), str(r.patients),
         *[str(getattr(r, f"grade{g}")) for g in GRADES], str(r.grade3plus))
        for r in frame.itertuples(index=False)
    ]  # fmt: skip
    shown = rows if limit is None else rows[:limit]
    note = "Worst grade per patient and term."
    if len(shown) < len(rows):
        note += f" The {len(shown)} most frequent rows of {len(rows)}; all in the final report."
    return Table(
        "ae-terms",
        "Adverse events by term and worst grade",
        ("Cohort", "System organ class", "Term", "Patients", *[f"G{g}" for g in GRADES], "G>=3"),
        tuple(shown),
        note=note,
        total=len(rows),
    )


def _crs_icans(safety: SafetyAnalysis) -> Table:
    rows = [
        (str(r["cohort"]), str(r["syndrome"]), *[str(r[f"grade{g}"]) for g in GRADES],
         count_pct(int(r["patients"]), safety.population.get(r["cohort"], 0)))
        for _, r in safety.crs_icans.iterrows()
    ]  # fmt: skip
    return Table(
        "crs-icans",
        "CRS and ICANS by worst grade (ASTCT 2019)",
        ("Cohort", "Syndrome", *[f"G{g}" for g in GRADES], "Any grade"),
        tuple(rows),
    )


def safety_section(
    safety: SafetyAnalysis,
    term_limit: int | None,
    sae: SAEReporting,
    notice_hours: int,
    listing_limit: int | None,
) -> ReportSection:
    """Incidence tables, acute GVHD, SAEs with their reporting, one heat map per cohort."""
    figures = tuple(
        figure_image(
            ae_heatmap_figure(safety.by_term, scope=scope, title=f"Adverse events, cohort {scope}"),
            f"ae-heatmap-{scope}",
            f"Patients by adverse-event term and worst CTCAE grade, cohort {scope}.",
        )
        for scope in _scopes(safety)
        if scope != ALL
    )
    words = ()
    if not safety.population.get(ALL):
        words = ("No patient has been treated: no safety data to tabulate.",)
    tables = (
        _overview(safety),
        _by_term(safety, term_limit),
        _crs_icans(safety),
        gvhd_table(safety),
        sae_summary_table(sae, notice_hours),
        sae_listing(sae, listing_limit),
    )
    return ReportSection("safety", "Safety", words, tables, figures)


# =========================================================================== monitoring
def _rule_figure(rule: RuleStatus) -> FigureImage:
    events = _EVENT_WORDS.get(rule.event, rule.event.replace("_", " "))
    scope = "all cohorts" if rule.scope == "all" else f"cohort {rule.scope}"
    fig = monitoring_status_figure(
        rule.path, rule.boundary, crossed_at=rule.crossed_at, event_label=events,
        title=f"{rule.code.capitalize()} rule, {scope}",
    )  # fmt: skip
    return figure_image(
        fig,
        f"monitor-{rule.scope}-{rule.code}",
        f"Cumulative {events} among {rule.population} in enrolment order against the stopping "
        f"boundary (stop when Pr(rate > {rule.limit:g} | data) > {rule.cutoff:g}).",
    )


def monitoring_section(
    monitoring: MonitoringAnalysis, feasibility: FeasibilityAnalysis
) -> ReportSection:
    """Status of every rule, the boundary crossings in an alert, the feasibility rates."""
    status = Table(
        "monitoring",
        "Monitoring status at the data cut-off",
        ("Scope", "Rule", "Patients", "Events / responders", "Boundary crossed", "Status"),
        tuple(
            (str(r.scope), str(r.rule), str(r.patients), str(r.events),
             "yes" if r.crossed else "no", str(r.status))
            for r in monitoring.summary.itertuples(index=False)
        ),
    )  # fmt: skip
    feas = Table(
        "feasibility",
        "NK-cell product feasibility failures",
        ("Scope", "Failures", "Rate", "95% CI (exact)", "Unacceptable rate"),
        tuple(
            (scope, f"{f.rate.x}/{f.rate.n}", pct(f.rate.estimate),
             ci_text(f.rate.ci_lower, f.rate.ci_upper),
             DASH if f.limit is None else pct(f.limit, 0))
            for scope, f in feasibility.rates.items()
        ),
    )  # fmt: skip
    flagged = monitoring.flagged
    alert = ("Boundary crossed: " + "; ".join(flagged)) if flagged else ""
    figures = tuple(_rule_figure(r) for r in monitoring.all_rules)
    return ReportSection(
        "monitoring",
        "Monitoring status",
        ("No stopping boundary has been crossed.",) if not flagged else (),
        (status, feas),
        figures,
        alert=alert,
    )
