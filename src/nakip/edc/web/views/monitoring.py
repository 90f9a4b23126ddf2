"""The monitoring page for the statistician and the DSMB: per cohort, enrolment against the
planned n, responders against the Simon boundaries, toxicity and feasibility events against the
Bayesian boundaries (with a chart), and a banner when a boundary is crossed.

Aggregates only (no subject identifiers, no links to casebooks). Same permissions as the API:
the `view_reports` right; a user whose right is limited to some sites sees those sites' data.
Numbers come from `nakip.analysis` over `nakip.edc.datasets.build_trial_data`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from nakip.analysis.consort import ConsortCounts
from nakip.analysis.data import TrialData
from nakip.analysis.design_choice import chosen_designs
from nakip.analysis.monitoring import MonitoringAnalysis, RuleStatus, SimonStatus
from nakip.edc import permissions, services
from nakip.edc.models import ScreeningRecord, Subject
from nakip.edc.web.views.common import need, sites_for

# Chart geometry (SVG user units): plot area inside the margins.
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 560, 170, 40, 12, 12, 30


def site_scoped_data(user: Any, cutoff: date) -> tuple[TrialData, bool]:
    """The analysis datasets of the sites where `user` may view reports, and whether that is
    fewer than all sites (a site-limited view)."""
    from nakip.edc.datasets import build_trial_data

    q = permissions.site_filter(user, "view_reports")
    if q is None:  # no report right anywhere: `need` refused earlier
        return TrialData(cutoff=cutoff), True
    subjects = Subject.objects.filter(q)
    screenings = ScreeningRecord.objects.filter(q)
    data = build_trial_data(services.get_protocol(), cutoff, subjects, screenings)
    return data, bool(q.children)


def _x(n: int, nmax: int) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * n / max(nmax, 1)


def _y(k: float, ymax: int) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - k / max(ymax, 1))


def _ticks(top: int, first: int, most: int) -> list[int]:
    """Axis labels from `first` to `top` at a step of 1, 2, 5, 10, ... (about `most` labels)."""
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500) if top / s <= most)
    inner = [k for k in range(step, top, step) if top - k >= step / 2]
    return sorted({first, *inner, top})


def rule_chart(status: RuleStatus) -> dict[str, Any]:
    """SVG geometry of a rule: the stopping boundary as steps, the observed events as a path."""
    nmax = status.nmax
    bounds = [(n, b) for n, b in enumerate(status.boundary, start=1) if b is not None]
    ymax = max([b for _, b in bounds] + list(status.path) + [1])
    steps: list[str] = []
    for n, b in bounds:
        steps.append(f"{_x(n - 1, nmax):.1f},{_y(b, ymax):.1f}")
        steps.append(f"{_x(n, nmax):.1f},{_y(b, ymax):.1f}")
    path = [f"{_x(0, nmax):.1f},{_y(0, ymax):.1f}"] + [
        f"{_x(n, nmax):.1f},{_y(k, ymax):.1f}" for n, k in enumerate(status.path, start=1)
    ]
    ticks_x = _ticks(nmax, first=1, most=12)
    ticks_y = _ticks(ymax, first=0, most=5)
    crossed = None
    if status.crossed_at is not None:
        k = status.path[status.crossed_at - 1]
        crossed = {"x": _x(status.crossed_at, nmax), "y": _y(k, ymax)}
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "boundary": " ".join(steps),
        "path": " ".join(path),
        "crossed": crossed,
        "x_ticks": [{"x": _x(n, nmax), "label": n} for n in ticks_x],
        "y_ticks": [{"y": _y(k, ymax), "label": k} for k in ticks_y],
        "x0": LEFT,
        "x1": WIDTH - RIGHT,
        "y0": HEIGHT - BOTTOM,
        "y1": TOP,
        "label_y": HEIGHT - 4,
    }


def _percent(part: int, whole: int) -> int:
    return 0 if whole <= 0 else min(100, round(100 * part / whole))


def _simon_rows(s: SimonStatus) -> list[dict[str, Any]]:
    rows = []
    if s.n1 is not None:
        rows.append(
            {
                "label": f"Stage 1 (first {s.n1})",
                "bound": f"stop for futility if <= {s.r1} responders",
                "responders": s.stage1_responders,
                "known": s.stage1_known,
                "of": s.n1,
                "status": s.stage1_decision,
                "text": s.stage1_text,
                "pct": _percent(s.stage1_known, s.n1),
            }
        )
    rows.append(
        {
            "label": f"Final (first {s.n})",
            "bound": f"efficacy if > {s.r} responders",
            "responders": s.final_responders,
            "known": s.final_known,
            "of": s.n,
            "status": s.final_decision,
            "text": s.final_text,
            "pct": _percent(s.final_known, s.n),
        }
    )
    return rows


def _parse_cutoff(text: str | None) -> tuple[date, str | None]:
    today = timezone.localdate()
    if not text:
        return today, None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return today, f"cutoff: expected a date YYYY-MM-DD, got {text!r}; showing today's data"


@login_required
def monitoring(request: HttpRequest) -> HttpResponse:
    """Per-cohort monitoring status at the data cut-off (`?cutoff=YYYY-MM-DD`, default today)."""
    from nakip.edc.datasets import CutoffError

    need(request.user, "view_reports")
    cutoff, error = _parse_cutoff(request.GET.get("cutoff"))
    protocol = services.get_protocol()
    ctx: dict[str, Any] = {
        "cutoff": cutoff,
        "error": error,
        "sites": sites_for(request.user, "view_reports"),
        "can_export": permissions.can(request.user, "export_dataset"),
    }
    try:
        designs = chosen_designs(protocol)
    except ValueError as exc:  # a protocol whose design cannot be decided
        ctx["error"] = f"protocol design: {exc}"
        return render(request, "edc/monitoring.html", ctx)
    try:
        data, limited = site_scoped_data(request.user, cutoff)
    except CutoffError as exc:
        ctx["error"] = f"cutoff {cutoff.isoformat()}: {exc}"
        return render(request, "edc/monitoring.html", ctx, status=400)
    monitor = MonitoringAnalysis(protocol).fit(data)
    consort = ConsortCounts(protocol).fit(data)
    cohorts = []
    for c in protocol.cohorts:
        design, flow = designs[c.code], consort.cohorts[c.code]
        cohorts.append(
            {
                "code": c.code,
                "name": c.name,
                "endpoint": c.primary_endpoint.description,
                "design": design,
                "enrolled": flow.enrolled,
                "treated": flow.treated,
                "enrolled_pct": _percent(flow.enrolled, design.planned_n),
                "simon": monitor.simon[c.code],
                "simon_rows": _simon_rows(monitor.simon[c.code]),
                "rules": [(r, rule_chart(r)) for r in monitor.rules[c.code]],
            }
        )
    ctx.update(
        limited=limited,
        flagged=monitor.flagged,
        cohorts=cohorts,
        trial_rules=[(r, rule_chart(r)) for r in monitor.rules["all"]],
        fingerprint=data.fingerprint[:12],
        screened=consort.screened,
        enrolled=consort.enrolled,
    )
    return render(request, "edc/monitoring.html", ctx)
