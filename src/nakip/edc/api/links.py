"""OpenAPI links: which answer's ids feed which next call (screen -> enrol -> record -> audit).

They document the API's workflows for client authors and let schemathesis' state machine chain
real calls with real ids (tests/edc/test_api_schemathesis.py). Added by a drf-spectacular
postprocessing hook, so the links sit next to the operations they connect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Runtime expressions (OpenAPI 3.0, "Runtime Expressions") for the ids an answer carries.
ID = "$response.body#/id"
VERSION = "$response.body#/version"
SUBJECT = "$response.body#/subject_number"
FIRST_ID = "$response.body#/0/id"
FIRST_SUBJECT = "$response.body#/0/subject_number"
VISIT = "$response.body#/visit_code"


@dataclass(frozen=True)
class Link:
    """One link: after `source` answers `status`, call `target` with these parameters/body."""

    source: str
    status: str
    target: str
    parameters: dict[str, str]
    body: dict[str, Any] | None = field(default=None)

    @property
    def name(self) -> str:
        return self.target


def _fan_out(
    source: str, status: str, targets: tuple[str, ...], parameters: dict[str, str]
) -> list[Link]:
    return [Link(source, status, target, parameters) for target in targets]


#: What can be done with a screening record, given its id (and version, for a correction).
_SCREENING = ("screenings_retrieve", "screenings_enrol_create", "screenings_screen_failure_create")
#: What can be done with a subject, given its subject number.
_SUBJECT = (
    "subjects_retrieve",
    "subjects_visits_list",
    "subjects_derived_retrieve",
    "subjects_audit_list",
    "subjects_records_list",
    "subjects_records_create",
    "subjects_adverse_events_list",
    "subjects_adverse_events_create",
    "subjects_lock_create",
    "subjects_unlock_create",
    "subjects_sign_create",
)
#: What can be done with a record, given its id.
_RECORD = ("records_retrieve", "records_sdv_create")
#: What can be done with a query, given its id.
_QUERY = ("queries_answer_create", "queries_close_create", "queries_reopen_create")


#: (operation, status) whose answer is one screening record, one record, one query.
_ANSWERS_WITH_A_SCREENING = (
    ("screenings_create", "201"),
    ("screenings_retrieve", "200"),
    ("screenings_partial_update", "200"),
)
_ANSWERS_WITH_A_RECORD = (
    ("subjects_records_create", "201"),
    ("subjects_adverse_events_create", "201"),
    ("records_retrieve", "200"),
    ("records_partial_update", "200"),
)
_ANSWERS_WITH_A_QUERY = (
    ("queries_create", "201"),
    ("queries_answer_create", "200"),
    ("queries_close_create", "200"),
    ("queries_reopen_create", "200"),
)


def _screening_links(source: str, status: str, pk: str, version: str | None) -> list[Link]:
    links = _fan_out(source, status, _SCREENING, {"path.id": pk})
    if version is not None:  # a correction needs the version just read
        links.append(
            Link(source, status, "screenings_partial_update", {"path.id": pk}, {"version": version})
        )
    return links


def _record_links(source: str, status: str, pk: str, version: str | None) -> list[Link]:
    links = _fan_out(source, status, _RECORD, {"path.id": pk})
    links.append(Link(source, status, "queries_create", {}, {"record": pk}))
    if version is not None:
        for target in ("records_partial_update", "records_withdraw_create"):
            links.append(Link(source, status, target, {"path.id": pk}, {"version": version}))
    return links


def _subject_links(source: str, status: str, number: str) -> list[Link]:
    return _fan_out(source, status, _SUBJECT, {"path.subject_number": number})


def all_links() -> list[Link]:
    """Every link of the API: from creations (201), single reads and first list items."""
    links: list[Link] = []
    for source, status in _ANSWERS_WITH_A_SCREENING:
        links += _screening_links(source, status, ID, VERSION)
    links += _screening_links("screenings_list", "200", FIRST_ID, None)
    links += _subject_links("screenings_enrol_create", "201", SUBJECT)
    links += _subject_links("subjects_retrieve", "200", SUBJECT)
    links += _subject_links("subjects_list", "200", FIRST_SUBJECT)
    for source, status in _ANSWERS_WITH_A_RECORD:
        links += _record_links(source, status, ID, VERSION)
        links.append(Link(source, status, "subjects_audit_list", {"path.subject_number": SUBJECT}))
    links += _record_links("subjects_records_list", "200", FIRST_ID, None)
    links += _record_links("subjects_adverse_events_list", "200", FIRST_ID, None)
    for source, status in _ANSWERS_WITH_A_QUERY:
        links += _fan_out(source, status, _QUERY, {"path.id": ID})
    links += _fan_out("queries_list", "200", _QUERY, {"path.id": FIRST_ID})
    return links


def add_links(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: each link goes into its source operation's answer
    (an operation missing from the schema is a programming error: KeyError)."""
    operations = {
        op["operationId"]: op
        for ops in result.get("paths", {}).values()
        for op in ops.values()
        if isinstance(op, dict) and "operationId" in op
    }
    for link in all_links():
        if link.target not in operations:
            raise KeyError(f"link target {link.target!r} is not an operation of the API")
        response = operations[link.source]["responses"][link.status]
        entry: dict[str, Any] = {"operationId": link.target, "parameters": link.parameters}
        if link.body is not None:
            entry["requestBody"] = link.body
        response.setdefault("links", {})[link.name] = entry
    return result
