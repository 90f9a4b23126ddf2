"""Screening pages: the log, a new screening from the protocol's `screening` form, the
eligibility verdict criterion by criterion, corrections, enrolment and screen failure.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from nakip.edc import permissions, services
from nakip.edc.checks import validate_values
from nakip.edc.criteria_words import cohort_rows, criterion_rows, reasons_in_words
from nakip.edc.exceptions import (
    EDCError,
    FormValidationError,
    NotEligibleError,
    StaleRecordError,
)
from nakip.edc.models import ScreeningOutcome
from nakip.edc.web.forms import (
    CONSENT_FIELD,
    SITE_FIELD,
    VERSION_FIELD,
    EnrolForm,
    ProtocolForm,
    QueryRaiseForm,
    ScreenFailureForm,
    ScreeningForm,
)
from nakip.edc.web.views.common import (
    cohort_names,
    definition_or_404,
    field_rows,
    need,
    raise_query_from_post,
    report_error,
    run_action,
    screening_or_404,
    sites_for,
)
from nakip.edc.web.views.read_only import locked_page


@login_required
def screening_list(request: HttpRequest) -> HttpResponse:
    """The screening log of the user's sites, newest first."""
    need(request.user, "view_subject")
    rows = permissions.visible_screenings(request.user).select_related("site", "subject")
    return render(
        request,
        "edc/screening_list.html",
        {
            "rows": rows.order_by("-created_at"),
            "can_enter": permissions.can(request.user, "enter_data"),
        },
    )


def _screening_values_errors(form: ScreeningForm) -> None:
    """Show the edit-check messages as well when the page's own fields are invalid."""
    definition = form.definition
    raw = {f.name: form.data.get(f.name, "") for f in definition.fields}
    result = validate_values(definition, raw)
    if result.errors:
        form.apply_errors(FormValidationError(result.errors))


@login_required
@require_http_methods(["GET", "POST"])
def screening_new(request: HttpRequest) -> HttpResponse:
    """New screening from the protocol's `screening` form; the verdict is shown after saving."""
    need(request.user, "enter_data")
    definition = definition_or_404(services.SCREENING_FORM)
    sites = sites_for(request.user, "enter_data")
    choices = [(s.code, f"{s.code} {s.name}") for s in sites]
    if request.method == "POST":
        form = ScreeningForm(definition, request.POST, sites=choices)
        if form.is_valid():
            site = sites.get(code=form.cleaned_data[SITE_FIELD])
            try:
                scr = services.create_screening(
                    request.user, site, form.cleaned_data[CONSENT_FIELD], form.submitted_values()
                )
            except FormValidationError as exc:
                form.apply_errors(exc)
            except EDCError as exc:
                report_error(request, exc)
            else:
                messages.success(request, f"Screening {scr.screening_number} saved.")
                return redirect("edc-web:screening", number=scr.screening_number)
        else:
            _screening_values_errors(form)
    else:
        initial = {SITE_FIELD: choices[0][0]} if len(choices) == 1 else {}
        form = ScreeningForm(definition, initial=initial, sites=choices)
    return render(
        request,
        "edc/record_form.html",
        {"form": form, "definition": definition, "title": "New screening", "is_screening": True},
    )


