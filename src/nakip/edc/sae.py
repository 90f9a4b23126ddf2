"""The expedited SAE workflow: seriousness criteria on the adverse event, the initial notice to
the sponsor within `safety.sae_notice_hours` of the site's awareness, and follow-up reports.

Reports are `sae_report` form records tied to their adverse-event record, written through
`services.form_records.create_workflow_record` (one transaction, audit trail, locks and
permissions) after the checks below; the generic record entry refuses them. The timeline rule is
docs/clinical-rules.md "SAE timelines" (ICH E6(R2) 4.11.1; ICH E2A seriousness).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from nakip.clinical.ctcae_terms import reported_term, soc_of
from nakip.edc import services
from nakip.edc.exceptions import FormValidationError, InvalidStateError
from nakip.edc.models import FormRecord, Subject
from nakip.edc.protocol_forms import SAE_REPORT_FORM
from nakip.edc.services.form_records import create_workflow_record

SAE_FORM = SAE_REPORT_FORM
AE_FORM = "adverse_event"
#: adverse-event field -> ICH E2A seriousness criterion
CRITERIA: dict[str, str] = {
    "sae_death": "results in death",
    "sae_life_threatening": "life-threatening",
    "sae_hospitalisation": "requires or prolongs hospitalisation",
    "sae_disability": "persistent or significant disability",
    "sae_congenital_anomaly": "congenital anomaly / birth defect",
    "sae_medically_important": "other medically important event",
}


def seriousness_criteria(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The ICH E2A criteria ticked on an adverse-event record."""
    return tuple(text for name, text in CRITERIA.items() if values.get(name) is True)


@dataclass(frozen=True)
class SAECase:
    """One serious adverse event and the state of its expedited reporting.

    `status`: "notice missing" (no initial report yet), "overdue" (not notified and the
    deadline has passed), "notified" (on time), "notified late", or "awaiting notice" (inside
    the deadline). `deadline` is the site's awareness (the AE's entry time until an initial
    report says otherwise) plus `safety.sae_notice_hours`.
    """

    ae_record_id: int
    subject_number: str
    site_code: str
    term: str
    soc: str | None
    onset_date: date | None
    criteria: tuple[str, ...]
    site_aware_at: datetime
    deadline: datetime
    sponsor_notified_at: datetime | None
    hours_to_notice: float | None
    overdue: bool
    status: str
    follow_ups: int

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for k in ("site_aware_at", "deadline", "sponsor_notified_at"):
            out[k] = out[k].isoformat() if out[k] is not None else None
        out["onset_date"] = self.onset_date.isoformat() if self.onset_date else None
        out["criteria"] = list(self.criteria)
        return out


def _aware(value: str) -> datetime:
    dt = datetime.fromisoformat(value)
    return timezone.make_aware(dt) if timezone.is_naive(dt) else dt


def _reports(ae: FormRecord) -> list[FormRecord]:
    return [
        r for r in services.records(ae.subject, SAE_FORM) if r.values.get("ae_record_id") == ae.pk
    ]


@transaction.atomic
def file_report(user: Any, ae_record: FormRecord, values: Mapping[str, Any]) -> services.SaveResult:
    """File the initial notice or the next follow-up report of a serious adverse event.

    Refuses (one-line error naming the field) a record that is not a serious, non-withdrawn
    adverse event, one without a seriousness criterion, a second initial notice, and a
    follow-up before the initial notice; the follow-up number is assigned here.
    """
    ae = FormRecord.objects.select_for_update().get(pk=ae_record.pk)
    if ae.form_code != AE_FORM or ae.withdrawn:
        raise InvalidStateError(f"record #{ae.pk} is not an active adverse-event record")
    if ae.values.get("serious") is not True:
        raise FormValidationError(
            {"ae_record_id": [f"adverse event #{ae.pk} is not marked serious"]}
        )
    if not seriousness_criteria(ae.values):
        raise FormValidationError(
            {
                "ae_record_id": [
                    f"adverse event #{ae.pk} has no seriousness criterion ticked: tick at least "
                    "one on the adverse event"
                ]
            }
        )
    existing = _reports(ae)
    initial = [r for r in existing if r.values.get("report_type") == "initial"]
    kind = values.get("report_type")
    data = {**values, "ae_record_id": ae.pk}
    if kind == "initial" and initial:
        raise InvalidStateError(
            f"adverse event #{ae.pk} already has its initial notice (record #{initial[0].pk})"
        )
    if kind == "follow_up":
        if not initial:
            raise InvalidStateError(f"adverse event #{ae.pk}: file the initial notice first")
        data["follow_up_number"] = sum(r.values.get("report_type") == "follow_up"
                                       for r in existing) + 1  # fmt: skip
    return create_workflow_record(user, ae.subject, SAE_FORM, data)


def sae_case(ae: FormRecord, reports: list[FormRecord], hours: int, now: datetime) -> SAECase:
    """The reporting state of one serious adverse event from its `sae_report` records (the one
    place the notice deadline and its status are decided; the ADSAE dataset reads it too)."""
    v = ae.values
    initial = next((r for r in reports if r.values.get("report_type") == "initial"), None)
    follow = sum(r.values.get("report_type") == "follow_up" for r in reports)
    aware = ae.created_at
    notified = None
    if initial is not None:
        aware = _aware(initial.values["site_aware_at"])
        if initial.values.get("sponsor_notified_at"):
            notified = _aware(initial.values["sponsor_notified_at"])
    deadline = aware + timedelta(hours=hours)
    took = None if notified is None else (notified - aware).total_seconds() / 3600
    if notified is not None:
        overdue, status = (
            notified > deadline,
            "notified late" if notified > deadline else "notified",
        )
    else:
        overdue = now > deadline
        status = (
            "overdue" if overdue else ("notice missing" if initial is None else "awaiting notice")
        )
    try:
        term = reported_term(v.get("term", ""), v.get("term_other"))
    except ValueError:
        term = v.get("term", "")
    onset = v.get("onset_date")
    return SAECase(
        ae.pk, ae.subject.subject_number, ae.subject.site.code, term, soc_of(v.get("term", "")),
        date.fromisoformat(onset) if onset else None, seriousness_criteria(v), aware, deadline,
        notified, None if took is None else round(took, 2), overdue, status, follow,
    )  # fmt: skip


def sae_cases(
    subjects: QuerySet[Subject] | Iterable[Subject], now: datetime | None = None
) -> list[SAECase]:
    """Every serious adverse event of the subjects with its reporting state (oldest first)."""
    hours = services.get_protocol().safety.sae_notice_hours
    now = now or timezone.now()
    ids = [s.pk for s in subjects]
    recs = list(
        FormRecord.objects.filter(subject_id__in=ids, withdrawn=False,
                                  form_code__in=[AE_FORM, SAE_FORM])
        .select_related("subject", "subject__site").order_by("id")
    )  # fmt: skip
    by_ae: dict[tuple[int, int], list[FormRecord]] = {}
    for r in recs:  # a report counts only for an AE of its own subject
        if r.form_code == SAE_FORM:
            by_ae.setdefault((r.subject_id, int(r.values.get("ae_record_id", 0))), []).append(r)
    return [
        sae_case(r, by_ae.get((r.subject_id, r.pk), []), hours, now)
        for r in recs
        if r.form_code == AE_FORM and r.values.get("serious") is True
    ]
