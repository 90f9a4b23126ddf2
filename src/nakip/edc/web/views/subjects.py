"""Subject pages: the list and the casebook (visits, derived values, adverse events,
signature and lock) with its actions (sign, lock/unlock, visit missed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from nakip.edc import completeness, permissions, services
from nakip.edc.derivations import derive_subject
from nakip.edc.models import FormRecord, QueryStatus, Subject
from nakip.edc.web.casebook_rows import (
    CasebookUrls,
    derived_tables,
    other_form_chips,
    visit_form_chips,
)
from nakip.edc.web.forms import ReasonForm, SignForm
from nakip.edc.web.views.common import (
    cohort_names,
    forms_by_code,
    need,
    run_action,
    subject_or_404,
)


@login_required
def subject_list(request: HttpRequest) -> HttpResponse:
    """Subjects of the user's sites with study state and unresolved queries."""
    need(request.user, "view_subject")
    subjects = list(
        permissions.visible_subjects(request.user)
        .with_state()
        .select_related("site")
        .annotate(
            n_queries=Count(
                "records__queries",
                filter=~Q(records__queries__status=QueryStatus.CLOSED),
                distinct=True,
            )
        )
        .order_by("subject_number")
    )
    names = cohort_names()
    rows = [
        {
            "s": s,
            "state": s.state,
            "cohort": names.get(s.cohort, s.cohort),
            "url": reverse("edc-web:casebook", args=[s.subject_number]),
        }
        for s in subjects
    ]
    return render(request, "edc/subject_list.html", {"rows": rows})


@login_required
def casebook(request: HttpRequest, number: str) -> HttpResponse:
    """A subject's casebook: visits, records, derived values, AEs, signature and lock."""
    subject = subject_or_404(request, number)
    user = request.user
    forms = forms_by_code()
    recs = list(services.records(subject).select_related("created_by"))
    at: dict[tuple[str, str], list[FormRecord]] = defaultdict(list)
    for r in recs:
        at[(r.visit_code, r.form_code)].append(r)
    locked = subject.is_locked
    can_enter = permissions.can(user, "enter_data", subject) and not locked
    urls = CasebookUrls(subject.subject_number)
    visits = []
    states = services.subject_visits(subject)
    for v in states:
        cells = [
            {
                "code": code,
                "title": forms[code].title if code in forms else code,
                "records": at.get((v.visit.code, code), []),
                "repeating": forms[code].repeating if code in forms else False,
            }
            for code in v.visit.forms
        ]
        open_for_entry = can_enter and v.status != "missed"
        visits.append(
            {
                "state": v,
                "forms": cells,
                "chips": visit_form_chips(urls, v.visit.code, cells, open_for_entry),
                "missed_url": reverse(
                    "edc-web:visit-missed", args=[subject.subject_number, v.visit.code]
                )
                if can_enter
                else "",
            }
        )
    in_visits = {code for v in visits for code in v["state"].visit.forms}
    other_forms = []
    for code, f in forms.items():
        if code != services.SCREENING_FORM and (f.repeating or code not in in_visits):
            kept = at.get(("", f.code), [])
            workflow = code in services.WORKFLOW_FORMS
            other_forms.append(
                {
                    "definition": f,
                    "records": kept,
                    "chips": other_form_chips(urls, kept),
                    # a workflow form (the SAE report) is refused by generic entry: no "+ new",
                    # a link to the page of its workflow instead (where records.py sends it)
                    "new_url": "" if workflow else urls.new(f.code),
                    "workflow_url": reverse("edc-web:sae-list") if workflow else "",
                }
            )
    try:
        derived = derive_subject(subject, records=recs)
        derive_error = ""
    except ValueError as exc:  # bad source data must not hide the casebook
        derived, derive_error = None, str(exc)
    lock = subject.locks.filter(unlocked_at__isnull=True).select_related("locked_by").first()
    ae_records = {r.pk: r for r in recs if r.form_code == "adverse_event"}
    unresolved = services.unresolved_queries(subject).count()  # counted once for the page
    signature = services.current_signature(subject)
    endpoint = services.get_protocol().cohort(subject.cohort).primary_endpoint
    can_sign = permissions.can(user, "sign", subject) and not locked
    can_lock = permissions.can(user, "lock", subject)
    ctx = {
        "subject": subject,
        "cohort_name": cohort_names().get(subject.cohort, subject.cohort),
        "good_categories": list(endpoint.responder_categories or ("CR", "CRh", "CRi")),
        "visits": visits,
        "response_visits": [
            v["state"].visit.code for v in visits if v["state"].visit.response_assessment
        ],
        "other_forms": other_forms,
        "derived": derived,
        "rows": derived_tables(urls, derived),
        "derive_error": derive_error,
        "ae_records": ae_records,
        "signature": signature,
        "lock": lock,
        "locked": locked,
        "unresolved_count": unresolved,
        "can_enter": can_enter,
        "can_sign": can_sign,
        "can_lock": can_lock,
        "sign_findings": (
            completeness.check_casebook(subject, "sign", visits=states, unresolved=unresolved)
            if can_sign
            else []
        ),
        "lock_findings": (
            completeness.check_casebook(
                subject, "lock", visits=states, unresolved=unresolved, signed=signature is not None
            )
            if can_lock and not locked
            else []
        ),
        "can_export": permissions.can(user, "export_dataset", subject),
        "sign_form": SignForm(),
        "statement": services.SIGNATURE_STATEMENT,
        "lock_form": ReasonForm(),
        "today": timezone.localdate(),
    }
    return render(request, "edc/casebook.html", ctx)