@login_required
def screening_detail(request: HttpRequest, number: str) -> HttpResponse:
    """A screening record: its values and the eligibility verdict criterion by criterion."""
    scr = screening_or_404(request, number)
    definition = definition_or_404(services.SCREENING_FORM, scr.form_version)
    elig = scr.eligibility or {}
    labels = {f.name: f.label for f in definition.fields}
    criteria = criterion_rows(elig, services.get_protocol(), definition, scr.values)
    fits = cohort_rows(elig, services.get_protocol(), definition, scr.values)
    user = request.user
    in_screening = scr.outcome == ScreeningOutcome.SCREENING
    ctx = {
        "scr": scr,
        "definition": definition,
        "rows": field_rows(definition, scr.values),
        "criteria": criteria,
        "reasons": reasons_in_words(elig, criteria, fits, cohort_names()),
        "cohort_fits": fits,
        "missing": [labels.get(m, m) for m in elig.get("missing_fields", [])],
        "cohort_name": cohort_names().get(scr.eligibility_cohort, ""),
        "subject": getattr(scr, "subject", None),
        "can_enter": permissions.can(user, "enter_data", scr) and in_screening,
        "can_edit": permissions.can(user, "enter_data", scr)
        and scr.outcome != ScreeningOutcome.SCREEN_FAILED,
        "can_raise": permissions.can(user, "raise_query", scr),
        "enrol_form": EnrolForm(initial={"enrolment_date": timezone.localdate()}),
        "fail_form": ScreenFailureForm(),
        "query_form": QueryRaiseForm(definition),
        "queries": scr.queries.select_related("raised_by", "answered_by").order_by("-raised_at"),
        "can_answer": permissions.can(user, "answer_query", scr),
        "can_close": permissions.can(user, "close_query", scr),
    }
    return render(request, "edc/screening_detail.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def screening_edit(request: HttpRequest, number: str) -> HttpResponse:
    """Correct screening data (reason for change; eligibility is re-evaluated)."""
    scr = screening_or_404(request, number)
    need(request.user, "enter_data", scr)
    subject = getattr(scr, "subject", None)
    back = reverse("edc-web:screening", args=[number])
    if subject is not None and (read_only := locked_page(request, subject, back)):
        return read_only
    definition = definition_or_404(services.SCREENING_FORM, scr.form_version)
    if request.method == "POST":
        form = ScreeningForm(definition, request.POST, edit=True)
        if form.is_valid():
            try:
                services.update_screening(
                    request.user,
                    scr,
                    form.submitted_values(),
                    form.reason(),
                    form.version(),
                    consent_date=form.cleaned_data[CONSENT_FIELD],
                )
            except FormValidationError as exc:
                form.apply_errors(exc)
            except StaleRecordError as exc:
                form.add_error(None, exc.message)
            except EDCError as exc:
                report_error(request, exc)
            else:
                messages.success(request, f"Screening {scr.screening_number} corrected.")
                return redirect("edc-web:screening", number=scr.screening_number)
        else:
            _screening_values_errors(form)
    else:
        initial = ProtocolForm.initial_from(definition, scr.values)
        initial[CONSENT_FIELD] = scr.consent_date
        initial[VERSION_FIELD] = scr.version
        form = ScreeningForm(definition, initial=initial, edit=True)
    ctx = {
        "form": form,
        "definition": definition,
        "title": f"Correct screening {scr.screening_number}",
        "is_screening": True,
        "scr": scr,
        "current": field_rows(definition, scr.values),
        "cancel_url": reverse("edc-web:screening", args=[scr.screening_number]),
    }
    return render(request, "edc/record_form.html", ctx)


@login_required
@require_POST
def screening_enrol(request: HttpRequest, number: str) -> HttpResponse:
    """Enrol an eligible screened patient; the cohort and subject number are assigned."""
    scr = screening_or_404(request, number)
    form = EnrolForm(request.POST)
    back = reverse("edc-web:screening", args=[number])
    if not form.is_valid():
        messages.error(request, "give the enrolment date (YYYY-MM-DD)")
        return redirect(back)
    try:
        subject = services.enrol_subject(request.user, scr, form.cleaned_data["enrolment_date"])
    except NotEligibleError as exc:
        messages.error(request, exc.headline)
        for r in exc.reasons:
            messages.info(request, r)
        return redirect(back)
    except EDCError as exc:
        report_error(request, exc)
        return redirect(back)
    cohort = cohort_names().get(subject.cohort, subject.cohort)
    messages.success(request, f"Enrolled as subject {subject.subject_number} in cohort {cohort}.")
    return redirect("edc-web:casebook", number=subject.subject_number)


@login_required
@require_POST
def screening_fail(request: HttpRequest, number: str) -> HttpResponse:
    """Close a screening as a screen failure (reasons typed or the eligibility reasons)."""
    scr = screening_or_404(request, number)
    form = ScreenFailureForm(request.POST)
    form.is_valid()

    def run() -> str:
        services.record_screen_failure(request.user, scr, form.reason_list() or None)
        return f"{scr.screening_number} recorded as a screen failure."

    return run_action(request, reverse("edc-web:screening", args=[number]), run)


@login_required
@require_POST
def screening_query(request: HttpRequest, number: str) -> HttpResponse:
    """Raise a manual query on a screening record."""
    scr = screening_or_404(request, number)
    definition = definition_or_404(services.SCREENING_FORM, scr.form_version)
    return raise_query_from_post(
        request, scr, definition, reverse("edc-web:screening", args=[number])
    )
