"""Subject-level facts the datasets lay out, read from a subject's derivation.

Each function returns the derivation's own field when `SubjectDerivation` carries it and
otherwise reads it off the derivation's parts without re-deciding a clinical rule (a category
test, a minimum, a first date), so the datasets follow `nakip.edc.derivations` exactly.
Treatment dates and counts are facts of the dosing and infusion forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from nakip.clinical import eln2022
from nakip.edc.derivations import SubjectDerivation, VisitResponse
from nakip.edc.models import FormRecord
from nakip.protocol import Protocol

_MISSING = object()
CR = frozenset({"CR"})
CR_CRI = frozenset({"CR", "CRi"})
CR_CRH_CRI = frozenset({"CR", "CRh", "CRi"})


def _own(d: Any, name: str) -> Any:
    return getattr(d, name, _MISSING)


def _d(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) and value else None


def _is_overt(d: SubjectDerivation, protocol: Protocol) -> bool:
    return protocol.cohort(d.cohort).primary_endpoint.kind == "eln2022_response"


def _best_in(d: SubjectDerivation, protocol: Protocol, categories: frozenset[str]) -> bool | None:
    """Best ELN 2022 response in `categories` (overt cohort); None without an assessment."""
    if not _is_overt(d, protocol) or d.best_response is None:
        return None
    return eln2022.is_responder(d.best_response, categories)


def responder_cr(d: SubjectDerivation, protocol: Protocol) -> bool | None:
    """Responder under 'CR only' (the registered endpoint's wording)."""
    own = _own(d, "responder_cr")
    return _best_in(d, protocol, CR) if own is _MISSING else own


def responder_cr_cri(d: SubjectDerivation, protocol: Protocol) -> bool | None:
    """Responder under 'CR or CRi as registered' (categories CR and CRi until the derivation
    carries the count-based rule for CRh patients; docs/clinical-rules.md)."""
    own = _own(d, "responder_cr_cri")
    return _best_in(d, protocol, CR_CRI) if own is _MISSING else own


def responder_cr_crh_cri(d: SubjectDerivation, protocol: Protocol) -> bool | None:
    """Responder under the ELN 2022 composite CR/CRh/CRi."""
    own = _own(d, "responder_cr_crh_cri")
    return _best_in(d, protocol, CR_CRH_CRI) if own is _MISSING else own


def mrd_evaluable(d: SubjectDerivation, protocol: Protocol) -> bool | None:
    """MRD response evaluable (mrd cohort): a response-assessment sample with a log10 change."""
    own = _own(d, "mrd_evaluable")
    if own is not _MISSING:
        return own
    if _is_overt(d, protocol):
        return None
    return any(p.response_assessment and p.log10_change is not None for p in d.mrd)


def mrd_negative(d: SubjectDerivation) -> bool | None:
    """MRD undetectable at any post-baseline sample (None without a post-baseline sample)."""
    own = _own(d, "mrd_negative")
    if own is not _MISSING:
        return own
    if not d.mrd:
        return None
    return any(p.value is not None and (p.value == 0 or p.is_bound) for p in d.mrd)


def best_mrd_log10_change(d: SubjectDerivation) -> float | None:
    """The largest decrease (most negative log10 change) over post-baseline MRD samples."""
    own = _own(d, "best_mrd_log10_change")
    if own is not _MISSING:
        return own
    changes = [p.log10_change for p in d.mrd if p.log10_change is not None]
    return min(changes) if changes else None


def remission_date(d: SubjectDerivation) -> date | None:
    """First CR/CRh/CRi (overt) or enrolment (mrd): the RFS/CIR origin of the derivation."""
    own = _own(d, "remission_date")
    if own is not _MISSING:
        return own
    return _d((d.time_to_event or {}).get("rfs_start"))


def last_assessment_date(d: SubjectDerivation) -> date | None:
    """The last dated response assessment (ELN 2022 visit or MRD sample)."""
    own = _own(d, "last_assessment_date")
    if own is not _MISSING:
        return own
    dates = [r.assessment_date for r in d.responses if r.assessment_date]
    dates += [p.sample_date for p in d.mrd if p.sample_date]
    return max(dates) if dates else None


def treatment_start_date(d: SubjectDerivation, records: Iterable[FormRecord]) -> date | None:
    """First day of talazoparib (the earliest dosing-period start)."""
    own = _own(d, "treatment_start_date")
    if own is not _MISSING:
        return own
    starts = [_d(r.values.get("period_start")) for r in records if r.form_code == "talazoparib"]
    starts = [s for s in starts if s is not None]
    return min(starts) if starts else None


def _given_infusions(records: Iterable[FormRecord]) -> list[date]:
    out = []
    for r in records:
        if r.form_code == "nk_infusion" and r.values.get("given"):
            when = _d(r.values.get("infusion_date"))
            if when is not None:
                out.append(when)
    return sorted(out)


def first_nk_date(d: SubjectDerivation, records: Iterable[FormRecord]) -> date | None:
    """Date of the first NK-cell infusion given."""
    own = _own(d, "first_nk_date")
    if own is not _MISSING:
        return own
    given = _given_infusions(records)
    return given[0] if given else None


def nk_infusions(records: Iterable[FormRecord]) -> int:
    """Number of NK-cell infusions given."""
    return len(_given_infusions(records))


def dlt_evaluable(d: SubjectDerivation, protocol: Protocol, as_of: date) -> bool:
    """DLT-evaluable: the DLT window has started and either a DLT occurred, the subject died, or
    the window is over by `as_of` (docs/demo.md, monitoring)."""
    own = _own(d, "dlt_evaluable")
    if own is not _MISSING:
        return own
    if d.dlt_window_start is None:
        return False
    end = d.dlt_window_start + timedelta(days=protocol.safety.dlt.window_days - 1)
    return d.has_dlt or d.death_date is not None or as_of > end


def visit_responder(d: SubjectDerivation, r: VisitResponse, protocol: Protocol) -> bool | None:
    """Responder at one ELN 2022 visit under the protocol's primary definition."""
    own = _own(r, "responder")
    if own is not _MISSING:
        return own
    endpoint = protocol.cohort(d.cohort).primary_endpoint
    if endpoint.kind != "eln2022_response":
        return None
    return eln2022.is_responder(r.category, endpoint.responder_categories)


_CIR_REASONS = {
    0: "censored at the last assessment",
    1: "haematological relapse",
    2: "death without relapse (competing risk)",
}


def time_to_event_rows(d: SubjectDerivation) -> list[dict[str, Any]]:
    """One row per endpoint (OS, EFS, RFS, CIR) with origin, date, days, event, CDISC CNSR and
    competing-risk status; RFS/CIR only for subjects who reached remission."""
    own = _own(d, "time_to_event_rows")
    if own is not _MISSING:
        return [x if isinstance(x, dict) else x.to_dict() for x in own]
    t = d.time_to_event
    if not t:
        return []
    rows = []
    for code in ("os", "efs"):
        event = bool(t[f"{code}_event"])
        rows.append(
            {
                "paramcd": code.upper(),
                "origin_date": d.enrolment_date,
                "date": _d(t[f"{code}_date"]),
                "days": t[f"{code}_days"],
                "event": event,
                "status": int(event),
                "reason": t[f"{code}_reason"],
            }
        )
    start = _d(t.get("rfs_start"))
    if start is not None and t.get("rfs_date"):
        rows.append(
            {
                "paramcd": "RFS",
                "origin_date": start,
                "date": _d(t["rfs_date"]),
                "days": t["rfs_days"],
                "event": bool(t["rfs_event"]),
                "status": int(bool(t["rfs_event"])),
                "reason": t.get("rfs_reason"),
            }
        )
    if start is not None and t.get("cir_code") is not None:
        code = int(t["cir_code"])
        rows.append(
            {
                "paramcd": "CIR",
                "origin_date": start,
                "date": _d(t["cir_date"]),
                "days": t["cir_days"],
                "event": code == 1,
                "status": code,
                "reason": _CIR_REASONS[code],
            }
        )
    for row in rows:
        row["cnsr"] = {0: 1, 1: 0, 2: 2}[row["status"]]
    return rows
