"""Subject-level facts the datasets lay out beyond the derivation's own fields: the number of
NK-cell infusions, DLT evaluability at the data cut-off, the responder flag of one visit under
the protocol's primary definition, and the time-to-event rows in ADTTE's shape. Each reads the
derivation (`nakip.edc.derivations`) and decides no clinical rule of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from nakip.edc.derivations import SubjectDerivation, VisitResponse
from nakip.edc.models import FormRecord
from nakip.protocol import Protocol

#: the protocol's responder definition -> the VisitResponse flag that applies it
_VISIT_FLAG = {
    "cr_only": "responder_cr",
    "cr_cri_registered": "responder_cr_cri",
    "cr_crh_cri": "responder_cr_crh_cri",
}
#: competing-risk status -> CDISC CNSR (0 event, 1 censored, 2 competing event)
_CNSR = {0: 1, 1: 0, 2: 2}


def nk_infusions(records: Iterable[FormRecord]) -> int:
    """Number of NK-cell infusions given."""
    return sum(1 for r in records if r.form_code == "nk_infusion" and r.values.get("given"))


def dlt_evaluable(d: SubjectDerivation, as_of: date) -> bool:
    """DLT-evaluable at `as_of`: the DLT window has started and either a DLT occurred, the
    subject died, or the window is over (docs/clinical-rules.md, DLT window)."""
    if d.dlt_window_start is None:
        return False
    over = d.dlt_window_end is not None and as_of > d.dlt_window_end
    return d.has_dlt or d.death_date is not None or over


def visit_responder(d: SubjectDerivation, r: VisitResponse, protocol: Protocol) -> bool | None:
    """Responder at one ELN 2022 visit under the protocol's primary definition (None for a
    cohort without an ELN 2022 endpoint)."""
    definition = protocol.cohort(d.cohort).primary_endpoint.responder_definition
    return None if definition is None else getattr(r, _VISIT_FLAG[definition])


def time_to_event_rows(d: SubjectDerivation) -> list[dict[str, Any]]:
    """One row per endpoint (OS, EFS; RFS, CIR, CID for subjects in remission) with ADTTE's
    names and the CDISC CNSR beside the competing-risk status."""
    return [
        {
            "paramcd": row.endpoint,
            "origin_date": row.origin_date,
            "date": row.date,
            "days": row.days,
            "event": row.event,
            "status": row.status,
            "cnsr": _CNSR[row.status],
            "reason": row.reason,
        }
        for row in d.time_to_event_rows
    ]
