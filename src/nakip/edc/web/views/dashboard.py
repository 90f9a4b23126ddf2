"""Log-in page and the site dashboard (subjects by cohort and status, overdue visits, open
queries, recent adverse events and screening counts for the user's sites).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from nakip.edc import completeness, permissions, services
from nakip.edc.models import EligibilityStatus, QueryStatus, ScreeningOutcome
from nakip.edc.web.views.common import cohort_names, run_action, sites_for
from nakip.wording import count


class LoginView(auth_views.LoginView):
    """Django's login page, saying how many failures lock the account (django-axes)."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """Adds the axes failure limit and cool-off minutes for the page text."""
        ctx = super().get_context_data(**kwargs)
        hours = getattr(settings, "AXES_COOLOFF_TIME", None)
        ctx["lock_limit"] = getattr(settings, "AXES_FAILURE_LIMIT", None)
        ctx["lock_minutes"] = round(float(hours) * 60) if isinstance(hours, int | float) else None
        return ctx


_STATE_BADGES = {"locked": "muted", "off study": "warn", "on study": "ok"}


def _subject_row(subject: Any, state: str) -> tuple[Any, str, str, str]:
    """One row of the dashboard's subject table."""
    url = reverse("edc-web:casebook", args=[subject.subject_number])
    return subject, state, _STATE_BADGES.get(state, "ok"), url


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Site dashboard: subjects by cohort and status, overdue visits, queries, AEs, screening."""
    user = request.user
    subjects = list(
        permissions.visible_subjects(user)
        .with_state()
        .select_related("site")
        .order_by("subject_number")
    )
    names = cohort_names()
    states = ("on study", "off study", "locked")
    table: dict[str, Counter[str]] = {code: Counter() for code in names}
    overdue: list[dict[str, Any]] = []
    today = timezone.localdate()
    on_study = [s for s in subjects if s.state == "on study"]
    visits = services.visits_by_subject(on_study, today)
    for s in subjects:
        state = s.state
        table.setdefault(s.cohort, Counter())[state] += 1
        if state == "on study":
            for v in visits[s.pk]:
                if v.status == "overdue":
                    overdue.append({"subject": s, "visit": v, "days": (today - v.window_end).days})
    cohort_rows = [
        {
            "code": code,
            "name": names.get(code, code),
            "counts": [table[code][st] for st in states],
            "total": sum(table[code].values()),
        }
        for code in table
    ]
    queries = permissions.visible_queries(user)
    open_queries = (
        queries.filter(status=QueryStatus.OPEN)
        .select_related("record", "record__subject", "screening")
        .order_by("-raised_at")
    )
    aes = (
        permissions.visible_records(user)
        .filter(form_code="adverse_event", withdrawn=False)
        .select_related("subject")
        .order_by("-created_at")[:8]
    )
    screening = permissions.visible_screenings(user).aggregate(
        total=Count("pk"),
        eligible=Count("pk", filter=Q(eligibility_status=EligibilityStatus.ELIGIBLE)),
        not_eligible=Count("pk", filter=Q(eligibility_status=EligibilityStatus.NOT_ELIGIBLE)),
        undetermined=Count("pk", filter=Q(eligibility_status=EligibilityStatus.UNDETERMINED)),
        enrolled=Count("pk", filter=Q(outcome=ScreeningOutcome.ENROLLED)),
        screen_failed=Count("pk", filter=Q(outcome=ScreeningOutcome.SCREEN_FAILED)),
        in_screening=Count("pk", filter=Q(outcome=ScreeningOutcome.SCREENING)),
    )
    ctx = {
        "can_view": permissions.can(user, "view_subject"),
        "sites": sites_for(user, "view_subject"),
        "states": states,
        "cohort_rows": cohort_rows,
        # (subject, state, badge, casebook URL): worked out here, not per row in the template
        "subjects": [_subject_row(s, s.state) for s in subjects],
        "overdue": sorted(overdue, key=lambda o: -o["days"]),
        "open_query_count": open_queries.count(),
        "answered_query_count": queries.filter(status=QueryStatus.ANSWERED).count(),
        "open_queries": open_queries[:6],
        "aes": aes,
        "screening": screening,
        "can_lock": permissions.can(user, "lock"),
        "can_report": permissions.can(user, "view_reports"),
    }
    return render(request, "edc/dashboard.html", ctx)


@login_required
@require_POST
def cohort_lock(request: HttpRequest, cohort: str) -> HttpResponse:
    """Lock every subject of a cohort at the user's sites (data manager), all or nothing;
    incomplete casebooks need the override reason (completeness.require_complete_cohort)."""
    reason = request.POST.get("reason", "")
    override = request.POST.get("override_reason", "")

    def run() -> str:
        locks = services.lock_cohort(
            request.user,
            cohort,
            reason,
            precondition=lambda s: completeness.require_complete_cohort(request.user, s, override),
        )
        return f"Cohort {cohort}: {count(len(locks), 'subject')} locked."

    return run_action(request, reverse("edc-web:dashboard"), run)


@login_required
@require_POST
def cohort_unlock(request: HttpRequest, cohort: str) -> HttpResponse:
    """Unlock every locked subject of a cohort at the user's sites (reason required)."""
    reason = request.POST.get("reason", "")

    def run() -> str:
        locks = services.unlock_cohort(request.user, cohort, reason)
        return f"Cohort {cohort}: {count(len(locks), 'subject')} unlocked."

    return run_action(request, reverse("edc-web:dashboard"), run)
