"""The printable casebook of one subject as a PDF (WeasyPrint) for monitoring visits and
archiving: screening, visits, every form with its values, queries, signatures, locks and the
full audit trail, stamped with who printed it and when (in the trial's time zone).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from nakip.edc import audit, services
from nakip.edc.derivations import derive_subject
from nakip.edc.models import Query, Subject
from nakip.edc.web.views.audit_trail import audit_rows
from nakip.edc.web.views.common import cohort_names, field_rows, subject_or_404


def html_to_pdf(html: str) -> bytes:
    """A4 pages of the HTML (WeasyPrint; imported late because it is slow to import)."""
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=html).write_pdf()


def casebook_context(subject: Subject, user: Any) -> dict[str, Any]:
    """Everything the printed casebook shows, in schedule order."""
    protocol = services.get_protocol()
    recs = list(services.records(subject).select_related("created_by", "sdv_by"))
    by_visit: dict[str, list[Any]] = defaultdict(list)
    for r in recs:
        by_visit[r.visit_code].append(r)
    visits = services.subject_visits(subject)

    def printed(r: Any) -> dict[str, Any]:
        definition = protocol.form(r.form_code, r.form_version)
        return {"r": r, "title": definition.title, "fields": field_rows(definition, r.values)}

    sections = [
        {"visit": v, "records": [printed(r) for r in by_visit.get(v.visit.code, [])]}
        for v in visits
    ]
    other = [printed(r) for r in by_visit.get("", [])]
    screening_form = protocol.form(services.SCREENING_FORM, subject.screening.form_version)
    try:
        derived = derive_subject(subject, protocol, recs)
    except ValueError:  # shown as not derivable; the source data are printed anyway
        derived = None
    queries = (
        Query.objects.filter(Q(record__subject=subject) | Q(screening=subject.screening))
        .select_related("record", "raised_by", "answered_by", "closed_by")
        .order_by("id")
    )
    return {
        "trial": protocol.trial,
        "subject": subject,
        "cohort_name": cohort_names().get(subject.cohort, subject.cohort),
        "screening_fields": field_rows(screening_form, subject.screening.values),
        "sections": sections,
        "other_records": other,
        "derived": derived,
        "queries": list(queries),
        "signatures": list(subject.signatures.select_related("signed_by").order_by("id")),
        "locks": list(subject.locks.select_related("locked_by", "unlocked_by").order_by("id")),
        "audit": audit_rows(audit.subject_history(subject)),
        "printed_at": timezone.localtime(),
        "printed_by": user.username,
        "time_zone": timezone.get_current_timezone_name(),
    }


@login_required
def casebook_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The subject's casebook as a PDF download (anyone who may view the subject)."""
    subject = subject_or_404(request, number)
    html = render_to_string("edc/casebook_print.html", casebook_context(subject, request.user))
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    stamp = timezone.localdate().isoformat()
    name = f"casebook-{subject.subject_number}-{stamp}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
