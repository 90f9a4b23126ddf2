"""The completeness check before a casebook is signed or locked: what is still missing, listed
for people, and the data manager's explicit override with a reason (kept in the audit trail).

One function decides it for the pages and the API (ICH E6(R3) 2.12 / 3.16: the investigator
attests, and the sponsor locks, only complete and verified data — or records why not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from nakip.edc import permissions, services
from nakip.edc.exceptions import IncompleteCasebookError
from nakip.edc.models import FormRecord, Subject
from nakip.edc.schedule import VisitState
from nakip.wording import count

Action = Literal["sign", "lock"]
#: Characters of the findings copied into the audit note (a reason holds 2,000 at most).
MAX_LISTED = 1200


@dataclass(frozen=True)
class Finding:
    """One gap in a casebook: its kind (missing_forms, overdue_visits, open_queries,
    unsigned_changes, unverified_source_data) and a sentence for the page."""

    kind: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message}


def check_casebook(
    subject: Subject,
    action: Action,
    today: date | None = None,
    visits: Sequence[VisitState] | None = None,
    unresolved: int | None = None,
    signed: bool | None = None,
) -> list[Finding]:
    """What stands in the way of signing or locking the subject's casebook (empty = complete).

    Both actions: expected forms missing at visits already begun, visits overdue with nothing
    entered (schedule.visit_status), unresolved queries. A lock also needs the end-of-study
    form, a valid signature covering every change and source data verified on every record.
    The casebook page passes the visit states, the unresolved query count and whether a valid
    signature exists when it has them already (None: looked up here).
    """
    findings: list[Finding] = []
    if visits is None:  # the casebook page passes the states it has already computed
        visits = services.subject_visits(subject, today)
    started = [v for v in visits if v.forms_entered and v.forms_missing and v.status != "missed"]
    gaps = [f"{v.visit.code}: {', '.join(v.forms_missing).replace('_', ' ')}" for v in started]
    if action == "lock" and not subject.is_ended:
        gaps.append("end of study form")
    if gaps:
        findings.append(Finding("missing_forms", "missing forms: " + "; ".join(gaps)))
    # The casebook calls every visit whose window closed with forms missing "overdue"; a begun
    # one is listed above with its forms, so this finding names only the visits still empty.
    overdue = [v.visit.code for v in visits if v.status == "overdue" and v not in started]
    if overdue:
        listed = ", ".join(overdue)
        findings.append(
            Finding(
                "overdue_visits",
                f"{count(len(overdue), 'overdue visit')} with nothing entered: {listed}",
            )
        )
    n = services.unresolved_queries(subject).count() if unresolved is None else unresolved
    if n:
        findings.append(
            Finding("open_queries", f"{count(n, 'unresolved query', 'unresolved queries')}")
        )
    if action == "lock":
        if signed is None:
            signed = services.current_signature(subject) is not None
        if not signed:
            findings.append(
                Finding("unsigned_changes", "the investigator has not signed the current data")
            )
        unverified = FormRecord.objects.filter(
            subject=subject, withdrawn=False, sdv_at__isnull=True
        ).count()
        if unverified:
            findings.append(
                Finding(
                    "unverified_source_data",
                    f"{count(unverified, 'record')} without source data verification",
                )
            )
    return findings


def require_complete(user: Any, subject: Subject, action: Action, override_reason: str = "") -> str:
    """Refuse an incomplete casebook (IncompleteCasebookError listing the findings) unless the
    user overrides with a reason; returns the audit note of the override ("" when complete).

    The override of a lock is the data manager's (the `lock` right); a signature's is the
    signing investigator's own, since nobody else may sign.
    """
    permissions.require(user, action, subject)
    findings = check_casebook(subject, action)
    if not findings:
        return ""
    messages = [f.message for f in findings]
    reason = _override(override_reason)
    if not reason:
        verb = "signed" if action == "sign" else "locked"
        raise IncompleteCasebookError(
            f"casebook {subject.subject_number} is incomplete and cannot be {verb} without an "
            "override reason: " + "; ".join(messages),
            messages,
        )
    return _override_note(reason, messages)


def require_complete_cohort(
    user: Any, subjects: Sequence[Subject], override_reason: str = ""
) -> dict[int, str]:
    """require_complete(..., "lock") for every subject a cohort lock is about to lock: one
    refusal listing each incomplete casebook (so nothing is locked), unless the data manager
    overrides with a reason; returns the override's audit note per subject pk (none if complete).
    """
    incomplete: dict[str, list[str]] = {}
    notes: dict[int, str] = {}
    reason = _override(override_reason)
    for subject in subjects:
        permissions.require(user, "lock", subject)
        messages = [f.message for f in check_casebook(subject, "lock")]
        if messages:
            incomplete[subject.subject_number] = messages
            notes[subject.pk] = _override_note(reason, messages)
    if incomplete and not reason:
        listed = [f"{number}: {'; '.join(m)}" for number, m in incomplete.items()]
        raise IncompleteCasebookError(
            f"{count(len(incomplete), 'casebook')} of the cohort incomplete; the cohort cannot be "
            "locked without an override reason: " + " | ".join(listed),
            listed,
        )
    return notes


def _override(override_reason: str) -> str:
    return services.clean_text("override_reason", override_reason or "").strip()


def _override_note(reason: str, messages: Sequence[str]) -> str:
    """The audit note of an override: the reason and the findings it overrode."""
    listed = "; ".join(messages)[:MAX_LISTED]
    return f"completeness override: {reason} (findings: {listed})"
