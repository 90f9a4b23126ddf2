"""Report section: survival per cohort (OS, EFS, RFS by Kaplan-Meier; CIR and CID by
Aalen-Johansen) with medians, landmark rates, curves with numbers at risk, and the swimmer plot.

Estimates come from `nakip.analysis.survival` (ELN 2022 Table 9 definitions; log-log limits,
Brookmeyer-Crowley medians); "not reached" and "not estimable" are written out, never NaN.
"""

from __future__ import annotations

from typing import Any

from nakip.analysis.data import TrialData
from nakip.report.figures.patients import swimmer_figure
from nakip.report.figures.style import FigureImage, figure_image
from nakip.report.figures.survival import cif_figure, km_figure
from nakip.report.trial_report.model import DASH, NOT_ESTIMABLE, ReportSection, Table, ci_text, pct

__all__ = ["survival_section"]

_NAMES = {
    "OS": ("Overall survival", "Months since enrolment"),
    "EFS": ("Event-free survival", "Months since enrolment"),
    "RFS": ("Relapse-free survival (responders)", "Months since remission"),
}


def _median(ep: Any) -> str:
    if not ep.estimable:
        return NOT_ESTIMABLE
    if ep.median_months is None:
        return "not reached"
    low = DASH if ep.median_lower_months is None else f"{ep.median_lower_months:.1f}"
    high = "not reached" if ep.median_upper_months is None else f"{ep.median_upper_months:.1f}"
    return f"{ep.median_months:.1f} ({low}{DASH}{high})"


def _landmark(lm: Any) -> str:
    if lm.estimate is None:
        return NOT_ESTIMABLE
    return f"{pct(lm.estimate)} ({ci_text(lm.lower, lm.upper)})"


def _summary(survival: Any) -> Table:
    marks = [f"{m:g}" for m in survival.landmarks_months]
    rows = []
    for cohort in survival.cohorts:
        for code in ("OS", "EFS", "RFS"):
            ep = survival.endpoints[(cohort, code)]
            rows.append(
                (cohort, code, str(ep.n), str(ep.events), _median(ep),
                 *[_landmark(lm) for lm in ep.landmarks], ep.reason or "")
            )  # fmt: skip
        cr = survival.competing[cohort]
        for code, events, landmarks in (
            ("CIR", cr.relapses, cr.cir_landmarks),
            ("CID", cr.deaths_without_relapse, cr.cid_landmarks),
        ):
            rows.append(
                (cohort, code, str(cr.n), str(events), DASH,
                 *[_landmark(lm) for lm in landmarks], cr.reason or "")
            )  # fmt: skip
    return Table(
        "survival",
        "Survival and cumulative incidence by cohort",
        ("Cohort", "Endpoint", "Patients", "Events", "Median, months (95% CI)",
         *[f"{m} months (95% CI)" for m in marks], "Note"),
        tuple(rows),
        note="Kaplan-Meier estimates with log(-log) 95% limits; medians with Brookmeyer-Crowley "
        "limits; CIR (relapse) and CID (death without relapse) are Aalen-Johansen cumulative "
        "incidences, so their landmark values are incidences, not survival.",
    )  # fmt: skip


def _km(survival: Any, code: str) -> FigureImage:
    name, axis = _NAMES[code]
    curves = {
        cohort: survival.endpoints[(cohort, code)].km
        for cohort in survival.cohorts
        if survival.endpoints[(cohort, code)].estimable
    }
    return figure_image(
        km_figure(curves, title=name, xlabel=axis),
        f"km-{code.lower()}",
        f"{name} by cohort (Kaplan-Meier, 95% log(-log) band, + censored), numbers at risk "
        "under the plot.",
    )


def _cif(survival: Any) -> FigureImage:
    curves: dict[str, Any] = {}
    for cohort in survival.cohorts:
        cr = survival.competing[cohort]
        if cr.estimable:
            curves[f"{cohort}: relapse"] = cr.cir
            curves[f"{cohort}: death without relapse"] = cr.cid
    return figure_image(
        cif_figure(curves, title="Cumulative incidence of relapse and of death without relapse"),
        "cif",
        "Cumulative incidence of relapse (CIR) with death without relapse (CID) as the "
        "competing risk, by cohort (Aalen-Johansen, 95% band).",
    )


def survival_section(data: TrialData, survival: Any) -> ReportSection:
    """The survival section; without the survival analysis, a note saying it is missing."""
    swimmer = figure_image(
        swimmer_figure(data.adsl, data.adrs, data.adtte),
        "swimmer",
        "Time on study per enrolled patient (enrolment to death or last known alive) with "
        "first response, relapse and death.",
    )
    if survival is None:
        words = ("Survival estimates are not available in this build (nakip.analysis.survival "
                 "is missing).",)  # fmt: skip
        return ReportSection("survival", "Survival", words, figures=(swimmer,))
    figures = (*(_km(survival, code) for code in ("OS", "EFS", "RFS")), _cif(survival), swimmer)
    words = (
        "Time origin is enrolment (remission for RFS and CIR/CID). The cohorts are not "
        "compared formally.",
    )
    return ReportSection("survival", "Survival", words, (_summary(survival),), figures)
