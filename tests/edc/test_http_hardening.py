"""HTTP-level promises of issue 11 (defects 8, 9, 10): client address behind a trusted proxy,
a true OpenAPI schema with paginated lists, CSP and Permissions-Policy headers, date
plausibility limits, and no URL-listing 404 page in production."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from nakip.edc import services
from nakip.edc.client_address import client_ip
from nakip.edc.exceptions import FormValidationError
from nakip.edc.models import Subject
from nakip.edc.services import common as services_common

from .conftest import CONSENT, screening_values
from .test_api import AE, api
from .test_settings import _settings

pytestmark = pytest.mark.django_db


# =========================================================================== defect 8
@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "expected"),
    [
        ([], "127.0.0.1", "203.0.113.9", "127.0.0.1"),  # no proxy declared: header ignored
        (["127.0.0.1"], "127.0.0.1", "203.0.113.9", "203.0.113.9"),
        (["127.0.0.1"], "127.0.0.1", "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # spoofed left
        (["127.0.0.1"], "198.51.100.7", "203.0.113.9", "198.51.100.7"),  # not via the proxy
        (["127.0.0.1", "10.0.0.2"], "127.0.0.1", "203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (["127.0.0.1"], "127.0.0.1", "not-an-ip", "127.0.0.1"),
        (["127.0.0.1"], "127.0.0.1", "", "127.0.0.1"),
    ],
)
def test_client_address_only_from_trusted_proxies(
    settings: Any, trusted: list[str], peer: str, forwarded: str, expected: str
) -> None:
    settings.NAKIP_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_lockout_behind_the_proxy_keys_on_the_real_client(settings: Any, investigator: Any) -> None:
    settings.AXES_ENABLED, settings.AXES_FAILURE_LIMIT = True, 2
    settings.NAKIP_TRUSTED_PROXIES = ["127.0.0.1"]
    attacker = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    for _ in range(3):
        attacker.post("/login/", {"username": "investigator_a", "password": "guess"})
    victim = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.20")
    from .conftest import PASSWORD

    r = victim.post("/login/", {"username": "investigator_a", "password": PASSWORD})
    assert r.status_code == 302 and victim.session.get("_auth_user_id")


# =========================================================================== defect 9
def test_lists_are_paginated_arrays_with_headers(enrol: Any, investigator: Any) -> None:
    for _ in range(3):
        enrol("overt")
    c = api(investigator)
    r = c.get("/api/subjects/", {"limit": 2})
    assert r.status_code == 200 and [s["subject_number"] for s in r.json()] == ["A-001", "A-002"]
    assert r["X-Total-Count"] == "3" and 'rel="next"' in r["Link"] and "offset=2" in r["Link"]
    r = c.get("/api/subjects/", {"limit": 2, "offset": 2})
    assert [s["subject_number"] for s in r.json()] == ["A-003"] and 'rel="prev"' in r["Link"]
    for bad in ({"limit": "0"}, {"limit": "5000"}, {"offset": "-1"}, {"limit": "²"}):
        r = c.get("/api/subjects/", bad)
        assert r.status_code == 400 and set(r.json()["fields"]) <= {"limit", "offset"}, bad


def test_openapi_schema_declares_arrays_and_every_status(investigator: Any) -> None:
    schema = api(investigator).get("/api/openapi.json").json()
    paths = schema["paths"]

    def ok_schema(path: str) -> dict[str, Any]:
        return paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    for path in ("/api/forms/", "/api/subjects/{subject_number}/visits/",
                 "/api/subjects/{subject_number}/audit/", "/api/subjects/",
                 "/api/queries/", "/api/screenings/"):  # fmt: skip
        assert ok_schema(path)["type"] == "array", path
    for path, operations in paths.items():
        for method, op in operations.items():
            codes = set(op["responses"])
            assert {"400", "401", "403", "404", "503"} <= codes, (path, method)
            if method in ("post", "patch", "delete"):
                assert {"409", "413", "415"} <= codes, (path, method)
    assert "429" in paths["/api/subjects/{subject_number}/sign/"]["post"]["responses"]
    params = {p["name"] for p in paths["/api/subjects/"]["get"]["parameters"]}
    assert {"limit", "offset"} <= params


def test_openapi_links_chain_the_workflows(investigator: Any) -> None:
    """The schema's links (nakip.edc.api.links) carry the ids of each answer to the next call:
    screen -> enrol -> record -> correct -> audit, query -> answer -> close; schemathesis'
    state machine walks them (test_api_schemathesis)."""
    paths = api(investigator).get("/api/openapi.json").json()["paths"]

    def links(path: str, method: str, status: str) -> dict[str, Any]:
        return paths[path][method]["responses"][status]["links"]

    operation_ids = {op["operationId"] for ops in paths.values() for op in ops.values()}
    chain = [
        ("/api/screenings/", "post", "201", "screenings_enrol_create", "path.id", "#/id"),
        ("/api/screenings/{id}/enrol/", "post", "201", "subjects_records_create",
         "path.subject_number", "#/subject_number"),
        ("/api/subjects/{subject_number}/records/", "post", "201", "records_partial_update",
         "path.id", "#/id"),
        ("/api/records/{id}/", "patch", "200", "subjects_audit_list", "path.subject_number",
         "#/subject_number"),
        ("/api/queries/", "post", "201", "queries_answer_create", "path.id", "#/id"),
        ("/api/queries/{id}/answer/", "post", "200", "queries_close_create", "path.id", "#/id"),
    ]  # fmt: skip
    for path, method, status, target, parameter, pointer in chain:
        link = links(path, method, status)[target]
        assert link["operationId"] == target in operation_ids
        assert link["parameters"][parameter] == "$response.body" + pointer
    correction = links("/api/records/{id}/", "get", "200")["records_partial_update"]
    assert correction["requestBody"] == {"version": "$response.body#/version"}
    every_target = {
        link["operationId"]
        for ops in paths.values()
        for op in ops.values()
        for answer in op["responses"].values()
        for link in answer.get("links", {}).values()
    }
    assert every_target <= operation_ids


# =========================================================================== defect 10
def test_csp_and_permissions_policy_headers(investigator: Any) -> None:
    web = Client()
    web.force_login(investigator)
    for url in ("/", "/login/", "/api/forms/"):
        r = web.get(url)
        csp = r["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert "unsafe-inline" not in csp
        assert (
            "camera=()" in r["Permissions-Policy"] and "geolocation=()" in r["Permissions-Policy"]
        )


@pytest.mark.parametrize("bad", ["9999-12-31", "1899-12-31"])
def test_implausible_dates_are_refused(subject: Subject, investigator: Any, bad: str) -> None:
    r = api(investigator).post(
        "/api/subjects/A-001/adverse-events/",
        {"values": {**AE, "onset_date": bad}},
        format="json",
    )
    assert r.status_code == 400 and "values.onset_date" not in r.json()["fields"]
    assert "onset_date" in r.json()["fields"] and "plausible" in r.json()["error"]
    r = api(investigator).post(
        "/api/screenings/", {"consent_date": bad, "values": {}}, format="json"
    )
    assert r.status_code == 400 and "consent_date" in r.json()["fields"]


def test_date_limits_come_from_the_protocol(
    subject: Subject, investigator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tomorrow = date.today() + timedelta(days=1)
    services.create_record(investigator, subject, "adverse_event", {**AE, "term": "Sepsis"})
    proto = services.get_protocol()
    strict = proto.model_copy(update={"date_limits": proto.date_limits.model_copy(
        update={"max_days_ahead": 0})})  # fmt: skip
    monkeypatch.setattr(services_common, "get_protocol", lambda: strict)  # the date limits
    with pytest.raises(FormValidationError) as exc:
        services.create_record(
            investigator, subject, "adverse_event", {**AE, "onset_date": tomorrow.isoformat()}
        )
    assert "onset_date" in exc.value.errors
    with pytest.raises(FormValidationError):
        services.create_screening(investigator, subject.site, tomorrow, screening_values())
    services.create_screening(investigator, subject.site, CONSENT, screening_values())


def test_production_404_lists_no_urls(settings: Any, investigator: Any) -> None:
    settings.DEBUG = False
    web = Client()
    web.force_login(investigator)
    r = web.get("/no/such/page/")
    body = r.content.decode()
    assert r.status_code == 404
    assert "URLconf" not in body and "subjects/<str:number>" not in body
    r = web.get("/api/no/such/endpoint/")
    assert r.status_code == 404 and r.json()["error"]


def test_production_refuses_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="NAKIP_DEBUG"):
        _settings(
            monkeypatch,
            NAKIP_ENV="production",
            NAKIP_SECRET_KEY="k" * 50,
            NAKIP_ALLOWED_HOSTS="edc.example.org",
            NAKIP_DEBUG="1",
        )
