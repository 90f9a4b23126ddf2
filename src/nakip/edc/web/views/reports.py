"""The reports page: where the DSMB and the statistician find the trial's outputs.

It links the live monitoring page, the analysis datasets as CSV (export right), and the outputs
generated here in the background (issue 9 §4): the DSMB report (DSMB, statistician), the final
study report (statistician) and export bundles (data manager, statistician), kept with their
fingerprint and downloadable by the roles that own them (`permissions.can_generate`; trial-wide
memberships only). A generation interrupted by a server restart is shown as failed, with a
button to generate it again.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from nakip.analysis.dictionary import DICTIONARY
from nakip.edc import permissions, report_jobs
from nakip.edc.models import GeneratedReport, ReportStatus
from nakip.edc.web.views.common import need

DOWNLOADS = {"html": ".html", "pdf": ".pdf", "zip": ".zip"}


LABELS = {report_jobs.DSMB: "DSMB report", report_jobs.FINAL: "Final study report"}


def _output(kind: str) -> str:
    return kind if kind in report_jobs.RESULTS_KINDS else "export"


def _label(kind: str) -> str:
    return LABELS.get(kind, f"{kind.upper()} export")


def _visible_kinds(user: object) -> list[str]:
    return [k for k in report_jobs.KINDS if permissions.can_generate(user, _output(k))]


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    """Monitoring link, datasets (export right), and the generated reports the user may see."""
    need(request.user, "view_reports")
    can_export = permissions.can(request.user, "export_dataset")
    kinds = _visible_kinds(request.user)
    report_jobs.mark_interrupted()
    generated = list(
        GeneratedReport.objects.filter(kind__in=kinds).select_related("created_by")[:50]
    )
    for g in generated:
        g.label = _label(g.kind)
        g.downloads = [n for n, suffix in DOWNLOADS.items() if report_jobs.file_of(g, suffix)]
    return render(
        request,
        "edc/reports.html",
        {
            "datasets": list(DICTIONARY) if can_export else [],
            "can_export": can_export,
            "kinds": [(k, _label(k)) for k in kinds],
            "generated": generated,
            "running": any(g.status == ReportStatus.RUNNING for g in generated),
        },
    )


@login_required
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    """Start a report of the posted kind at the posted cut-off (blank: all data)."""
    need(request.user, "view_reports")
    kind = request.POST.get("kind", "")
    if kind not in report_jobs.KINDS:
        messages.error(request, f"kind: choose one of {', '.join(report_jobs.KINDS)}")
        return redirect("edc-web:reports")
    if not permissions.can_generate(request.user, _output(kind)):
        raise PermissionDenied("your role does not allow generating this report")
    text = request.POST.get("cutoff", "").strip()
    try:
        cutoff = date.fromisoformat(text) if text else None
    except ValueError:
        messages.error(request, f"cutoff: {text!r} is not a date (YYYY-MM-DD)")
        return redirect("edc-web:reports")
    report = report_jobs.start(kind, request.user, cutoff)
    messages.info(request, f"Report #{report.pk} ({_label(kind)}) started.")
    return redirect("edc-web:reports")


@login_required
def download(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    """A finished report's file (HTML or PDF of the DSMB or final report, zip of an export)."""
    need(request.user, "view_reports")
    report = get_object_or_404(GeneratedReport, pk=pk)
    if not permissions.can_generate(request.user, _output(report.kind)):
        raise PermissionDenied("your role does not allow this report")
    path = report_jobs.file_of(report, DOWNLOADS[fmt]) if fmt in DOWNLOADS else None
    if path is None:
        raise Http404("no such file for this report")
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{pk}-{path.name}")
