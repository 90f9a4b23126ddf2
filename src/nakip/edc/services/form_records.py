"""Form records: entry, correction (reason required), withdrawal and source-data
verification, with the visit and death-date checks and the cross-form checks they trigger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from nakip.edc.checks import CheckResult, SoftFinding, check_dates
from nakip.edc.death_dates import death_date
from nakip.edc.derivations import derive_subject
from nakip.edc.exceptions import FormValidationError, InvalidStateError
from nakip.edc.models import FormRecord, MissedVisit, Query, QueryStatus, RecordStatus, Subject
from nakip.edc.permissions import require
from nakip.edc.protocol_forms import (
    SAE_REPORT_FORM,
    SCREENING_FORM,
    form_definition,
    get_protocol,
)
from nakip.edc.schedule import PlannedVisit, find_visit, planned_visits
from nakip.edc.services.common import (
    audited_save,
    check_version,
    locked_subject,
    need_reason,
    refuse_if_locked,
    validated,
)
from nakip.edc.services.queries import mark_closed, sync_cross_form_queries, sync_soft_queries
from nakip.edc.services.signoff import invalidate_signatures
from nakip.protocol.model import FormDefinition

#: Forms with a workflow of their own that checks a record before it is saved: generic entry
#: (record pages, the records API, create_record) is refused with where to go instead.
WORKFLOW_FORMS: dict[str, str] = {
    SAE_REPORT_FORM: "SAE reports are filed through the SAE workflow (the SAE reports page, "
    "'file report' on the serious adverse event), which checks the event is serious and "
    "numbers the follow-ups",
}
#: Fields of a workflow form that its workflow set and a correction may not change.
WORKFLOW_FIXED_FIELDS: dict[str, tuple[str, ...]] = {
    SAE_REPORT_FORM: ("ae_record_id", "report_type", "follow_up_number"),
}


@dataclass(frozen=True)
class SaveResult:
    """A saved record and the queries the soft checks opened on this save."""

    record: FormRecord
    opened_queries: tuple[Query, ...] = ()


def _visit_for(subject: Subject, form: FormDefinition, visit_code: str) -> PlannedVisit | None:
    proto = get_protocol()
    visits = planned_visits(subject.cohort, proto)
    in_some_visit = any(form.code in v.forms for v in visits)
    if not visit_code:
        if in_some_visit and not form.repeating:
            raise FormValidationError(
                {"visit_code": [f"the {form.title} form is entered at a visit; say which"]}
            )
        return None
    visit = find_visit(subject.cohort, visit_code, proto)
    if visit is None:
        raise FormValidationError(
            {"visit_code": [f"no visit {visit_code!r} in the {subject.cohort} schedule"]}
        )
    if form.code not in visit.forms:
        raise FormValidationError(
            {"visit_code": [f"the {form.title} form is not part of visit {visit_code}"]}
        )
    return visit


def _validate_record(
    subject: Subject,
    form: FormDefinition,
    values: Mapping[str, Any] | None,
    record: FormRecord | None,
) -> CheckResult:
    result = validated(form, values)
    dated = check_dates(
        form, result.values, subject.screening.consent_date, death_date(subject, record)
    )
    if dated:
        raise FormValidationError(dated)
    return result


@transaction.atomic
def create_record(
    user: Any,
    subject: Subject,
    form_code: str,
    values: Mapping[str, Any] | None,
    visit_code: str = "",
) -> SaveResult:
    """Enter a new form record (latest form version) for a subject, at a visit or not.

    Screening data and the forms of WORKFLOW_FORMS are refused: they have their own service."""
    require(user, "enter_data", subject)
    if form_code == SCREENING_FORM:
        raise FormValidationError(
            {"form_code": ["screening data are entered as a screening, not as a form record"]}
        )
    if form_code in WORKFLOW_FORMS:
        raise FormValidationError({"form_code": [WORKFLOW_FORMS[form_code]]})
    return _create(user, subject, form_definition(form_code), values, visit_code)


@transaction.atomic
def create_workflow_record(
    user: Any, subject: Subject, form_code: str, values: Mapping[str, Any] | None
) -> SaveResult:
    """Enter a record of a WORKFLOW_FORMS form once its workflow has checked it (only
    edc/sae.py file_report calls this); everything else goes through create_record."""
    require(user, "enter_data", subject)
    if form_code not in WORKFLOW_FORMS:
        raise FormValidationError({"form_code": [f"{form_code} has no workflow of its own"]})
    return _create(user, subject, form_definition(form_code), values, "")


def _create(
    user: Any,
    subject: Subject,
    form: FormDefinition,
    values: Mapping[str, Any] | None,
    visit_code: str,
) -> SaveResult:
    """The entry itself, inside the caller's transaction, after its permission check."""
    visit_code = (visit_code or "").strip()
    visit = _visit_for(subject, form, visit_code)
    subject = locked_subject(
        subject,
        duplicate_now=Exists(
            FormRecord.objects.filter(
                subject=OuterRef("pk"), form_code=form.code, visit_code=visit_code, withdrawn=False
            )
        ),
        missed_now=Exists(
            MissedVisit.objects.filter(subject=OuterRef("pk"), visit_code=visit_code, active=True)
        ),
    )
    refuse_if_locked(subject)
    if not form.repeating and subject.duplicate_now:
        where = f" at visit {visit_code}" if visit_code else ""
        raise InvalidStateError(
            f"{subject.subject_number} already has the {form.title} form{where}; edit it instead"
        )
    if visit is not None and subject.missed_now:
        raise InvalidStateError(f"visit {visit_code} is marked missed; unmark it first")
    result = _validate_record(subject, form, values, None)
    record = FormRecord(
        subject=subject,
        visit_code=visit_code,
        form_code=form.code,
        form_version=form.version,
        values=result.values,
        created_by=user,
        updated_by=user,
    )
    audited_save(record, user, "initial entry")
    opened = sync_soft_queries(user, record, result.soft, new=True)
    if form.code in CROSS_FORM_CODES:
        opened += sync_cross_form_queries(user, subject, cross_form_findings(subject))
    invalidate_signatures(subject, user, f"{form.code} entered")
    return SaveResult(record, tuple(opened))


