"""ADTTE: one row per subject and endpoint (OS, EFS, RFS, CIR) with event or censoring."""

from __future__ import annotations

from typing import Any

from nakip.edc.datasets import subject_facts as facts
from nakip.edc.datasets.frames import keys
from nakip.edc.datasets.source import SubjectSource


def adtte_rows(src: SubjectSource) -> list[dict[str, Any]]:
    """The ADTTE rows of one subject, one per endpoint the derivation reached."""
    base = keys(src.subject, src.usubjid)
    return [{**base, **row} for row in facts.time_to_event_rows(src.derivation)]
