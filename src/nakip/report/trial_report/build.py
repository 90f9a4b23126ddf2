"""Build a DSMB or final report: every analysis fitted on one TrialData, laid out in sections.

The analyses are those of `nakip.analysis.trial.TrialAnalysis` (with survival when its module is
present) plus the deviation checks and the SAE reporting; nothing is computed here that the
analysis layer owns.
"""

from __future__ import annotations

from datetime import date

from nakip.analysis.data import TrialData
from nakip.analysis.deviations import DeviationLog
from nakip.analysis.sae_reporting import SAEReporting
from nakip.analysis.trial import TrialAnalysis
from nakip.protocol.model import Protocol
from nakip.provenance import code_version
from nakip.report.trial_report.efficacy import efficacy_section
from nakip.report.trial_report.enrolment import deviations_section, enrolment_section
from nakip.report.trial_report.listings import listings_section
from nakip.report.trial_report.model import ReportKind, ResultsReport
from nakip.report.trial_report.safety import monitoring_section, safety_section
from nakip.report.trial_report.survival import survival_section

__all__ = ["TITLES", "build_results_report"]

TITLES: dict[str, str] = {"dsmb": "Closed DSMB report", "final": "Final study report"}


def build_results_report(
    data: TrialData,
    protocol: Protocol,
    kind: ReportKind,
    *,
    listing_limit: int | None,
    term_limit: int | None,
    today: date | None = None,
    version: str | None = None,
) -> ResultsReport:
    """Fit every analysis on `data` and lay the results out as a `kind` report.

    `listing_limit` rows per listing and `term_limit` rows of the AE-by-term table (None: all);
    `version` overrides the code version (tests pin it so output is reproducible).
    """
    analysis = TrialAnalysis(protocol).fit(data)
    deviations = DeviationLog(protocol).fit(data)
    sae = SAEReporting().fit(data)
    notes = []
    if analysis.survival is None:
        notes.append("Survival analysis not available in this build.")
    sections = (
        enrolment_section(analysis.consort),
        deviations_section(deviations),
        efficacy_section(data, protocol, analysis.efficacy),
        safety_section(
            analysis.safety, term_limit, sae, protocol.safety.sae_notice_hours, listing_limit
        ),
        monitoring_section(analysis.monitoring, analysis.feasibility),
        survival_section(data, analysis.survival),
        listings_section(data, listing_limit),
    )
    trial = protocol.trial
    return ResultsReport(
        kind=kind,
        title=TITLES[kind],
        acronym=trial.acronym,
        study_title=" ".join(trial.title.split()),
        registry_id=trial.registry_id,
        protocol_version=trial.protocol_version,
        cutoff="all data (no cut-off)" if data.cutoff is None else data.cutoff.isoformat(),
        fingerprint=data.fingerprint,
        code_version=version or code_version(),
        generated=(today or date.today()).isoformat(),
        sections=sections,
        notes=tuple(notes),
    )
