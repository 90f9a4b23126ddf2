"""The closed DSMB report: every section of the trial's results at a data cut-off, with the
listings shortened to their first rows and the notable adverse events (grade >= 3, serious,
DLT), so a DSMB member reads it in one sitting. `nakip report dsmb` writes it."""

from __future__ import annotations

from datetime import date

from nakip.analysis.data import TrialData
from nakip.protocol.model import Protocol
from nakip.report.trial_report.build import build_results_report
from nakip.report.trial_report.model import ResultsReport

__all__ = ["DSMB_LISTING_ROWS", "DSMB_TERM_ROWS", "build_dsmb_report"]

DSMB_LISTING_ROWS = 40
"""Rows per listing in the DSMB report (the final report lists all)."""
DSMB_TERM_ROWS = 30
"""Rows of the adverse-events-by-term table in the DSMB report."""


def build_dsmb_report(
    data: TrialData, protocol: Protocol, *, today: date | None = None, version: str | None = None
) -> ResultsReport:
    """The DSMB report of `data` (see the module docstring)."""
    return build_results_report(
        data, protocol, "dsmb", listing_limit=DSMB_LISTING_ROWS, term_limit=DSMB_TERM_ROWS,
        today=today, version=version,
    )  # fmt: skip
