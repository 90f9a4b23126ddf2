"""Audit-history pages of a subject, a record or a screening (who, when, old -> new, why),
and their CSV export for users with the export_dataset right.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from nakip.edc import audit, permissions
from nakip.edc.models import FormRecord
from nakip.edc.web.views.common import record_or_404, screening_or_404, subject_or_404

MODEL_NAMES = {
    "formrecord": "form record",
    "screeningrecord": "screening record",
    "missedvisit": "missed visit",
}

AUDIT_HIDDEN_ON_CREATE = frozenset({"id", "created_at", "raised_at", "signed_at", "locked_at"})


def audit_rows(entries: list[audit.AuditEntry]) -> list[dict[str, Any]]:
    """Audit entries for the page, newest first, with readable object names."""
    record_ids = {e.object_id for e in entries if e.model == "formrecord"}
    labels = {}
    for r in FormRecord.objects.filter(pk__in=record_ids):
        where = f" @ {r.visit_code}" if r.visit_code else ""
        labels[r.pk] = f"{r.form_code.replace('_', ' ')}{where} #{r.pk}"
    forms = audit.entry_forms(entries)
    rows = []
    for e in reversed(entries):
        created = e.action == "created"
        changes = [
            {"field": c.field.removeprefix("values."), "old": c.old, "new": c.new}
            for c in e.changes
            if not (created and c.field in AUDIT_HIDDEN_ON_CREATE)
        ]
        label = labels.get(e.object_id, e.object_label) if e.model == "formrecord" else None
        rows.append(
            {
                "e": e,
                "model": MODEL_NAMES.get(e.model, e.model),
                "label": label or e.object_label,
                "created": created,
                "changes": changes,
                # the form whose protocol labels name the changed fields
                "form_code": forms.get((e.model, e.object_id), ""),
            }
        )
    return rows


def _audit_response(
    request: HttpRequest, entries: list[audit.AuditEntry], target: Any, title: str, back: str
) -> HttpResponse:
    """The audit page, or its CSV export (`?format=csv`, needs the export_dataset right)."""
    can_export = permissions.can(request.user, "export_dataset", target)
    if request.GET.get("format") == "csv":
        if not can_export:
            raise PermissionDenied("exporting the audit trail needs the export_dataset right")
        response = HttpResponse(audit.audit_csv(entries), content_type="text/csv; charset=utf-8")
        stem = title.lower().replace(" ", "-").replace("#", "")
        response["Content-Disposition"] = f'attachment; filename="audit-{stem}.csv"'
        return response
    ctx = {"rows": audit_rows(entries), "title": title, "back": back, "can_export": can_export}
    return render(request, "edc/audit.html", ctx)


@login_required
def subject_audit(request: HttpRequest, number: str) -> HttpResponse:
    """Audit history of a whole casebook (screening, records, queries, signatures, locks)."""
    subject = subject_or_404(request, number)
    return _audit_response(
        request,
        audit.subject_history(subject),
        subject,
        f"subject {subject.subject_number}",
        reverse("edc-web:casebook", args=[number]),
    )


@login_required
def record_audit(request: HttpRequest, pk: int) -> HttpResponse:
    """Audit history of one record and of the queries raised on it."""
    rec = record_or_404(request, pk)
    entries = audit.object_history(rec)
    for q in rec.queries.all():
        entries += audit.object_history(q)
    entries.sort(key=lambda e: e.when)
    return _audit_response(
        request,
        entries,
        rec,
        f"{rec.subject.subject_number} {rec.form_code} #{rec.pk}",
        reverse("edc-web:record", args=[pk]),
    )


@login_required
def screening_audit(request: HttpRequest, number: str) -> HttpResponse:
    """Audit history of a screening record and its queries."""
    scr = screening_or_404(request, number)
    return _audit_response(
        request,
        audit.screening_history(scr),
        scr,
        f"screening {scr.screening_number}",
        reverse("edc-web:screening", args=[number]),
    )
