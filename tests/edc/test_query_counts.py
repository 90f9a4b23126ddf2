"""SQL queries per page do not grow with the number of subjects, and a form save costs at most
8 statements (issue 11, performance): the probe found one query per subject on the subject
list, per subject and visit on the dashboard, per object on the audit page, 18-22 per save."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from nakip.edc import services

from .test_api import AE, HAEM, api

pytestmark = pytest.mark.django_db

#: Statements a page or API read may issue, whatever the number of subjects (measured: 19 on
#: the dashboard, 16 on the casebook, 19 on the audit page, 4 on the API subject list).
PAGE_BUDGET = {
    "/": 20,
    "/subjects/": 12,
    "/subjects/A-001/": 16,  # the lock check reuses the page's query count and signature
    "/subjects/A-001/audit/": 20,
    "/queries/": 11,
    "/api/subjects/": 5,
    "/api/queries/": 5,
    "/api/subjects/A-001/records/": 6,
    "/api/subjects/A-001/audit/": 13,
}
SAVE_BUDGET = 8


def _trial(enrol: Callable[..., Any], investigator: Any, n: int) -> None:
    for _ in range(n):
        s = enrol("overt")
        services.create_record(investigator, s, "adverse_event", AE)
        services.create_record(investigator, s, "haematology", HAEM, "C1D15")
        ae = s.records.get(form_code="adverse_event")
        services.update_record(investigator, ae, {"term": "Sepsis"}, "typo", 1, partial=True)


def _counts(staff: dict) -> dict[str, int]:
    web = Client()
    web.force_login(staff["data_manager"])
    token = api(staff["data_manager"])
    out = {}
    for url in PAGE_BUDGET:
        client = token if url.startswith("/api/") else web
        with CaptureQueriesContext(connection) as q:
            assert client.get(url).status_code == 200, url
        out[url] = len(q)
    return out


def test_queries_per_page_do_not_grow_with_subjects(
    enrol: Any, investigator: Any, staff: dict
) -> None:
    _trial(enrol, investigator, 1)
    one = _counts(staff)
    _trial(enrol, investigator, 19)
    twenty = _counts(staff)
    assert twenty == one
    for url, n in twenty.items():
        assert n <= PAGE_BUDGET[url], (url, n)


def _statements(q: CaptureQueriesContext) -> list[str]:
    """SQL statements, without the savepoints the test's own transaction adds around blocks."""
    return [
        x["sql"] for x in q.captured_queries if not x["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]


@pytest.mark.parametrize(
    ("form", "visit", "values"),
    [("adverse_event", "", AE), ("haematology", "C1D15", HAEM)],
)
def test_a_form_save_costs_at_most_8_statements(
    subject: Any, investigator: Any, form: str, visit: str, values: dict
) -> None:
    c = api(investigator)
    body = {"form_code": form, "visit_code": visit, "values": values}
    with CaptureQueriesContext(connection) as q:
        r = c.post("/api/subjects/A-001/records/", body, format="json")
    assert r.status_code == 201, r.content
    assert len(_statements(q)) <= SAVE_BUDGET, _statements(q)
    changed = {"sample_date": "2026-01-26"} if form == "haematology" else {"term": "Sepsis"}
    with CaptureQueriesContext(connection) as q:
        r = c.patch(
            f"/api/records/{r.json()['id']}/",
            {"values": changed, "reason": "source review", "version": 1},
            format="json",
        )
    assert r.status_code == 200, r.content
    assert len(_statements(q)) <= SAVE_BUDGET, _statements(q)
