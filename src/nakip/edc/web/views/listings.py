"""Listing pages across subjects (subjects, AEs, SAEs, DLTs, detected deviations, visit
calendar), filterable by site, cohort, status and subject, downloadable as CSV or XLSX.

Everyone who may view subjects sees the listings of their sites; a download needs the
export_dataset right and holds only the subjects of the sites where the user has it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from nakip.analysis.csv_cells import neutralise, rows_csv
from nakip.edc import permissions, services
from nakip.edc.listings import (
    ATTENTION,
    BUILDERS,
    TITLES,
    Listing,
    ListingFilterError,
    build_listing,
)
from nakip.edc.models import Subject
from nakip.edc.subject_overview import load_overviews
from nakip.edc.web.views.common import cohort_names, need, sites_for

DOWNLOAD_FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Filters:
    """The listing filters from the query string (empty = no restriction)."""

    site: str
    cohort: str
    status: str
    subject: str

    def query_string(self) -> str:
        """The filters as a query string; `status` always, since its absence means the
        listing's default (the visit calendar's visits needing attention)."""
        return urlencode({k: v for k, v in self.__dict__.items() if v or k == "status"})


def _filters(request: HttpRequest, site_codes: set[str], code: str) -> Filters:
    get = request.GET
    f = Filters(
        site=get.get("site", "").strip().upper(),
        cohort=get.get("cohort", "").strip(),
        status=get.get("status", ATTENTION if code == "visits" else "").strip(),
        subject=get.get("subject", "").strip().upper(),
    )
    if f.site and f.site not in site_codes:
        raise ListingFilterError(
            f"site: {f.site!r} is not one of your sites ({', '.join(sorted(site_codes))})"
        )
    if f.cohort and f.cohort not in cohort_names():
        raise ListingFilterError(f"cohort: unknown cohort {f.cohort!r}")
    return f


def _subjects(base: QuerySet[Subject], f: Filters) -> QuerySet[Subject]:
    qs = base.select_related("site", "screening")
    if f.site:
        qs = qs.filter(site__code=f.site)
    if f.cohort:
        qs = qs.filter(cohort=f.cohort)
    if f.subject:
        qs = qs.filter(subject_number__icontains=f.subject)
    return qs


def _plain(value: Any) -> Any:
    """A cell as a spreadsheet should see it: flags as yes/no, missing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _filename(listing: Listing, f: Filters, ext: str) -> str:
    stamp = timezone.localdate().isoformat()
    parts = ["nakip", listing.code, *(v for v in (f.site, f.cohort, f.status) if v), stamp]
    return "-".join(p.lower().replace(" ", "_") for p in parts) + f".{ext}"


def listing_csv(listing: Listing) -> str:
    """CSV text of the listing (headings first; text cells neutralised against formulas)."""
    rows = ([_plain(v) for v in row] for row in listing.table())
    return rows_csv([c.label for c in listing.columns], rows)


def listing_xlsx(listing: Listing) -> bytes:
    """An XLSX workbook of the listing: one sheet, bold headings, dates as date cells; text
    cells neutralised so that nothing entered runs as a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = listing.title[:31]
    ws.append([c.label for c in listing.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in listing.table():
        ws.append([neutralise(_plain(v)) for v in row])
    for col, c in enumerate(listing.columns, start=1):
        if any(isinstance(r.get(c.key), date) for r in listing.rows):
            for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _download(listing: Listing, f: Filters, fmt: str) -> HttpResponse:
    if fmt == "csv":
        response = HttpResponse(listing_csv(listing), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(listing_xlsx(listing), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename(listing, f, fmt)}"'
    return response


@login_required
def listing(request: HttpRequest, code: str) -> HttpResponse:
    """A listing page, or its download with `?format=csv|xlsx` (export_dataset right)."""
    need(request.user, "view_subject")
    if code not in BUILDERS:
        raise Http404(f"no listing {code!r}")
    fmt = request.GET.get("format", "")
    if fmt and fmt not in DOWNLOAD_FORMATS:
        return HttpResponse(
            f"format: {fmt!r} is not one of {', '.join(DOWNLOAD_FORMATS)}", status=400
        )
    action = "export_dataset" if fmt else "view_subject"
    if fmt and not permissions.can(request.user, "export_dataset"):
        raise PermissionDenied("downloading a listing needs the export_dataset right")
    sites = list(sites_for(request.user, action))
    protocol = services.get_protocol()
    try:
        f = _filters(request, {s.code for s in sites}, code)
        subjects = _subjects(permissions.visible_subjects(request.user, action), f)
        overviews = load_overviews(subjects, protocol, timezone.localdate())
        result = build_listing(code, overviews, protocol, f.status)
    except ListingFilterError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    if fmt:
        return _download(result, f, fmt)
    ctx = {
        "listing": result,
        "code": code,
        "titles": TITLES,
        "filters": f,
        "sites": sites,
        "cohorts": cohort_names(),
        "n_subjects": len(overviews),
        "can_download": permissions.can(request.user, "export_dataset"),
        "query": f.query_string(),
    }
    return render(request, "edc/listing.html", ctx)
