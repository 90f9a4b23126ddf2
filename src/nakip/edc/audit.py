"""The audit trail: who changed what, when, from which value to which, and why.

Built from django-simple-history rows; JSON `values` are compared key by key so a change of one
field of a form shows as `values.anc`. Exportable as CSV, in the trial's local time with the
protocol's field labels (the audit page shows the same), the stored field path kept beside the
label for machines.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Model, Q
from django.utils import timezone

from nakip.analysis.csv_cells import rows_csv
from nakip.edc.models import (
    AUDIT_FIELDS,
    CreatedAudit,
    FormRecord,
    Lock,
    MissedVisit,
    Query,
    ScreeningRecord,
    Signature,
    SignatureFailure,
    Subject,
)
from nakip.edc.protocol_forms import get_protocol
from nakip.protocol import Protocol

_SKIP = {"updated_at", "history_id", "history_date", "history_user", "history_type"}
_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass(frozen=True)
class FieldChange:
    """One field's old and new value."""

    field: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class AuditEntry:
    """One history row: the object, when, who, what kind of change, why and what changed."""

    model: str
    object_id: int
    object_label: str
    when: datetime
    user: str
    action: str
    reason: str
    changes: tuple[FieldChange, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "object_id": self.object_id,
            "object": self.object_label,
            "when": self.when.isoformat(),
            "user": self.user,
            "action": self.action,
            "reason": self.reason,
            "changes": [c.to_dict() for c in self.changes],
        }


def _field_names(model: type[Model]) -> list[str]:
    fields = [f for f in model._meta.concrete_fields if f.attname not in _SKIP]
    if issubclass(model, CreatedAudit):  # inherited first in _meta: listed after the model's own
        fields.sort(key=lambda f: f.name in AUDIT_FIELDS)
    return [f.attname for f in fields]


def _diff(names: list[str], old: Any, new: Any) -> list[FieldChange]:
    out = []
    for name in names:
        a = getattr(old, name, None) if old is not None else None
        b = getattr(new, name, None)
        if name == "values" and isinstance(b, dict):
            a = a if isinstance(a, dict) else {}
            for key in sorted(set(a) | set(b)):
                if a.get(key) != b.get(key):
                    out.append(FieldChange(f"values.{key}", a.get(key), b.get(key)))
            continue
        if a != b and not (old is None and b in (None, "", [], {})):
            out.append(FieldChange(name, a, b))
    return out