def _casebook_action(
    request: HttpRequest, number: str, act: Callable[[Subject], object], done: str
) -> HttpResponse:
    """Run one service call on a visible subject and return to its casebook with a message."""
    subject = subject_or_404(request, number)

    def run() -> str:
        act(subject)
        return done.format(number=subject.subject_number)

    return run_action(request, reverse("edc-web:casebook", args=[number]), run)


@login_required
@require_POST
def subject_sign(request: HttpRequest, number: str) -> HttpResponse:
    """The investigator signs the casebook (password re-entered)."""
    password = request.POST.get("password", "")
    override = request.POST.get("override_reason", "")

    def sign(s: Subject) -> object:
        def check() -> str:
            return completeness.require_complete(request.user, s, "sign", override)

        return services.sign_casebook(
            request.user, s, password, request=request, precondition=check
        )

    return _casebook_action(request, number, sign, "Casebook {number} signed.")


@login_required
@require_POST
def subject_lock(request: HttpRequest, number: str) -> HttpResponse:
    """Lock a subject's data (data manager); refused while queries are unresolved."""
    reason = request.POST.get("reason", "")
    override = request.POST.get("override_reason", "")

    def lock(s: Subject) -> object:
        def check() -> str:
            return completeness.require_complete(request.user, s, "lock", override)

        return services.lock_subject(request.user, s, reason, precondition=check)

    return _casebook_action(request, number, lock, "Subject {number} locked.")


@login_required
@require_POST
def subject_unlock(request: HttpRequest, number: str) -> HttpResponse:
    """Lift a subject's lock (data manager; reason required)."""
    reason = request.POST.get("reason", "")
    return _casebook_action(
        request,
        number,
        lambda s: services.unlock_subject(request.user, s, reason),
        "Subject {number} unlocked.",
    )


@login_required
@require_POST
def visit_missed(request: HttpRequest, number: str, visit_code: str) -> HttpResponse:
    """Declare a visit missed (reason required) or, with `undo`, revoke that mark."""
    subject = subject_or_404(request, number)
    reason = request.POST.get("reason", "")
    undo = request.POST.get("undo") == "1"

    def run() -> str:
        if undo:
            services.unmark_visit_missed(request.user, subject, visit_code, reason)
            return f"Visit {visit_code} is no longer marked missed."
        services.mark_visit_missed(request.user, subject, visit_code, reason)
        return f"Visit {visit_code} marked missed."

    return run_action(request, reverse("edc-web:casebook", args=[number]) + "#visits", run)
