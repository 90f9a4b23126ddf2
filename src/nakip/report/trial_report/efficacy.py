"""Report section: the primary endpoint per cohort (responders under every definition, exact
inference, the two-stage analysis and the decision), with the MRD waterfall and spider plots.

Numbers come from `nakip.analysis.efficacy` (Clopper-Pearson intervals, exact binomial tests,
Koyama & Chen 2008 stage-wise inference); here they are only laid out.
"""

from __future__ import annotations

from itertools import accumulate

from nakip.analysis.data import TrialData
from nakip.analysis.efficacy import CohortEfficacy, EfficacyAnalysis
from nakip.analysis.populations import primary_outcomes
from nakip.protocol.model import Cohort, Protocol
from nakip.report.figures.monitoring import simon_status_figure
from nakip.report.figures.patients import mrd_spider_figure, mrd_waterfall_figure
from nakip.report.figures.style import FigureImage, figure_image
from nakip.report.trial_report.model import (
    DASH,
    ReportSection,
    Table,
    ci_text,
    number,
    p_text,
    pct,
)

__all__ = ["efficacy_section"]


def _rates(c: CohortEfficacy) -> Table:
    rows = []
    for r in c.rates:
        prop = r.rate
        rows.append(
            (
                r.definition,
                "all treated" if r.population == "ITT" else "response-evaluable",
                f"{prop.x}/{prop.n}",
                pct(prop.estimate),
                ci_text(prop.ci_lower, prop.ci_upper),
                p_text(prop.p_value) if prop.estimable else DASH,
            )
        )
    conf = f"{100 * c.rates[0].rate.conf_level:g}%" if c.rates else "95%"
    return Table(
        f"rates-{c.cohort}",
        f"Response rate, cohort {c.cohort}",
        ("Definition", "Population", "Responders", "Rate", f"{conf} CI (exact)",
         f"One-sided p (H0: p <= {c.design.p0:g})"),
        tuple(rows),
        note="Exact Clopper-Pearson intervals and exact binomial tests; patients whose outcome "
        "is not settled at the cut-off are not counted yet.",
    )  # fmt: skip


def _two_stage(c: CohortEfficacy) -> Table | None:
    est = c.two_stage
    if est is None:
        return None
    conf = f"{100 * est.conf_level:g}%"
    if not est.estimable:
        row = (DASH, DASH, DASH, DASH, DASH, DASH, est.reason or "not estimable")
    else:
        row = (
            str(est.stage),
            f"{est.responders}/{est.treated}",
            p_text(est.p_value),
            number(est.mue, 3),
            number(est.umvue, 3),
            f"{number(est.ci_lower, 3)}{DASH}{number(est.ci_upper, 3)}",
            "",
        )
    return Table(
        f"two-stage-{c.cohort}",
        f"Stage-wise inference after the two-stage design, cohort {c.cohort}",
        ("Stage", "Responders", "p-value", "Median-unbiased estimate", "UMVUE", f"{conf} CI",
         "Note"),
        (row,),
        note="Stage-wise ordering (Koyama & Chen 2008); the interval is exact and two-sided at "
        "1 - 2 alpha, matching the one-sided test.",
    )  # fmt: skip


def _best(c: CohortEfficacy) -> Table:
    return Table(
        f"best-{c.cohort}",
        f"Best response of treated patients, cohort {c.cohort}",
        ("Best response", "Patients"),
        tuple((k, str(v)) for k, v in c.best_response.items()),
    )


def _simon_figure(
    data: TrialData, protocol: Protocol, cohort: Cohort, c: CohortEfficacy
) -> FigureImage:
    adsl = data.adsl[data.adsl["cohort"] == cohort.code]
    outcomes = primary_outcomes(adsl, protocol, cohort, data.cutoff, "responder")
    path = list(accumulate(o is True for o in outcomes))
    d = c.design
    fig = simon_status_figure(
        path, d.r1, d.n1, d.r, d.n, title=f"Responders against the design, cohort {cohort.code}"
    )
    return figure_image(
        fig,
        f"simon-{cohort.code}",
        f"Cumulative responders among treated patients in enrolment order (pending outcomes "
        f"count as not yet responding) against the design's decision points ({d.rule_text}).",
    )


def _mrd_figures(data: TrialData, protocol: Protocol, code: str) -> tuple[FigureImage, ...]:
    threshold = -protocol.response_criteria.mrd.responder_log10_decrease_above
    adsl = data.adsl[data.adsl["cohort"] == code]
    adrs = data.adrs[data.adrs["cohort"] == code]
    return (
        figure_image(
            mrd_waterfall_figure(adsl, threshold=threshold),
            f"mrd-waterfall-{code}",
            f"Largest MRD log10 change from baseline per patient; the dashed line is the "
            f"response boundary ({threshold:g} log10, ELN-MRD 2021).",
        ),
        figure_image(
            mrd_spider_figure(adrs, adsl, threshold=threshold),
            f"mrd-spider-{code}",
            "MRD log10 change from baseline at each sample, per patient.",
        ),
    )


def _cohort(
    data: TrialData, protocol: Protocol, cohort: Cohort, c: CohortEfficacy
) -> ReportSection:
    d = c.design
    words = [
        f"{c.endpoint} Design: {d.label} ({d.rule_text}), p0 = {d.p0:g}, p1 = {d.p1:g}.",
        f"{c.treated} treated patients: {c.settled} with a settled outcome, {c.pending} pending, "
        f"{c.evaluable} response-evaluable.",
        f"Stage 1: {c.simon.stage1_text}. Final: {c.simon.final_text}.",
        f"Decision: {c.decision}",
    ]
    tables = [t for t in (_rates(c), _two_stage(c), _best(c)) if t is not None]
    figures = [_simon_figure(data, protocol, cohort, c)]
    if cohort.primary_endpoint.kind == "mrd_log10_decrease":
        figures += _mrd_figures(data, protocol, cohort.code)
    return ReportSection(
        f"efficacy-{cohort.code}",
        f"Cohort {cohort.code}: {cohort.name}",
        tuple(words),
        tuple(tables),
        tuple(figures),
        alert=c.decision if c.simon.crossed else "",
    )


def efficacy_section(
    data: TrialData, protocol: Protocol, efficacy: EfficacyAnalysis
) -> ReportSection:
    """One subsection per cohort of the protocol."""
    subs = tuple(
        _cohort(data, protocol, cohort, efficacy.cohorts[cohort.code])
        for cohort in protocol.cohorts
    )
    words = (
        "Each cohort is analysed on its own. The primary analysis counts every treated patient "
        "(non-evaluable patients are non-responders); the response-evaluable analysis and the "
        "alternative responder definitions are sensitivity analyses.",
    )
    return ReportSection("efficacy", "Primary endpoint", words, subsections=subs)
