"""Form-record pages: entry and correction of a case report form (inline edit-check errors,
reason for change, optimistic locking), the record page, live checks, withdrawal, SDV, queries.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from nakip.edc import permissions, services
from nakip.edc.checks import validate_values
from nakip.edc.exceptions import EDCError, FormValidationError, StaleRecordError
from nakip.edc.models import QueryStatus
from nakip.edc.web.forms import VERSION_FIELD, ProtocolForm, QueryRaiseForm, RecordForm
from nakip.edc.web.views.common import (
    definition_or_404,
    field_rows,
    need,
    raise_query_from_post,
    record_or_404,
    report_error,
    run_action,
    subject_or_404,
    visit_name,
)
from nakip.edc.web.views.read_only import locked_page
from nakip.edc.whole_numbers import parse_whole_number


@login_required
@require_http_methods(["GET", "POST"])
def record_new(request: HttpRequest, number: str, form_code: str) -> HttpResponse:
    """Enter a new record of `form_code` (at the visit given by ?visit=)."""
    subject = subject_or_404(request, number)
    need(request.user, "enter_data", subject)
    if (read_only := locked_page(request, subject)) is not None:
        return read_only
    if form_code == services.SCREENING_FORM:
        raise Http404("screening data are entered on the screening page")
    if form_code in services.WORKFLOW_FORMS:  # the SAE report: its own page checks the event
        messages.error(request, services.WORKFLOW_FORMS[form_code] + ".")
        return redirect("edc-web:sae-list")
    definition = definition_or_404(form_code)
    visit = (request.GET.get("visit") or "").strip()
    if request.method == "POST":
        form = RecordForm(definition, request.POST)
        form.is_valid()
        try:
            result = services.create_record(
                request.user, subject, form_code, form.submitted_values(), visit_code=visit
            )
        except FormValidationError as exc:
            form.apply_errors(exc)
        except EDCError as exc:
            report_error(request, exc)
        else:
            messages.success(request, f"{definition.title} saved.")
            for q in result.opened_queries:
                where = f"{q.field_name}: " if q.field_name else ""
                messages.warning(request, f"Query opened – {where}{q.text}")
            return redirect("edc-web:record", pk=result.record.pk)
    else:
        form = RecordForm(definition)
    ctx = {
        "form": form,
        "definition": definition,
        "subject": subject,
        "visit": visit,
        "visit_name": visit_name(subject, visit) if visit else "",
        "title": definition.title,
        "cancel_url": reverse("edc-web:casebook", args=[number]),
    }
    return render(request, "edc/record_form.html", ctx)


@login_required
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One record: its values, status, queries (raise/answer/close) and links."""
    rec = record_or_404(request, pk)
    user = request.user
    definition = definition_or_404(rec.form_code, rec.form_version)
    locked = rec.subject.is_locked
    ctx = {
        "rec": rec,
        "subject": rec.subject,
        "definition": definition,
        "rows": field_rows(definition, rec.values),
        "visit_name": visit_name(rec.subject, rec.visit_code) if rec.visit_code else "",
        "queries": rec.queries.select_related("raised_by", "answered_by", "closed_by").order_by(
            "-raised_at"
        ),
        "query_fields": {q.field_name for q in rec.queries.exclude(status=QueryStatus.CLOSED)},
        "can_edit": permissions.can(user, "enter_data", rec) and not locked and not rec.withdrawn,
        "can_raise": permissions.can(user, "raise_query", rec) and not locked,
        "can_answer": permissions.can(user, "answer_query", rec) and not locked,
        "can_close": permissions.can(user, "close_query", rec) and not locked,
        "can_sdv": permissions.can(user, "sdv", rec) and not locked and not rec.withdrawn,
        "query_form": QueryRaiseForm(definition),
        "locked": locked,
    }
    return render(request, "edc/record_detail.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def record_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a record: reason for change required; a stale `version` is refused."""
    rec = record_or_404(request, pk)
    need(request.user, "enter_data", rec)
    if read_only := locked_page(request, rec.subject, reverse("edc-web:record", args=[pk])):
        return read_only
    definition = definition_or_404(rec.form_code, rec.form_version)
    stale = False
    if request.method == "POST":
        form = RecordForm(definition, request.POST, edit=True)
        if not form.is_valid():
            form.add_error(None, "the page lost the record version; reload it and edit again")
        else:
            try:
                result = services.update_record(
                    request.user, rec, form.submitted_values(), form.reason(), form.version()
                )
            except FormValidationError as exc:
                form.apply_errors(exc)
            except StaleRecordError as exc:
                stale = True
                form.add_error(None, exc.message)
                rec.refresh_from_db()
            except EDCError as exc:
                report_error(request, exc)
            else:
                if result.record.version == form.version():
                    messages.info(request, "Nothing changed: the values are the same.")
                else:
                    messages.success(
                        request, f"{definition.title} corrected (version {result.record.version})."
                    )
                for q in result.opened_queries:
                    where = f"{q.field_name}: " if q.field_name else ""
                    messages.warning(request, f"Query opened – {where}{q.text}")
                return redirect("edc-web:record", pk=rec.pk)
    else:
        initial = ProtocolForm.initial_from(definition, rec.values)
        initial[VERSION_FIELD] = rec.version
        form = RecordForm(definition, initial=initial, edit=True)
    ctx = {
        "form": form,
        "definition": definition,
        "subject": rec.subject,
        "rec": rec,
        "visit": rec.visit_code,
        "visit_name": visit_name(rec.subject, rec.visit_code) if rec.visit_code else "",
        "title": f"Correct {definition.title.lower()}",
        "stale": stale,
        "current": field_rows(definition, rec.values),
        "cancel_url": reverse("edc-web:record", args=[rec.pk]),
    }
    return render(request, "edc/record_form.html", ctx)


@login_required
@require_POST
def form_check(request: HttpRequest, form_code: str) -> JsonResponse:
    """Live edit checks of a form being filled in (nothing is saved): hard errors per field
    and the soft findings that would open a query. Used by static/nakip/edc.js."""
    need(request.user, "enter_data")
    try:
        version = parse_whole_number(request.POST.get("_form_version"), "_form_version")
    except FormValidationError as exc:
        return JsonResponse({"errors": exc.errors, "soft": []}, status=400)
    definition = definition_or_404(form_code, version)
    raw = {f.name: request.POST.get(f.name, "") for f in definition.fields}
    result = validate_values(definition, raw)
    return JsonResponse(
        {"errors": result.errors, "soft": [f.to_dict() for f in result.soft]},
    )


@login_required
@require_POST
def record_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a record entered in error (reason required); it stays in the audit trail."""
    rec = record_or_404(request, pk)
    reason = request.POST.get("reason", "")
    version = request.POST.get("version")

    def run() -> str:
        services.withdraw_record(request.user, rec, reason, parse_whole_number(version, "version"))
        return f"Record #{rec.pk} withdrawn."

    return run_action(request, reverse("edc-web:record", args=[pk]), run)


@login_required
@require_POST
def record_sdv(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a record source-data verified (monitor)."""
    rec = record_or_404(request, pk)

    def run() -> str:
        services.mark_sdv(request.user, rec)
        return "Source data verified."

    return run_action(request, reverse("edc-web:record", args=[pk]), run)


@login_required
@require_POST
def record_query(request: HttpRequest, pk: int) -> HttpResponse:
    """Raise a manual query on a record (monitor, data manager)."""
    rec = record_or_404(request, pk)
    definition = definition_or_404(rec.form_code, rec.form_version)
    return raise_query_from_post(request, rec, definition, reverse("edc-web:record", args=[pk]))