@transaction.atomic
def update_record(
    user: Any,
    record: FormRecord,
    values: Mapping[str, Any] | None,
    reason: str,
    expected_version: int | None,
    partial: bool = False,
) -> SaveResult:
    """Change a record (reason required; `expected_version` guards against stale edits).

    `partial=True` merges `values` into the stored ones (a blank value clears a field).
    """
    require(user, "enter_data", record)
    current = FormRecord.objects.filter(pk=record.pk).values("version")[:1]
    subject = locked_subject(record.subject, record_version=Subquery(current))
    # The subject's row lock serialises every write to its records: the caller's copy is
    # current unless its version moved since it was read (then read it again).
    rec = record
    if rec.version != subject.record_version:
        rec = FormRecord.objects.select_related("created_by", "sdv_by").get(pk=record.pk)
    rec.subject = subject
    refuse_if_locked(subject)
    if rec.withdrawn:
        raise InvalidStateError("the record is withdrawn and read-only")
    check_version(rec, expected_version)
    reason = need_reason(reason)
    form = form_definition(rec.form_code, rec.form_version)
    submitted = {**rec.values, **(values or {})} if partial else values
    result = _validate_record(subject, form, submitted, rec)
    fixed = [
        name
        for name in WORKFLOW_FIXED_FIELDS.get(rec.form_code, ())
        if result.values.get(name) != rec.values.get(name)
    ]
    if fixed:
        raise FormValidationError(
            {
                name: ["set by the workflow that filed the record; it cannot be changed"]
                for name in fixed
            }  # fmt: skip
        )
    if result.values == rec.values:
        return SaveResult(rec, ())
    rec.values = result.values
    rec.version += 1
    rec.status = RecordStatus.ENTERED
    rec.sdv_by, rec.sdv_at = None, None
    rec.updated_by = user
    audited_save(rec, user, reason)
    if rec.form_code in CROSS_FORM_CODES:  # one read of the automatic queries for both syncs
        auto = list(Query.objects.filter(record__subject=subject).exclude(check_code=""))
        cross = [q for q in auto if q.check_code.startswith("cross:")]
        own = [q for q in auto if q.record_id == rec.pk and q not in cross]
        opened = sync_soft_queries(user, rec, result.soft, existing=own)
        opened += sync_cross_form_queries(
            user, subject, cross_form_findings(subject), existing=cross
        )
    else:
        opened = sync_soft_queries(user, rec, result.soft)
    invalidate_signatures(subject, user, f"{rec.form_code} changed")
    return SaveResult(rec, tuple(opened))


