"""The final study report: every section of the DSMB report with the tables and listings in
full (all subjects, assessments and adverse events). `nakip report final` writes it."""

from __future__ import annotations

from datetime import date

from nakip.analysis.data import TrialData
from nakip.protocol.model import Protocol
from nakip.report.trial_report.build import build_results_report
from nakip.report.trial_report.model import ResultsReport

__all__ = ["build_final_report"]


def build_final_report(
    data: TrialData, protocol: Protocol, *, today: date | None = None, version: str | None = None
) -> ResultsReport:
    """The final report of `data` (see the module docstring)."""
    return build_results_report(
        data, protocol, "final", listing_limit=None, term_limit=None, today=today, version=version
    )
