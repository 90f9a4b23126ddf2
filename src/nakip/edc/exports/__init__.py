"""Exports of the trial's data: `csv` (analysis datasets, dictionary, raw form tables), `xpt`
(ADaM-like SAS transport v5), `sdtm` (SDTM-like domains + define table) and `odm` (CDISC ODM
1.3.2 with the audit trail). Each writes a `manifest.json` and appears in the output folder
whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nakip.analysis.data import TrialData
from nakip.edc.datasets import EDCSnapshot, trial_data_from
from nakip.edc.datasets.raw_forms import raw_form_tables
from nakip.edc.exports.csv_files import write_csv
from nakip.edc.exports.files import ExportedFile, Manifest, manifest_for, staged, write_manifest
from nakip.edc.exports.odm import write_odm
from nakip.edc.exports.sdtm import write_sdtm
from nakip.edc.exports.xpt import write_xpt

Writer = Callable[[EDCSnapshot, TrialData, Path], list[ExportedFile]]

FORMATS: dict[str, Writer] = {
    "csv": lambda snap, data, folder: write_csv(data, folder, raw_form_tables(snap)),
    "xpt": lambda snap, data, folder: write_xpt(data, folder),
    "sdtm": lambda snap, data, folder: write_sdtm(data, snap, folder),
    "odm": lambda snap, data, folder: write_odm(snap, folder),
}
"""Every export format by name."""


def export(fmt: str, snapshot: EDCSnapshot, out: Path) -> Manifest:
    """Write export `fmt` of the snapshot into `out` with its manifest; KeyError if unknown."""
    writer = FORMATS[fmt]
    data = trial_data_from(snapshot)
    with staged(out) as folder:
        files = writer(snapshot, data, folder)
        manifest = manifest_for(fmt, files, snapshot.cutoff, data.fingerprint)
        write_manifest(folder, manifest)
    return manifest


__all__ = ["FORMATS", "Manifest", "export"]
