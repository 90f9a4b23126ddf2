"""ADSAE: every serious adverse event with the state of its expedited reporting (seriousness
criteria, awareness, 24-hour notice, follow-ups), as `nakip.edc.sae` decides it."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.utils import timezone

from nakip.edc.datasets.frames import keys
from nakip.edc.datasets.source import SubjectSource
from nakip.edc.sae import AE_FORM, SAE_FORM, sae_case


def adsae_rows(src: SubjectSource) -> list[dict[str, Any]]:
    """The ADSAE rows of one subject: its serious adverse events at the data cut-off, each
    judged at the end of the snapshot's day (`as_of`)."""
    base = keys(src.subject, src.usubjid)
    hours = src.protocol.safety.sae_notice_hours
    now = timezone.make_aware(datetime.combine(src.as_of, time.max))
    reports: dict[int, list] = {}
    for r in src.of(SAE_FORM):
        reports.setdefault(int(r.values.get("ae_record_id", 0)), []).append(r)
    rows = []
    for rec in src.of(AE_FORM):
        if rec.values.get("serious") is not True:
            continue
        case = sae_case(rec, reports.get(rec.pk, []), hours, now)
        notified = case.sponsor_notified_at
        rows.append(
            {
                **base,
                "record_id": rec.pk,
                "term": case.term,
                "grade": rec.values.get("ctcae_grade"),
                "onset_date": case.onset_date,
                "criteria": "; ".join(case.criteria),
                "site_aware_at": case.site_aware_at.isoformat(timespec="minutes"),
                "sponsor_notified_at": notified.isoformat(timespec="minutes") if notified else None,
                "hours_to_notice": case.hours_to_notice,
                "notice_status": case.status,
                "notice_on_time": None if notified is None else not case.overdue,
                "follow_ups": case.follow_ups,
                "outcome": rec.values.get("outcome"),
            }
        )
    return rows
