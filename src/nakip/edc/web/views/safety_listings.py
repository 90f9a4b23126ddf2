"""Safety and conduct listings across subjects: serious adverse events with their expedited
reporting state (and the report entry), and protocol deviations per site or trial-wide: those
recorded on the deviation form and those found in the data, by the rule the listing and the
DSMB report share (`nakip.clinical.deviations` via `listings.overview_deviations`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from nakip.clinical.deviations import DATA_CHECK
from nakip.edc import deviations, permissions, sae, services
from nakip.edc.exceptions import EDCError, FormValidationError
from nakip.edc.listings import overview_deviations
from nakip.edc.models import FormRecord, Subject
from nakip.edc.subject_overview import load_overviews
from nakip.edc.web.forms import RecordForm
from nakip.edc.web.views.common import definition_or_404, need, record_or_404, report_error


def _site_filter(
    request: HttpRequest, subjects: QuerySet[Subject]
) -> tuple[QuerySet[Subject], str, list[str]]:
    """The subjects of the chosen site (?site=CODE) among the visible ones, and the choices."""
    sites = sorted({s.site.code for s in subjects.select_related("site")})
    site = request.GET.get("site", "")
    if site and site in sites:
        subjects = subjects.filter(site__code=site)
    else:
        site = ""
    return subjects, site, sites


@login_required
def sae_list(request: HttpRequest) -> HttpResponse:
    """Serious adverse events at the user's sites with notice deadline, status and reports."""
    need(request.user, "view_subject")
    subjects, site, sites = _site_filter(request, permissions.visible_subjects(request.user))
    cases = sae.sae_cases(subjects)
    ctx = {
        "cases": cases,
        "site": site,
        "sites": sites,
        "overdue": sum(c.overdue for c in cases),
        "hours": sae.services.get_protocol().safety.sae_notice_hours,
        "can_enter": permissions.can(request.user, "enter_data"),
    }
    return render(request, "edc/sae_list.html", ctx)


@login_required
def sae_report_new(request: HttpRequest, pk: int) -> HttpResponse:
    """File the initial notice or a follow-up report of one serious adverse event."""
    ae: FormRecord = record_or_404(request, pk)
    need(request.user, "enter_data", ae.subject)
    definition = definition_or_404(sae.SAE_FORM)
    if request.method == "POST":
        form = RecordForm(definition, request.POST)
        form.is_valid()
        try:
            result = sae.file_report(request.user, ae, form.submitted_values())
        except FormValidationError as exc:
            form.apply_errors(exc)
        except EDCError as exc:
            report_error(request, exc)
        else:
            messages.success(request, "SAE report saved.")
            return redirect("edc-web:record", pk=result.record.pk)
    else:
        form = RecordForm(definition, initial={"ae_record_id": str(ae.pk)})
    ctx = {
        "form": form,
        "definition": definition,
        "subject": ae.subject,
        "visit": "",
        "visit_name": "",
        "title": f"{definition.title}: adverse event #{ae.pk}",
        "cancel_url": reverse("edc-web:sae-list"),
    }
    return render(request, "edc/record_form.html", ctx)


@login_required
def deviation_list(request: HttpRequest) -> HttpResponse:
    """Protocol deviations at one site (?site=) or at every site the user may see: the recorded
    ones counted by category and severity, then those found in the data."""
    need(request.user, "view_subject")
    subjects, site, sites = _site_filter(request, permissions.visible_subjects(request.user))
    recs = FormRecord.objects.filter(
        subject__in=subjects, form_code=deviations.DEVIATION_FORM, withdrawn=False
    ).select_related("subject", "subject__site")
    rows = deviations.deviation_rows(recs)
    protocol = services.get_protocol()
    found = [
        (o.subject, d)
        for o in load_overviews(subjects, protocol, timezone.localdate())
        for d in overview_deviations(o, protocol)
        if d.source == DATA_CHECK
    ]
    ctx = {
        "rows": rows,
        "found": found,
        "counts": deviations.deviation_counts(rows),
        "site": site,
        "sites": sites,
    }
    return render(request, "edc/deviation_list.html", ctx)
