"""Who may do what, where: the single permission check used by services, pages and the API.

`can(user, action, target)` looks up the user's active memberships; a membership grants its
role's actions at its site (or at every site when it has no site). Targets are a Subject,
ScreeningRecord, FormRecord, Query, Site, or None for trial-wide actions (reports, datasets).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from nakip.edc.exceptions import EDCPermissionDenied
from nakip.edc.models import (
    FormRecord,
    Membership,
    Query,
    Role,
    ScreeningRecord,
    Site,
    Subject,
)

ACTIONS: tuple[str, ...] = (
    "view_subject",  # read a subject's casebook, screening records, queries, audit trail
    "enter_data",  # screen, enrol, enter/update/withdraw records, mark visits missed
    "raise_query",
    "answer_query",
    "close_query",
    "sdv",  # source-data verification mark
    "sign",  # investigator's casebook signature
    "lock",  # lock and unlock subjects or cohorts
    "export_dataset",  # analysis datasets and audit-trail export
    "view_reports",  # aggregate reports and the monitoring dashboard
    "manage_users",  # sites, users, memberships
)

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.INVESTIGATOR: frozenset(
        {"view_subject", "enter_data", "answer_query", "sign", "view_reports"}
    ),
    Role.STUDY_NURSE: frozenset({"view_subject", "enter_data", "answer_query"}),
    Role.MONITOR: frozenset({"view_subject", "raise_query", "close_query", "sdv"}),
    Role.DATA_MANAGER: frozenset(
        {"view_subject", "raise_query", "close_query", "lock", "export_dataset", "view_reports"}
    ),
    Role.STATISTICIAN: frozenset({"view_subject", "export_dataset", "view_reports"}),
    Role.DSMB: frozenset({"view_reports"}),
    Role.ADMIN: frozenset({"manage_users"}),
}

# Actions that make sense without a particular subject or site (target None).
TRIAL_WIDE_ACTIONS = frozenset({"export_dataset", "view_reports", "manage_users"})


def _site_id_of(target: Any) -> int | None:
    if isinstance(target, Site):
        return target.pk
    if isinstance(target, Subject | ScreeningRecord):
        return target.site_id
    if isinstance(target, FormRecord):
        return target.subject.site_id
    if isinstance(target, Query):
        return target.site_id
    raise TypeError(f"no site for a {type(target).__name__}")


def _memberships(user: Any) -> list[Membership]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cache = getattr(user, "_nakip_memberships", None)
    if cache is None:
        cache = list(Membership.objects.filter(user=user, active=True).select_related("site"))
        user._nakip_memberships = cache
    return cache


def forget_memberships(user: Any) -> None:
    """Drop the per-user membership cache (after memberships change)."""
    if hasattr(user, "_nakip_memberships"):
        del user._nakip_memberships


def roles(user: Any, site: Site | None = None) -> set[str]:
    """The user's roles at `site` (trial-wide memberships included), or anywhere when None."""
    out = set()
    for m in _memberships(user):
        if site is None or m.site_id is None or m.site_id == site.pk:
            out.add(m.role)
    return out


def can(user: Any, action: str, target: Any = None) -> bool:
    """True when one of the user's memberships allows `action` on `target`'s site.

    With target None the action is checked trial-wide: allowed if any membership grants it.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    members = _memberships(user)
    if not members:
        return False
    site_id = None if target is None else _site_id_of(target)
    for m in members:
        if action not in ROLE_ACTIONS.get(m.role, frozenset()):
            continue
        if site_id is None or m.site_id is None or m.site_id == site_id:
            return True
    return False


# Trial-wide outputs generated from the reports page (issue 9 §4), by the roles that own them:
# the DSMB report for the DSMB and the statistician, the final study report for the trial
# statistician alone (it is the sponsor's analysis at the end of the trial, ICH E3 section 9.7,
# not an output of the independent DSMB), export bundles for the data manager and the
# statistician. Only trial-wide memberships count: site staff never get trial-wide outputs.
OUTPUT_ROLES: dict[str, frozenset[str]] = {
    "dsmb": frozenset({Role.DSMB, Role.STATISTICIAN}),
    "final": frozenset({Role.STATISTICIAN}),
    "export": frozenset({Role.DATA_MANAGER, Role.STATISTICIAN}),
}


def can_generate(user: Any, output: str) -> bool:
    """True when a trial-wide membership's role owns `output` ("dsmb", "final" or "export")."""
    if output not in OUTPUT_ROLES:
        raise ValueError(f"unknown output {output!r}; known: {', '.join(OUTPUT_ROLES)}")
    return any(m.site_id is None and m.role in OUTPUT_ROLES[output] for m in _memberships(user))


def require(user: Any, action: str, target: Any = None) -> None:
    """Raise EDCPermissionDenied unless `can(user, action, target)`."""
    if not can(user, action, target):
        raise EDCPermissionDenied(action, str(target) if target is not None else "")


def is_trial_wide(user: Any, action: str) -> bool:
    """True when the user may do `action` at every site (a membership without a site), not
    merely at some; `can(user, action)` with no target answers the weaker question."""
    q = site_filter(user, action, "pk")
    return q is not None and not q.children


def require_at(user: Any, action: str, site: Any) -> None:
    """`action` at `site`; site None means every site, which needs a trial-wide membership."""
    if site is None:
        if not is_trial_wide(user, action):
            raise EDCPermissionDenied(action, "all sites")
        return
    require(user, action, site)


def site_filter(user: Any, action: str = "view_subject", field: str = "site") -> Q | None:
    """A Q object restricting a queryset to the sites where the user may do `action`.

    None when the user has no such membership at all (the caller returns nothing).
    """
    sites: set[int] = set()
    for m in _memberships(user):
        if action in ROLE_ACTIONS.get(m.role, frozenset()):
            if m.site_id is None:
                return Q()
            sites.add(m.site_id)
    if not sites:
        return None
    return Q(**{f"{field}__in": sorted(sites)})


def visible_subjects(user: Any, action: str = "view_subject") -> QuerySet[Subject]:
    """Subjects of the sites where the user may `action` (default: view)."""
    q = site_filter(user, action)
    return Subject.objects.none() if q is None else Subject.objects.filter(q)


def visible_screenings(user: Any, action: str = "view_subject") -> QuerySet[ScreeningRecord]:
    """Screening records of the sites where the user may `action` (default: view)."""
    q = site_filter(user, action)
    return ScreeningRecord.objects.none() if q is None else ScreeningRecord.objects.filter(q)


def visible_records(user: Any) -> QuerySet[FormRecord]:
    """Form records of the subjects the user may view."""
    q = site_filter(user, "view_subject", "subject__site")
    return FormRecord.objects.none() if q is None else FormRecord.objects.filter(q)


def visible_queries(user: Any) -> QuerySet[Query]:
    """Queries on records or screenings at sites the user may view."""
    q_rec = site_filter(user, "view_subject", "record__subject__site")
    q_scr = site_filter(user, "view_subject", "screening__site")
    if q_rec is None or q_scr is None:
        return Query.objects.none()
    if not q_rec.children:  # trial-wide
        return Query.objects.all()
    return Query.objects.filter(q_rec | q_scr)
