"""Report sections: enrolment and disposition (CONSORT 2010 item 13), protocol deviations (ICH E3
section 10.2)."""

from __future__ import annotations

from nakip.analysis.consort import ConsortCounts
from nakip.analysis.deviations import CHECKS, DeviationLog
from nakip.report.figures.consort import consort_figure
from nakip.report.figures.style import figure_image
from nakip.report.trial_report.model import ReportSection, Table
from nakip.wording import count

__all__ = ["deviations_section", "enrolment_section"]


def enrolment_section(consort: ConsortCounts) -> ReportSection:
    """Screening, enrolment, treatment and evaluability per cohort, with the CONSORT diagram."""
    flows = list(consort.cohorts.values())
    flow = Table(
        "flow",
        "Patient flow per cohort",
        ("Cohort", "Screened", "Not eligible", "Enrolled", "Not treated", "Treated",
         "Response-evaluable", "DLT-evaluable", "Analysed"),
        tuple(
            (f.cohort, str(f.screened), str(f.not_eligible), str(f.enrolled), str(f.not_treated),
             str(f.treated), str(f.response_evaluable), str(f.dlt_evaluable), str(f.analysed))
            for f in flows
        ),
        note="Analysed for the primary endpoint: all treated patients (a treated patient who "
        "cannot be assessed counts as a non-responder).",
    )  # fmt: skip
    reasons = Table(
        "not_eligible",
        "Criteria not met by patients found not eligible",
        ("Criterion", "Patients"),
        tuple((code, str(n)) for code, n in consort.reasons.items()),
        note="A patient may fail several criteria.",
    )
    off_reasons = sorted({r for f in flows for r in f.discontinued})
    disposition = Table(
        "disposition",
        "Disposition of treated patients at the data cut-off",
        ("Cohort", "Treated", "On study", *[r.replace("_", " ") for r in off_reasons]),
        tuple(
            (
                f.cohort,
                str(f.treated),
                str(f.treated - sum(f.discontinued.values())),
                *[str(f.discontinued.get(r, 0)) for r in off_reasons],
            )
            for f in flows
        ),
    )
    words = (
        f"{count(consort.screened, 'patient')} {'was' if consort.screened == 1 else 'were'} "
        f"screened: {consort.not_eligible} not eligible, "
        f"{consort.in_screening} still in screening and {consort.enrolled} enrolled."
    )
    tables = [flow, disposition] + ([reasons] if consort.reasons else [])
    fig = figure_image(
        consort_figure(consort),
        "consort",
        "Patient flow from screening to the primary analysis (CONSORT 2010 diagram).",
    )
    return ReportSection("enrolment", "Enrolment and disposition", (words,), tuple(tables), (fig,))


def deviations_section(log: DeviationLog) -> ReportSection:
    """Deviations recorded on the deviation form and found by the checks on the datasets, or a
    statement that there were none."""
    if log.table.empty:
        words = (
            "No protocol deviation is recorded. The sites recorded none on the deviation form, "
            f"and the checks made on the datasets ({CHECKS}) found none."
        )
        return ReportSection("deviations", "Protocol deviations", (words,))
    counts = ", ".join(f"{n} {category}" for category, n in log.counts.items())
    severity = ", ".join(f"{n} {s}" for s, n in log.severity_counts.items()) or "none"
    recorded = int((log.table["source"] == "form").sum())
    table = Table(
        "deviations",
        "Protocol deviations",
        ("Subject", "Cohort", "Category", "Severity", "Description", "Source"),
        tuple(
            (
                str(r.usubjid),
                str(r.cohort),
                str(r.category),
                str(r.severity) or "—",
                str(r.description),
                str(r.source),
            )
            for r in log.table.itertuples(index=False)
        ),  # fmt: skip
    )
    words = (
        f"{len(log.table)} protocol deviations ({counts}): {recorded} recorded by the sites on "
        f"the deviation form (severity: {severity}) and {len(log.table) - recorded} found by "
        f"the checks on the datasets ({CHECKS})."
    )
    return ReportSection("deviations", "Protocol deviations", (words,), (table,))
