"""Schemathesis against the API's own OpenAPI schema (issue 11, defect 9 and keep the proof):
generated requests from an authenticated data manager and investigator to every operation,
bounded to a few examples each; every answer must be below 500 and conform to the schema
(status code declared, content type, body, headers).

Runs in the PostgreSQL pass of scripts/run-tests.sh (marked postgres), in about a minute.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from nakip.edc import services

from .test_api import AE, HAEM

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
EXAMPLES_PER_OPERATION = 8
#: Authentication and permissions are the authorization matrix's job (test_authorization_matrix).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_app() -> Any:
    """The project's WSGI application on the test's database connection (Django's own test
    client does the same: no closing of 'old' connections around each request)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _point_at_real_objects(case: Any, real: dict[str, Any]) -> None:
    """Path parameters name objects that exist (random ones would only ever reach the 404s,
    which test_api_robustness covers): the generated query strings and bodies stay."""
    params = case.path_parameters or {}
    path = case.path
    for name in params:
        if name == "pk":
            kind = (
                "query"
                if "/queries/" in path
                else "screening"
                if "/screenings/" in path
                else "record"
            )
            params[name] = real[kind]
        elif name in real:
            params[name] = real[name]


def _run_operation(operation: Any, headers: dict[str, str], real: dict[str, Any]) -> int:
    """Up to EXAMPLES_PER_OPERATION generated cases of one operation; returns how many ran."""
    ran = 0

    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @hypothesis.given(case=operation.as_strategy())
    def run(case: Any) -> None:
        nonlocal ran
        ran += 1
        _point_at_real_objects(case, real)
        case.validate_response(case.call(headers=headers), checks=CHECKS)  # raises on failure

    run()
    return ran


def test_generated_requests_conform_to_the_schema(
    wsgi_app: Any, subject: Any, investigator: Any, staff: dict
) -> None:
    services.create_record(investigator, subject, "haematology", HAEM, "C1D15")
    rec = services.create_record(investigator, subject, "adverse_event", AE).record
    q = services.raise_query(staff["monitor"], rec, "term", "please check")
    real = {
        "subject_number": subject.subject_number, "record": rec.pk, "query": q.pk,
        "screening": subject.screening_id, "cohort": "overt", "code": "haematology",
        "name": "subjects", "visit_code": "C1D15",
    }  # fmt: skip
    app = wsgi_app
    cases = 0
    operations = 0
    for user in (staff["data_manager"], investigator):
        headers = {"Authorization": f"Token {services.api_token(None, user)}"}
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, headers=headers)
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            cases += _run_operation(operation, headers, real)
    print(f"schemathesis: {operations} operations, {cases} generated requests, 0 failures")
    assert cases >= operations
