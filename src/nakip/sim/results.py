"""The virtual trial read back from the EDC: its analysis datasets and every analysis of them.

A thin adapter: `nakip.edc.datasets.build_trial_data` builds the datasets (optionally one site's)
and `nakip.analysis.trial.TrialAnalysis` computes CONSORT counts, efficacy, Simon and monitoring
status, safety and feasibility. Nothing here knows the virtual patients' truth, so the same
summary works on real data.
"""

from __future__ import annotations

from datetime import date

from nakip.analysis.data import TrialData
from nakip.analysis.trial import TrialAnalysis
from nakip.protocol import Protocol


def trial_data(
    protocol: Protocol, data_cut: date | None = None, site_code: str | None = None
) -> TrialData:
    """The EDC's analysis datasets at `data_cut` (default today), of one site when given."""
    from nakip.edc.datasets import build_trial_data
    from nakip.edc.models import ScreeningRecord, Subject

    subjects = screenings = None
    if site_code:
        subjects = Subject.objects.filter(site__code=site_code)
        screenings = ScreeningRecord.objects.filter(site__code=site_code)
    return build_trial_data(protocol, data_cut or date.today(), subjects, screenings)


def summarize(
    protocol: Protocol | None = None, data_cut: date | None = None, site_code: str | None = None
) -> TrialAnalysis:
    """Every analysis of the EDC's data (optionally one site's) at `data_cut` (default today)."""
    if protocol is None:
        from nakip.edc.services import get_protocol

        protocol = get_protocol()
    return TrialAnalysis(protocol).fit(trial_data(protocol, data_cut, site_code))
