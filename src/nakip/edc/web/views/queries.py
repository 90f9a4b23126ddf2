"""The query inbox (open / answered / closed) with answer and close actions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from nakip.edc import permissions, services
from nakip.edc.models import QueryStatus
from nakip.edc.web.forms import QueryAnswerForm, QueryCloseForm
from nakip.edc.web.views.common import QUERY_FILTERS, need, query_or_404, run_action


@login_required
def query_inbox(request: HttpRequest) -> HttpResponse:
    """Queries at the user's sites, filtered by status (open by default)."""
    need(request.user, "view_subject")
    status = request.GET.get("status", "open")
    if status not in QUERY_FILTERS:
        status = "open"
    qs = permissions.visible_queries(request.user).select_related(
        "record", "record__subject", "screening", "raised_by", "answered_by", "closed_by"
    )
    counts = dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    if status != "all":
        qs = qs.filter(status=status)
    user = request.user
    rows = [
        {
            "q": q,
            "can_answer": q.status == QueryStatus.OPEN and permissions.can(user, "answer_query", q),
            "can_close": q.status != QueryStatus.CLOSED and permissions.can(user, "close_query", q),
        }
        for q in qs.order_by("-raised_at")[:500]
    ]
    ctx = {
        "rows": rows,
        "status": status,
        "filters": [
            (f, counts.get(f, 0) if f != "all" else sum(counts.values())) for f in QUERY_FILTERS
        ],
        "answer_form": QueryAnswerForm(),
        "close_form": QueryCloseForm(),
    }
    return render(request, "edc/queries.html", ctx)


@login_required
@require_POST
def query_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer an open query (site staff); back to `next` or the inbox."""
    q = query_or_404(request, pk)
    answer = request.POST.get("answer", "")

    def run() -> str:
        services.answer_query(request.user, q, answer)
        return f"Query {q.pk} answered."

    return run_action(request, reverse("edc-web:queries"), run)


@login_required
@require_POST
def query_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close an open or answered query (monitor, data manager)."""
    q = query_or_404(request, pk)
    note = request.POST.get("note", "")

    def run() -> str:
        services.close_query(request.user, q, note)
        return f"Query {q.pk} closed."

    return run_action(request, reverse("edc-web:queries"), run)
