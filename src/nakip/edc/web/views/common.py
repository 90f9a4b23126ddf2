"""Shared helpers of the web pages: permission-checked look-ups (403 without the right, 404
for another site's objects), service errors as messages, and protocol look-ups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from nakip.clinical.ctcae_terms import soc_of
from nakip.edc import permissions, services, visibility
from nakip.edc.exceptions import EDCError, FormValidationError, NotFoundError
from nakip.edc.models import FormRecord, Query, ScreeningRecord, Site, Subject
from nakip.edc.web.forms import QueryRaiseForm
from nakip.protocol.model import FormDefinition

QUERY_FILTERS = ("open", "answered", "closed", "all")
T = TypeVar("T")


def need(user: Any, action: str, target: Any = None) -> None:
    """403 unless the user may do `action` (on `target`, or anywhere when None)."""
    if not permissions.can(user, action, target):
        raise PermissionDenied(f"your role does not allow: {action.replace('_', ' ')}")


def _visible_or_404(request: HttpRequest, find: Callable[..., T], *args: Any, **kw: Any) -> T:
    """`find` (a visibility look-up) for the user: 403 without any viewing right, 404 for
    another site's object or none (the same look-up as the API's)."""
    need(request.user, "view_subject")
    try:
        return find(request.user, *args, **kw)
    except NotFoundError as exc:
        raise Http404(exc.message) from None


def subject_or_404(request: HttpRequest, number: str) -> Subject:
    """A subject the user may see, with its study state (403 without any viewing right, 404
    for another site's)."""
    return _visible_or_404(request, visibility.visible_subject, number)


def record_or_404(request: HttpRequest, pk: int) -> FormRecord:
    """A form record of a subject the user may see (403 without any viewing right, else 404)."""
    return _visible_or_404(request, visibility.visible_record, pk)


def screening_or_404(request: HttpRequest, number: str) -> ScreeningRecord:
    """A screening record of one of the user's sites (403 without any viewing right, else 404)."""
    return _visible_or_404(request, visibility.visible_screening, number=number)


def query_or_404(request: HttpRequest, pk: int) -> Query:
    """A query at one of the user's sites (403 without any viewing right, else 404)."""
    return _visible_or_404(request, visibility.visible_query, pk)


def definition_or_404(code: str, version: int | None = None) -> FormDefinition:
    """A protocol form definition; an unknown form is a 404 page, not a 500."""
    try:
        return services.form_definition(code, version)
    except NotFoundError as exc:
        raise Http404(exc.message) from None


def next_url(request: HttpRequest, fallback: str) -> str:
    """The `next` parameter when it points to this site, else `fallback`."""
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return fallback


def report_error(request: HttpRequest, exc: EDCError) -> None:
    """A service refusal as a message at the top of the next page."""
    if isinstance(exc, FormValidationError):
        for name, msgs in exc.errors.items():
            label = "" if name in ("__all__", "") else f"{name.replace('_', ' ')}: "
            for m in msgs:
                messages.error(request, f"{label}{m}")
    else:
        messages.error(request, exc.message)


def run_action(
    request: HttpRequest, fallback: str, run: Callable[[], str | None]
) -> HttpResponseRedirect:
    """Run a POST action; report an EDCError as a message; redirect to `next` or `fallback`."""
    try:
        done = run()
    except EDCError as exc:
        report_error(request, exc)
    else:
        if done:
            messages.success(request, done)
    return redirect(next_url(request, fallback))


def forms_by_code() -> dict[str, FormDefinition]:
    """The latest version of every form of the protocol."""
    out: dict[str, FormDefinition] = {}
    for f in services.get_protocol().forms:
        if f.code not in out or f.version > out[f.code].version:
            out[f.code] = f
    return out


def cohort_names() -> dict[str, str]:
    """Cohort code -> name, from the protocol."""
    return {c.code: c.name for c in services.get_protocol().cohorts}


def field_rows(definition: FormDefinition, values: dict[str, Any]) -> list[dict[str, Any]]:
    """(label, value, unit, soc) rows of a record in the order of its form definition; `soc`
    is the system organ class of a chosen CTCAE v5.0 term (shown beside it, as in the form)."""
    return [
        {
            "name": f.name,
            "label": f.label,
            "value": values.get(f.name),
            "unit": f.unit or "",
            "soc": soc_of(values[f.name]) if f.type == "choice" and f.name in values else None,
        }
        for f in definition.fields
    ]


def sites_for(user: Any, action: str) -> QuerySet[Site]:
    """Active sites where the user may do `action` (every site for a trial-wide membership)."""
    q = permissions.site_filter(user, action, "pk")
    if q is None:
        return Site.objects.none()
    return Site.objects.filter(q, active=True).order_by("code")


def visit_name(subject: Subject, code: str) -> str:
    """ "C2D1 – Cycle 2 day 1 (response 1)" for page headings."""
    for v in services.subject_visits(subject):
        if v.visit.code == code:
            return f"{v.visit.code} – {v.visit.name}"
    return code


def raise_query_from_post(
    request: HttpRequest,
    target: FormRecord | ScreeningRecord,
    definition: FormDefinition,
    back: str,
) -> HttpResponse:
    """Raise a manual query from a posted QueryRaiseForm; errors come back as messages."""
    form = QueryRaiseForm(definition, request.POST)
    if not form.is_valid():
        for field, errs in form.errors.items():
            for e in errs:
                messages.error(request, f"{field.replace('_', ' ')}: {e}")
        return redirect(back)

    def run() -> str:
        services.raise_query(
            request.user, target, form.cleaned_data["field_name"], form.cleaned_data["text"]
        )
        return "Query raised."

    return run_action(request, back, run)