@transaction.atomic
def withdraw_record(
    user: Any, record: FormRecord, reason: str, expected_version: int | None = None
) -> FormRecord:
    """Mark a record withdrawn (entered in error); it stays in the database and its history."""
    require(user, "enter_data", record)
    subject = locked_subject(record.subject)
    rec = FormRecord.objects.get(pk=record.pk)
    refuse_if_locked(subject)
    if rec.withdrawn:
        raise InvalidStateError("the record is already withdrawn")
    check_version(rec, expected_version)
    reason = need_reason(reason)
    rec.withdrawn = True
    rec.withdrawn_reason = reason
    rec.version += 1
    rec.updated_by = user
    audited_save(rec, user, f"withdrawn: {reason}")
    for q in rec.queries.exclude(status=QueryStatus.CLOSED):
        mark_closed(q, user, "record withdrawn")
    sync_cross_form_queries(user, subject, cross_form_findings(subject))
    invalidate_signatures(subject, user, f"{rec.form_code} withdrawn")
    return rec


@transaction.atomic
def mark_sdv(user: Any, record: FormRecord) -> FormRecord:
    """Source-data verification by a monitor; a later change of the record clears it."""
    require(user, "sdv", record)
    subject = locked_subject(record.subject)
    rec = FormRecord.objects.get(pk=record.pk)
    refuse_if_locked(subject)
    rec.sdv_by, rec.sdv_at = user, timezone.now()
    audited_save(rec, user, "source data verified")
    return rec


def records(
    subject: Subject,
    form_code: str | None = None,
    visit_code: str | None = None,
    include_withdrawn: bool = False,
) -> QuerySet[FormRecord]:
    """A subject's records, optionally of one form and/or visit (no permission check)."""
    qs = FormRecord.objects.filter(subject=subject)
    if form_code is not None:
        qs = qs.filter(form_code=form_code)
    if visit_code is not None:
        qs = qs.filter(visit_code=visit_code)
    if not include_withdrawn:
        qs = qs.filter(withdrawn=False)
    return qs.order_by("id")


#: The forms the cross-form checks and the derived-value queries read (marrow missing at a
#: response visit; MLFS cellularity; MRD not evaluable; a hepatic DLT without its AE, which
#: depends on the DLT window set by the treatment forms): saving another form cannot change
#: their findings, so it skips the sync.
CROSS_FORM_CODES = frozenset(
    {"haematology", "marrow", "mrd", "chemistry", "adverse_event", "talazoparib", "nk_infusion"}
)


def cross_form_findings(subject: Subject) -> list[tuple[FormRecord, SoftFinding]]:
    """Cross-form soft checks on a subject's records (e.g. counts without marrow at a
    response-assessment visit) and the data queries the derived values ask for (marrow
    cellularity for MLFS, MRD not evaluable); each finding is attached to the record it
    concerns. The records are read once and shared with the derivation (a save's budget)."""
    proto = get_protocol()
    loaded = list(records(subject))
    out: list[tuple[FormRecord, SoftFinding]] = []
    by_visit: dict[str, dict[str, FormRecord]] = {}
    for rec in loaded:
        by_visit.setdefault(rec.visit_code, {}).setdefault(rec.form_code, rec)
    baseline = proto.schedule.visits[0].code
    for v in planned_visits(subject.cohort, proto):
        if not (v.response_assessment or v.code == baseline):
            continue
        role = "baseline visit" if v.code == baseline else "response-assessment visit"
        forms = by_visit.get(v.code, {})
        if "haematology" in forms and "marrow" in v.forms and "marrow" not in forms:
            out.append(
                (
                    forms["haematology"],
                    SoftFinding(
                        "",
                        "cross:marrow_missing",
                        f"blood counts entered at {role} {v.code} but no "
                        "bone-marrow assessment: enter it or say why it was not done",
                    ),
                )
            )
    by_pk = {rec.pk: rec for rec in loaded}
    # the data queries the clinical rules ask for
    for q in derive_subject(subject, proto, records=loaded).queries:
        if q.record_id in by_pk:
            out.append((by_pk[q.record_id], SoftFinding(q.field, f"cross:{q.code}", q.message)))
    return out
