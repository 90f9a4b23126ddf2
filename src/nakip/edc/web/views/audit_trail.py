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
from django.utils.safestring import SafeString

from nakip.edc import audit, permissions
from nakip.edc.models import FormRecord
from nakip.edc.web.escaped import html_row, html_rows
from nakip.edc.web.templatetags.edc_tags import exact, field_label
from nakip.edc.web.views.common import record_or_404, screening_or_404, subject_or_404

MODEL_NAMES = {
    "formrecord": "form record",
    "screeningrecord": "screening record",
    "missedvisit": "missed visit",
}

#: Changes shown per audit row on the page (the CSV export has them all).
SHOWN_CHANGES = 12

AUDIT_HIDDEN_ON_CREATE = frozenset({"id", "created_at", "raised_at", "signed_at", "locked_at"})


def audit_rows(entries: list[audit.AuditEntry]) -> list[dict[str, Any]]:
    """Audit entries for the page, newest first, with readable object names."""
    record_ids = {e.object_id for e in entries if e.model == "formrecord"}
    labels, record_forms = {}, {}
    loaded = FormRecord.objects.filter(pk__in=record_ids).values_list(
        "pk", "form_code", "visit_code"
    )
    for pk, form_code, visit_code in loaded:
        where = f" @ {visit_code}" if visit_code else ""
        labels[pk] = f"{form_code.replace('_', ' ')}{where} #{pk}"
        record_forms[pk] = form_code
    forms = audit.entry_forms(entries, record_forms)
    rows = []
    field_names: dict[tuple[str, str], str] = {}  # one protocol look-up per form and field
    for e in reversed(entries):
        created = e.action == "created"
        changes = [
            {"field": c.field.removeprefix("values."), "old": c.old, "new": c.new}
            for c in e.changes
            if not (created and c.field in AUDIT_HIDDEN_ON_CREATE)
        ]
        label = labels.get(e.object_id, e.object_label) if e.model == "formrecord" else None
        # the form whose protocol labels name the changed fields
        form_code = forms.get((e.model, e.object_id), "")
        for c in changes:
            key = (c["field"], form_code)
            if key not in field_names:
                field_names[key] = field_label(c["field"], form_code)
            c["label"] = field_names[key]
        rows.append(
            {
                "e": e,
                "when": exact(e.when),
                "model": MODEL_NAMES.get(e.model, e.model),
                "label": label or e.object_label,
                "created": created,
                "changes": changes,
                "changes_html": _changes_html(changes[:SHOWN_CHANGES], created),
                "form_code": form_code,
            }
        )
    return rows


def _changes_html(changes: list[dict[str, Any]], created: bool) -> SafeString:
    """The changes cell of one audit row, written in Python (the audit page of a casebook has
    thousands of them; a template loop with filters per change was most of its time)."""
    if created:
        return html_rows(
            html_row(_CREATED, c["field"], c["label"], exact(c["new"])) for c in changes
        )
    return html_rows(
        html_row(_CHANGED, c["field"], c["label"], exact(c["old"]), exact(c["new"]))
        for c in changes
    )


_FIELD = '<div class="change"><span class="field" title="{}">{}</span> '
_CREATED = _FIELD + '= <span class="set">{}</span></div>'
_CHANGED = _FIELD + '<span class="old">{}</span> → <span class="new">{}</span></div>'


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
