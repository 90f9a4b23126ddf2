"""The data-quality dashboard for data managers and monitors: per site, source-data
verification progress, unresolved queries by age, forms pending and time to data entry."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from nakip.edc import permissions, services
from nakip.edc.data_quality import AGE_BANDS, site_quality
from nakip.edc.subject_overview import load_overviews
from nakip.edc.web.views.common import need, sites_for

#: The right that marks the people who chase data quality (monitors and data managers).
QUALITY_ACTION = "raise_query"


@login_required
def quality(request: HttpRequest) -> HttpResponse:
    """Per-site data-quality figures for the sites where the user may raise queries."""
    need(request.user, QUALITY_ACTION)
    sites = list(sites_for(request.user, QUALITY_ACTION))
    subjects = permissions.visible_subjects(request.user, QUALITY_ACTION).select_related(
        "site", "screening"
    )
    today = timezone.localdate()
    protocol = services.get_protocol()
    rows = site_quality(sites, load_overviews(subjects, protocol, today), protocol, today)
    ctx = {"rows": rows, "bands": [b[2] for b in AGE_BANDS], "today": today}
    return render(request, "edc/quality.html", ctx)
