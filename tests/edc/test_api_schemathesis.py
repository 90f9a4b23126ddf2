"""Schemathesis against the API's own OpenAPI schema (issue 11, defect 9 and keep the proof).

Two bounded runs, each by an authenticated data manager and investigator of site S01:

- per operation: a few generated requests to every operation, the path pointing at real objects;
- stateful: schemathesis' state machine follows the schema's OpenAPI links
  (`nakip.edc.api.links`: screen -> enrol -> record -> correct -> audit; query -> answer ->
  close), so later calls use the ids earlier answers gave. A scenario's first call aims at the
  seeded objects, every other write carries valid data (so the chains get past validation),
  and each scenario is rolled back. Every object a step reached by id is then asked for again
  with the tokens of site S02, which must get 403 or 404.

Every answer must be below 500 and conform to the schema (status code declared, content type,
body, headers); a created resource must be readable (ensure_resource_availability). Marked
postgres: the PostgreSQL pass of scripts/run-tests.sh runs it; on SQLite run it with
`NAKIP_REQUIRE_POSTGRES=1`. Deterministic (derandomize) and bounded (examples, steps).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from nakip.edc import services

from .conftest import screening_values
from .test_api import AE, HAEM

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
EXAMPLES_PER_OPERATION = 8
#: The state machine's bound: scenarios per user and calls per scenario.
SCENARIOS = 10
STEPS_PER_SCENARIO = 25
#: Authentication and permissions are the authorization matrix's job (test_authorization_matrix).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: Path parameters that name an object bound to a site.
SITE_BOUND = {"id", "subject_number"}


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


@pytest.fixture
def real(subject: Any, investigator: Any, staff: dict) -> dict[str, Any]:
    """Objects at site S01 for the generated requests to reach (with a record and a query)."""
    services.create_record(investigator, subject, "haematology", HAEM, "C1D15")
    rec = services.create_record(investigator, subject, "adverse_event", AE).record
    q = services.raise_query(staff["monitor"], rec, "term", "please check")
    return {
        "subject_number": subject.subject_number, "record": rec.pk, "query": q.pk,
        "screening": subject.screening_id, "cohort": "overt", "code": "haematology",
        "name": "subjects", "visit_code": "C1D15",
    }  # fmt: skip


def _token_headers(user: Any) -> dict[str, str]:
    return {"Authorization": f"Token {services.api_token(None, user)}"}


def _id_kind(path: str) -> str:
    """What an {id} in this API path names."""
    if path.startswith("/api/queries/"):
        return "query"
    return "screening" if path.startswith("/api/screenings/") else "record"


def _point_at_real_objects(case: Any, real: dict[str, Any]) -> None:
    """Path parameters name objects that exist (random ones would only ever reach the 404s,
    which test_api_robustness covers): the generated query strings and bodies stay."""
    params = case.path_parameters or {}
    for name in params:
        if name == "id":
            params[name] = real[_id_kind(case.path)]
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
    wsgi_app: Any, real: dict[str, Any], investigator: Any, staff: dict
) -> None:
    cases = 0
    operations = 0
    for user in (staff["data_manager"], investigator):
        headers = _token_headers(user)
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app, headers=headers)
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            cases += _run_operation(operation, headers, real)
    print(f"schemathesis: {operations} operations, {cases} generated requests, 0 failures")
    assert cases >= operations


# =========================================================================== stateful
@dataclass
class Tally:
    """What the state machine did: calls, calls along a link, 2xx answers, cross-site probes."""

    steps: int = 0
    scenarios: int = 0
    linked: int = 0
    successes: int = 0
    probes: int = 0
    operations: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)
    leaks: list[str] = field(default_factory=list)


def _realistic_body(case: Any, n: int) -> None:
    """Every other write carries valid data (generated bodies are nearly always refused, so
    the chains behind them, enrol -> record -> correct, would never be walked); the version
    a link passed on stays."""
    if n % 2 or not isinstance(case.body, dict):
        return
    path = case.operation.path
    if case.method == "PATCH":
        values = {"ecog": 0} if path.startswith("/api/screenings/") else {"ctcae_grade": 2}
        case.body.update(values=values, reason="transcription error", partial=True)
    elif case.method != "POST":
        return
    elif path == "/api/screenings/":
        case.body = {"consent_date": "2026-01-05", "values": screening_values("overt")}
    elif path.endswith("/enrol/"):
        case.body = {"enrolment_date": "2026-01-12"}
    elif path.endswith(("/records/", "/adverse-events/")):
        case.body = {"form_code": "adverse_event", "values": AE}


def _state_machine(
    schema: Any,
    headers: dict[str, str],
    intruders: list[dict[str, str]],
    real: dict[str, Any],
    tally: Tally,
) -> Any:
    """The schema's state machine, calling as one user; after every answer that reached a
    site-bound object, the same request by each intruder of the other site must be refused."""

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            """Each scenario starts from the same data (Hypothesis replays choice sequences and
            needs the same answers to the same calls)."""
            tally.scenarios += 1
            self.calls = 0
            self.savepoint = transaction.savepoint()

        def teardown(self) -> None:
            transaction.savepoint_rollback(self.savepoint)
            super().teardown()

        def before_call(self, case: Any) -> None:
            _realistic_body(case, self.calls)
            self.calls += 1

        def step(self, input: Any) -> Any:
            if input.transition is None:  # a first call: at the seeded objects, not random ids
                _point_at_real_objects(input.case, real)
            elif input.is_applied:
                tally.linked += 1
                tally.links.add(input.transition.id)
            return super().step(input)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            tally.steps += 1
            tally.operations.add(case.operation.label)
            case.validate_response(
                response,
                checks=[*CHECKS, ensure_resource_availability],
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )
            if response.status_code < 300:
                tally.successes += 1
                if SITE_BOUND & set(case.path_parameters or {}):
                    self._probe(case)

        def _probe(self, case: Any) -> None:
            for other in intruders:
                tally.probes += 1
                status = case.call(headers=other).status_code
                if status not in (403, 404):
                    tally.leaks.append(f"{case.method} {case.formatted_path}: {status}")

    return Machine


def test_stateful_chains_conform_and_stay_at_their_site(
    wsgi_app: Any, real: dict[str, Any], investigator: Any, staff: dict, site_b: Any,
    make_user: Any,
) -> None:  # fmt: skip
    intruders = [
        _token_headers(make_user("investigator", site_b, "investigator_b")),
        _token_headers(make_user("data_manager", site_b, "data_manager_b")),
    ]
    tally = Tally()
    settings = hypothesis.settings(
        max_examples=SCENARIOS,
        stateful_step_count=STEPS_PER_SCENARIO,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.generate],
    )
    for user in (staff["data_manager"], investigator):
        headers = _token_headers(user)
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app, headers=headers)
        _state_machine(schema, headers, intruders, real, tally).run(settings=settings)
    print(
        f"schemathesis stateful: {len(tally.operations)} operations reached, "
        f"{tally.scenarios} scenarios, {tally.steps} steps ({tally.linked} along "
        f"{len(tally.links)} distinct links), {tally.successes} 2xx, "
        f"{tally.probes} cross-site probes, {len(tally.leaks)} leaks, 0 failures"
    )
    assert not tally.leaks, "\n".join(tally.leaks[:20])
    assert tally.steps >= SCENARIOS  # the machine really ran
    assert tally.linked > 0  # later calls used ids from earlier answers
    assert tally.probes > 0  # some chain reached an object by id
