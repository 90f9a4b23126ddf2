"""The generated authorization matrix (issue 11, keep the proof): every URL and API route the
resolver knows × every role at site S01 and anonymous × an object of one's own site and of the
other site, with every HTTP method. Promises checked:

- anonymous: never a 2xx; pages redirect to the login page, the API answers 401;
- another site's subject, record, screening, query or account: always 403 or 404, for every
  method (generated reports belong to the whole trial: one report for both sides);
- nothing answers 5xx; a role without the viewing right never reads casebook data (no 200);
- and afterwards the other site's data have not changed (no history row was added there).

The routes come from the resolver, so a new page is in the matrix without an edit here; the test
checks that the number of routes it requested equals the number of named routes Django's
`reverse()` knows (counted separately), and fails on a path parameter it cannot fill.

Runs in the PostgreSQL pass of scripts/run-tests.sh (marked postgres), in one to two minutes;
on SQLite with `NAKIP_REQUIRE_POSTGRES=1` and no `NAKIP_DATABASE_URL`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from nakip.edc import permissions, report_jobs, services
from nakip.edc.models import (
    FormRecord,
    GeneratedReport,
    ReportStatus,
    Role,
    ScreeningRecord,
    Subject,
)

from .conftest import CONSENT, DAY1, screening_values
from .test_api import AE, HAEM

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

METHODS = ("get", "post", "patch", "delete")
WEB_METHODS = ("get", "post")  # pages take no PATCH or DELETE (405, checked on the API side)
#: Path parameters that name no site-bound object: the same value for own and other site.
NEUTRAL = {"cohort": "overt", "form_code": "adverse_event", "code": "haematology",
           "name": "subjects", "visit_code": "C1D15", "fmt": "html",
           "action": "grant-role"}  # fmt: skip
#: Path parameters naming an object of one site (an account is bound to its sites too).
SITE_BOUND = ("number", "subject_number", "pk", "username")
#: Routes open to everyone (the login page and the API docs assets need no data).
PUBLIC = {"edc-web:login", "api-docs-asset"}
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    params: tuple[str, ...]

    @property
    def api(self) -> bool:
        return self.pattern.startswith("api/")

    @property
    def site_bound(self) -> bool:
        return any(p in SITE_BOUND for p in self.params) and not self.trial_wide

    @property
    def trial_wide(self) -> bool:
        """Generated reports belong to the whole trial, not to a site."""
        return self.name == "edc-web:reports-download"


def _walk(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[Route]:
    for p in patterns:
        if isinstance(p, URLResolver):
            space = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from _walk(p.url_patterns, prefix + str(p.pattern), space)
        elif isinstance(p, URLPattern) and p.name:
            route = prefix + str(p.pattern)
            yield Route(f"{ns}{p.name}", route, tuple(p.pattern.converters))


#: Named routes the matrix does not request: the API's catch-all 404 takes any path.
UNREQUESTED = {"api-not-found"}


def routes() -> list[Route]:
    """Every named route of the project, from the resolver (the catch-all 404 excluded)."""
    return [r for r in _walk(get_resolver().url_patterns) if r.name not in UNREQUESTED]


def _named_routes(resolver: URLResolver, ns: str = "") -> set[str]:
    """The names `reverse()` knows, namespaces included: a count independent of `_walk`."""
    names = {ns + key for key in resolver.reverse_dict if isinstance(key, str)}
    for space, (_prefix, sub) in resolver.namespace_dict.items():
        names |= _named_routes(sub, f"{ns}{space}:")
    return names


def _url(route: Route, objects: dict[str, Any]) -> str:
    """The route's path with each parameter filled for the site whose `objects` are given."""

    def value(match: re.Match[str]) -> str:
        param = match.group(1)
        if param == "pk":
            return str(objects["report" if route.trial_wide else _pk_kind(route)])
        if param == "username":
            return str(objects["username"])
        if param in ("number", "subject_number"):
            screening = route.pattern.startswith("screening/")
            return str(objects["screening_number" if screening else "subject"])
        if route.name == "api-docs-asset":
            return "swagger-ui.css"
        if param not in NEUTRAL:
            raise KeyError(f"{route.name}: no value for the path parameter {param!r}")
        return NEUTRAL[param]

    return "/" + _PARAM.sub(value, route.pattern)


def _pk_kind(route: Route) -> str:
    if route.pattern.startswith(("queries/", "api/queries/")):
        return "query"
    if route.pattern.startswith("api/screenings/"):
        return "screening"
    return "record"


