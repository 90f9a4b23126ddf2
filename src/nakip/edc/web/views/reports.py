"""The reports page: where the DSMB and the statistician find the trial's outputs.

Today it links the live monitoring page and, for users with the export right, the analysis
datasets as CSV (the REST API's dataset endpoint, session-authenticated). The DSMB report and
the export bundles generated in the background are added here by the reports work (issue 9 §4).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from nakip.analysis.dictionary import DICTIONARY
from nakip.edc import permissions
from nakip.edc.web.views.common import need


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    """Links to the monitoring page and (export right) the analysis datasets."""
    need(request.user, "view_reports")
    can_export = permissions.can(request.user, "export_dataset")
    return render(
        request,
        "edc/reports.html",
        {"datasets": list(DICTIONARY) if can_export else [], "can_export": can_export},
    )