def _entries(model: type[Model], objects: Iterable[Model]) -> list[AuditEntry]:
    """Every change of `objects` (all of one model), oldest first per object, in one query."""
    by_pk = {o.pk: o for o in objects}
    if not by_pk:
        return []
    names = _field_names(model)
    rows = (
        model.history.filter(id__in=list(by_pk))
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    out = []
    previous = None
    for row in rows:
        if previous is not None and previous.id != row.id:
            previous = None
        obj = by_pk[row.id]
        user = row.history_user.username if row.history_user_id else "system"
        out.append(
            AuditEntry(
                model=model._meta.model_name,
                object_id=obj.pk,
                object_label=str(obj),
                when=row.history_date,
                user=user,
                action=_ACTIONS.get(row.history_type, row.history_type),
                reason=row.history_change_reason or "",
                changes=tuple(_diff(names, previous, row)),
            )
        )
        previous = row
    return out


def object_history(obj: Model) -> list[AuditEntry]:
    """Every change of one object, oldest first, with the field-level differences."""
    return _entries(type(obj), [obj])


def subject_history(subject: Subject) -> list[AuditEntry]:
    """The whole audit trail of a subject's casebook (screening, records, queries, signatures,
    e-signature failures, locks, missed visits), oldest first: one query per kind of object,
    however long the casebook."""
    groups: list[tuple[type[Model], list[Model]]] = [
        (ScreeningRecord, [subject.screening]),
        (Subject, [subject]),
        (FormRecord, list(FormRecord.objects.filter(subject=subject))),
        (
            Query,
            list(
                Query.objects.filter(
                    Q(record__subject=subject) | Q(screening=subject.screening)
                ).select_related("record")
            ),
        ),
        (Signature, list(Signature.objects.filter(subject=subject))),
        (SignatureFailure, list(SignatureFailure.objects.filter(subject=subject))),
        (Lock, list(Lock.objects.filter(subject=subject))),
        (MissedVisit, list(MissedVisit.objects.filter(subject=subject))),
    ]
    entries = [e for model, objects in groups for e in _entries(model, objects)]
    return sorted(entries, key=lambda e: e.when)


def screening_history(screening: ScreeningRecord) -> list[AuditEntry]:
    """Audit trail of a screening record and its queries."""
    entries = object_history(screening)
    for q in Query.objects.filter(screening=screening):
        entries += object_history(q)
    return sorted(entries, key=lambda e: e.when)


CSV_COLUMNS = (
    "model",
    "object_id",
    "object",
    "when",
    "when_utc",
    "user",
    "action",
    "reason",
    "field",
    "field_code",
    "old",
    "new",
)
"""`when` is the trial's local time as on the audit page, `when_utc` the same instant in ISO
8601 UTC; `field` is the protocol label, `field_code` the stored path (`values.anc`)."""

SCREENING_FORM = "screening"


def local_time(when: datetime) -> str:
    """A timestamp in the trial's time zone (settings.TIME_ZONE), to the second, zone named:
    how the audit page and its CSV show when something happened."""
    if timezone.is_aware(when):
        when = timezone.localtime(when)
    return when.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def entry_forms(
    entries: Iterable[AuditEntry], record_forms: Mapping[int, str] | None = None
) -> dict[tuple[str, int], str]:
    """The form whose protocol labels name each entry's fields, by (model, object id): the
    record's form for a form record, the screening form for a screening record.
    `record_forms` (record id -> form code) is used when the caller has already loaded them."""
    entries = list(entries)
    if record_forms is None:
        ids = {e.object_id for e in entries if e.model == "formrecord"}
        record_forms = dict(FormRecord.objects.filter(pk__in=ids).values_list("pk", "form_code"))
    forms = {("formrecord", pk): code for pk, code in record_forms.items()}
    forms |= {(e.model, e.object_id): SCREENING_FORM for e in entries
              if e.model == "screeningrecord"}  # fmt: skip
    return forms


def field_label(name: str, form_code: str, protocol: Protocol) -> str:
    """A field's label from the protocol file (`values.bm_blasts_pct` -> its label), else the
    name in words (a model column, or an entry that is not a form)."""
    bare = str(name).removeprefix("values.")
    try:
        labels = {f.name: f.label for f in protocol.form(form_code).fields} if form_code else {}
    except KeyError:
        labels = {}
    return labels.get(bare, bare.replace("_", " "))


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def audit_csv(entries: Iterable[AuditEntry], protocol: Protocol | None = None) -> str:
    """The entries as CSV text, one line per changed field (a line per entry without changes);
    text cells a spreadsheet could run as a formula are neutralised. Labels come from
    `protocol` (default: the protocol the EDC runs)."""
    if protocol is None:
        protocol = get_protocol()
    entries = list(entries)
    forms = entry_forms(entries)
    rows: list[list[Any]] = []
    for e in entries:
        when = e.when.astimezone(UTC).isoformat() if timezone.is_aware(e.when) else ""
        base = [e.model, e.object_id, e.object_label, local_time(e.when), when, e.user, e.action]
        if not e.changes:
            rows.append([*base, e.reason, "", "", "", ""])
        form = forms.get((e.model, e.object_id), "")
        for c in e.changes:
            label = field_label(c.field, form, protocol)
            rows.append([*base, e.reason, label, c.field, _cell(c.old), _cell(c.new)])
    return rows_csv(CSV_COLUMNS, rows)