def _site_objects(user: Any, site: Any, monitor: Any) -> dict[str, Any]:
    scr = services.create_screening(user, site, CONSENT, screening_values("overt"))
    subject = services.enrol_subject(user, scr, DAY1)
    services.create_record(user, subject, "haematology", HAEM, "C1D15")
    rec = services.create_record(user, subject, "adverse_event", AE).record
    q = services.raise_query(monitor, rec, "term", "please check")
    other = services.create_screening(user, site, CONSENT, screening_values("overt"))
    return {"subject": subject.subject_number, "record": rec.pk, "query": q.pk,
            "screening": other.pk, "screening_number": other.screening_number,
            "username": user.username}  # fmt: skip


def _finished_report(user: Any, data_dir: Path) -> int:
    """A finished DSMB report with its HTML file, so the download route reaches a real file."""
    report = GeneratedReport.objects.create(
        kind=report_jobs.DSMB, created_by=user, status=ReportStatus.DONE, file_path="dsmb/r1"
    )
    path = data_dir / "reports" / "dsmb" / "r1.html"
    path.parent.mkdir(parents=True)
    path.write_text("<p>report</p>")
    return report.pk


def _history_rows(site: Any) -> int:
    return sum(
        model.history.filter(**{lookup: site.pk}).count()
        for model, lookup in (
            (Subject, "site_id"),
            (ScreeningRecord, "site_id"),
            (FormRecord, "subject__site_id"),
        )
    )


def _client(user: Any, api: bool) -> Any:
    if api:
        c = APIClient()
        if user is not None:
            c.credentials(HTTP_AUTHORIZATION=f"Token {services.api_token(None, user)}")
        return c
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def _call(client: Any, method: str, url: str, api: bool) -> int:
    if api:
        return getattr(client, method)(url, {}, format="json").status_code
    if method == "get":
        return client.get(url).status_code
    return getattr(client, method)(url, {}).status_code


def test_every_route_role_and_site(
    site_a: Any, site_b: Any, staff: dict, make_user: Any, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    inv_b = make_user("investigator", site_b, "investigator_b")
    mon_b = make_user("monitor", site_b, "monitor_b")
    report = _finished_report(staff["data_manager"], tmp_path)
    own = {**_site_objects(staff["investigator"], site_a, staff["monitor"]), "report": report}
    other = {**_site_objects(inv_b, site_b, mon_b), "report": report}
    before_b = _history_rows(site_b)
    all_routes = routes()
    assert len(all_routes) >= 50  # the resolver really was walked
    users: dict[str, Any] = {**staff, "anonymous": None}
    problems: list[str] = []
    checked = 0
    requested: set[str] = set()
    for route in all_routes:
        for who, user in users.items():
            client = _client(user, route.api)
            sides = (("own", own), ("other", other)) if route.site_bound else (("own", own),)
            for side, objects in sides:
                url = _url(route, objects)
                for method in METHODS if route.api else WEB_METHODS:
                    status = _call(client, method, url, route.api)
                    checked += 1
                    requested.add(route.name)
                    where = f"{method.upper()} {url} as {who} ({side})"
                    if status >= 500:
                        problems.append(f"{where}: {status}")
                    elif user is None:
                        if route.name in PUBLIC:
                            continue
                        allowed = {401} if route.api else {302, 403, 404, 405}
                        if status not in allowed:
                            problems.append(f"{where}: anonymous got {status}")
                    elif side == "other" and status not in (403, 404, 405):
                        problems.append(f"{where}: another site's object answered {status}")
                    elif (
                        method == "get"
                        and route.site_bound
                        and "username" not in route.params  # accounts: not casebook data
                        and not permissions.can(user, "view_subject")
                        and status == 200
                    ):
                        problems.append(f"{where}: {who} without viewing right read data")
    assert _history_rows(site_b) == before_b, "another site's data changed"
    assert len(requested) == len(_named_routes(get_resolver()) - UNREQUESTED)
    api = sum(r.api for r in all_routes)
    print(f"authorization matrix: {len(all_routes)} routes ({api} API, "
          f"{len(all_routes) - api} pages; {sum(r.site_bound for r in all_routes)} site-bound) "
          f"x {len(users)} users "
          f"(roles {', '.join(Role.values)} + anonymous) x own/other site x "
          f"methods = {checked} requests")  # fmt: skip
    assert not problems, "\n".join(problems[:40])
