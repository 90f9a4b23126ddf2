"""`build_trial_data`: the EDC's analysis datasets at a data cut-off as one `TrialData`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from nakip.analysis.data import TrialData
from nakip.edc.datasets.adae import adae_rows
from nakip.edc.datasets.addv import addv_rows
from nakip.edc.datasets.adlb import adlb_rows
from nakip.edc.datasets.adrs import adrs_rows
from nakip.edc.datasets.adsae import adsae_rows
from nakip.edc.datasets.adsl import adsl_row
from nakip.edc.datasets.adsv import adsv_rows
from nakip.edc.datasets.adtte import adtte_rows
from nakip.edc.datasets.frames import typed_frame
from nakip.edc.datasets.screening import screening_row
from nakip.edc.datasets.snapshot import EDCSnapshot, load_snapshot
from nakip.edc.datasets.source import subject_sources
from nakip.edc.models import ScreeningRecord, Subject
from nakip.edc.protocol_forms import get_protocol
from nakip.protocol import Protocol


def trial_data_from(snapshot: EDCSnapshot) -> TrialData:
    """ADSL, ADRS, ADTTE, ADAE, ADLB, the screening log, ADDV, ADSAE and ADSV of a loaded
    snapshot."""
    sources = subject_sources(snapshot)
    return TrialData(
        adsl=typed_frame("adsl", (adsl_row(s) for s in sources)),
        adrs=typed_frame("adrs", (r for s in sources for r in adrs_rows(s))),
        adtte=typed_frame("adtte", (r for s in sources for r in adtte_rows(s))),
        adae=typed_frame("adae", (r for s in sources for r in adae_rows(s))),
        adlb=typed_frame("adlb", (r for s in sources for r in adlb_rows(s))),
        screening=typed_frame(
            "screening", (screening_row(s, snapshot.cutoff) for s in snapshot.screenings)
        ),
        addv=typed_frame("addv", (r for s in sources for r in addv_rows(s))),
        adsae=typed_frame("adsae", (r for s in sources for r in adsae_rows(s))),
        adsv=typed_frame("adsv", (r for s in sources for r in adsv_rows(s))),
        cutoff=snapshot.cutoff,
    )


def build_trial_data(
    protocol: Protocol | None = None,
    cutoff: date | None = None,
    subjects: Iterable[Subject] | None = None,
    screenings: Iterable[ScreeningRecord] | None = None,
) -> TrialData:
    """The analysis datasets at `cutoff` (None: all data) over `subjects` (default all) and
    `screenings` (default all, or the given subjects' own); CutoffError if the cut-off is
    before the first enrolment."""
    if protocol is None:
        protocol = get_protocol()
    return trial_data_from(load_snapshot(protocol, cutoff, subjects, screenings))
