"""The API's role x endpoint x site matrix.

Expected rights are transcribed from the assignment's role descriptions (investigator: data
entry, answers, signature; study nurse: data entry and answers; monitor: read, queries, SDV;
data manager: read, queries, locks, datasets; statistician: read, datasets; DSMB: reports
only; admin: users only), not from the code's table. Rules of the API: an object at a site the
user cannot view answers 404 (its existence is not revealed); an action the role does not allow
on a visible object answers 403; lists are filtered to the user's sites. A refused request
must leave no trace in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.test import APIClient

from nakip.edc import services
from nakip.edc.models import (
    FormRecord,
    Lock,
    Query,
    Role,
    ScreeningRecord,
    Signature,
    Subject,
)

from .conftest import CONSENT, PASSWORD, screening_values

pytestmark = pytest.mark.django_db

RIGHTS: dict[str, set[str]] = {
    "investigator": {"view_subject", "enter_data", "answer_query", "sign", "view_reports"},
    "study_nurse": {"view_subject", "enter_data", "answer_query"},
    "monitor": {"view_subject", "raise_query", "close_query", "sdv"},
    "data_manager": {
        "view_subject",
        "raise_query",
        "close_query",
        "lock",
        "export_dataset",
        "view_reports",
    },  # fmt: skip
    "statistician": {"view_subject", "export_dataset", "view_reports"},
    "dsmb": {"view_reports"},
    "admin": {"manage_users"},
}
#: Roles tied to one site (a trial-wide membership is refused for them).
SITE_BOUND = {"investigator", "study_nurse"}
HAEM = {"sample_date": "2026-01-20", "anc": 0.8, "platelets": 40, "haemoglobin": 9.1,
        "pb_blasts_pct": 2}  # fmt: skip
AE = {"term": "Rash maculo-papular", "ctcae_grade": 2, "onset_date": "2026-01-25", "serious": False,
      "attribution_talazoparib": "possible", "attribution_nk": "unlikely",
      "category": "nonhematologic", "outcome": "recovered"}  # fmt: skip


@dataclass
class World:
    site_a: Any
    site_b: Any
    investigator: Any
    subject: Subject
    record: FormRecord
    screening: ScreeningRecord
    make_user: Callable[..., Any]
    extra: dict[str, Any] = field(default_factory=dict)

    def monitor_a(self) -> Any:
        if "monitor" not in self.extra:
            self.extra["monitor"] = self.make_user("monitor", self.site_a, "helper_monitor")
        return self.extra["monitor"]

    def query(self, closed: bool = False) -> Query:
        q = services.raise_query(self.monitor_a(), self.record, "anc", "please check")
        if closed:
            q = services.close_query(self.monitor_a(), q, "fine")
        self.extra["query"] = q
        return q


@dataclass(frozen=True)
class Endpoint:
    """One API call: `kind` says how the expected status follows from the rights.

    object: 404 unless the subject's site is visible, then 403 unless every action in
    `actions` is allowed, then `ok`. list: always 200, filtered. site_write: a create at site
    S01 (sites are not secret): 403 unless allowed. dataset: 403 without export_dataset,
    else 200 filtered. any: 200 for every authenticated user.
    """

    name: str
    method: str
    url: Callable[[World], str]
    kind: str = "object"
    actions: tuple[str, ...] = ("view_subject",)
    ok: int = 200
    body: Callable[[World], dict[str, Any]] | None = None
    prepare: Callable[[World], Any] | None = None


def _subj(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/api/subjects/{w.subject.subject_number}/{suffix}"


def _lock(w: World) -> None:
    dm = w.make_user("data_manager", w.site_a, "helper_dm")
    services.lock_subject(dm, w.subject, "lock for the unlock test")


ENDPOINTS = [
    Endpoint("list_screenings", "get", lambda w: "/api/screenings/", kind="list"),
    Endpoint(
        "create_screening",
        "post",
        lambda w: "/api/screenings/",
        kind="site_write",
        actions=("enter_data",),
        ok=201,
        body=lambda w: {
            "site": "S01",
            "consent_date": "2026-01-05",
            "values": screening_values("overt"),
        },
    ),  # fmt: skip
    Endpoint("get_screening", "get", lambda w: f"/api/screenings/{w.screening.pk}/"),
    Endpoint(
        "patch_screening",
        "patch",
        lambda w: f"/api/screenings/{w.screening.pk}/",
        actions=("view_subject", "enter_data"),
        body=lambda w: {"values": {"ecog": 0}, "reason": "source check", "version": 1},
    ),  # fmt: skip
    Endpoint(
        "enrol",
        "post",
        lambda w: f"/api/screenings/{w.screening.pk}/enrol/",
        actions=("view_subject", "enter_data"),
        ok=201,
        body=lambda w: {"enrolment_date": "2026-01-12"},
    ),  # fmt: skip
    Endpoint(
        "screen_failure",
        "post",
        lambda w: f"/api/screenings/{w.screening.pk}/screen-failure/",
        actions=("view_subject", "enter_data"),
        body=lambda w: {"reasons": ["consent withdrawn"]},
    ),  # fmt: skip
    Endpoint("list_subjects", "get", lambda w: "/api/subjects/", kind="list"),
    Endpoint("get_subject", "get", _subj()),
    Endpoint("visits", "get", _subj("visits/")),
    Endpoint("derived", "get", _subj("derived/")),
    Endpoint("audit", "get", _subj("audit/")),
    Endpoint(
        "audit_csv",
        "get",
        lambda w: _subj("audit/")(w) + "?format=csv",
        actions=("view_subject", "export_dataset"),
    ),  # fmt: skip
    Endpoint("list_records", "get", _subj("records/")),
    Endpoint(
        "create_record",
        "post",
        _subj("records/"),
        actions=("view_subject", "enter_data"),
        ok=201,
        body=lambda w: {"form_code": "haematology", "visit_code": "C1D8", "values": HAEM},
    ),  # fmt: skip
    Endpoint("get_record", "get", lambda w: f"/api/records/{w.record.pk}/"),
    Endpoint(
        "patch_record",
        "patch",
        lambda w: f"/api/records/{w.record.pk}/",
        actions=("view_subject", "enter_data"),
        body=lambda w: {"values": {"anc": 0.9}, "reason": "typo", "version": 1},
    ),  # fmt: skip
    Endpoint(
        "withdraw_record",
        "post",
        lambda w: f"/api/records/{w.record.pk}/withdraw/",
        actions=("view_subject", "enter_data"),
        body=lambda w: {"reason": "wrong patient"},
    ),  # fmt: skip
    Endpoint("list_adverse_events", "get", _subj("adverse-events/")),
    Endpoint(
        "create_adverse_event",
        "post",
        _subj("adverse-events/"),
        actions=("view_subject", "enter_data"),
        ok=201,
        body=lambda w: {"values": AE},
    ),  # fmt: skip
    Endpoint(
        "list_queries", "get", lambda w: "/api/queries/", kind="list", prepare=lambda w: w.query()
    ),  # fmt: skip
    Endpoint(
        "raise_query",
        "post",
        lambda w: "/api/queries/",
        actions=("view_subject", "raise_query"),
        ok=201,
        body=lambda w: {"record": w.record.pk, "field_name": "anc", "text": "source?"},
    ),  # fmt: skip
    Endpoint(
        "answer_query",
        "post",
        lambda w: f"/api/queries/{w.extra['query'].pk}/answer/",
        actions=("view_subject", "answer_query"),
        body=lambda w: {"answer": "checked"},
        prepare=lambda w: w.query(),
    ),  # fmt: skip
    Endpoint(
        "close_query",
        "post",
        lambda w: f"/api/queries/{w.extra['query'].pk}/close/",
        actions=("view_subject", "close_query"),
        body=lambda w: {"note": "ok"},
        prepare=lambda w: w.query(),
    ),  # fmt: skip
    Endpoint(
        "reopen_query",
        "post",
        lambda w: f"/api/queries/{w.extra['query'].pk}/reopen/",
        actions=("view_subject", "raise_query"),
        body=lambda w: {"text": "still wrong"},
        prepare=lambda w: w.query(closed=True),
    ),  # fmt: skip
    Endpoint(
        "sign",
        "post",
        _subj("sign/"),
        actions=("view_subject", "sign"),
        ok=201,
        body=lambda w: {"password": PASSWORD, "override_reason": "interim signature"},
    ),  # fmt: skip
    Endpoint(
        "lock",
        "post",
        _subj("lock/"),
        actions=("view_subject", "lock"),
        body=lambda w: {"reason": "database lock", "override_reason": "interim lock"},
    ),  # fmt: skip
    Endpoint(
        "unlock",
        "post",
        _subj("unlock/"),
        actions=("view_subject", "lock"),
        body=lambda w: {"reason": "late data"},
        prepare=_lock,
    ),  # fmt: skip
    Endpoint("dataset", "get", lambda w: "/api/datasets/subjects/", kind="dataset"),
    Endpoint("forms", "get", lambda w: "/api/forms/", kind="any"),
]
WHERE = ("own", "other", "all")
CASES = [
    (role, ep, where)
    for role in RIGHTS
    for ep in ENDPOINTS
    for where in WHERE
    if not (where == "all" and role in SITE_BOUND)
]


def test_matrix_size() -> None:
    assert set(RIGHTS) == set(Role.values)
    assert len(ENDPOINTS) == 29
    # 7 roles x 29 endpoints x {own, other} + 5 trial-wide roles x 29 endpoints
    assert len(CASES) == 7 * 29 * 2 + 5 * 29 == 551


@pytest.fixture
def world(site_a, site_b, investigator, make_user, enrol) -> World:
    subject = enrol("overt")
    record = services.create_record(investigator, subject, "haematology", HAEM, "C1D15").record
    screening = services.create_screening(investigator, site_a, CONSENT, screening_values("overt"))
    return World(site_a, site_b, investigator, subject, record, screening, make_user)


def expected(role: str, ep: Endpoint, where: str) -> int:
    rights = RIGHTS[role]
    at_subject_site = where in ("own", "all")
    if ep.kind in ("list", "any"):
        return 200
    if ep.kind == "dataset":
        return 200 if "export_dataset" in rights else 403
    if ep.kind == "site_write":
        return ep.ok if at_subject_site and set(ep.actions) <= rights else 403
    if not (at_subject_site and "view_subject" in rights):
        return 404
    return ep.ok if set(ep.actions) <= rights else 403


def _footprint() -> tuple[int, ...]:
    return (
        FormRecord.history.count(),
        ScreeningRecord.history.count(),
        Subject.history.count(),
        Query.history.count(),
        Lock.history.count(),
        Signature.history.count(),
    )


@pytest.mark.parametrize(
    ("role", "ep", "where"), CASES, ids=[f"{r}-{e.name}-{w}" for r, e, w in CASES]
)
def test_role_endpoint_site(world: World, role: str, ep: Endpoint, where: str) -> None:
    if ep.prepare is not None:
        ep.prepare(world)
    site = {"own": world.site_a, "other": world.site_b, "all": None}[where]
    actor = world.make_user(role, site, f"actor_{role}_{where}")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {services.api_token(None, actor)}")
    before = _footprint()
    kwargs: dict[str, Any] = {"format": "json"}
    if ep.body is not None:
        kwargs["data"] = ep.body(world)
    r = getattr(client, ep.method)(ep.url(world), **kwargs)
    want = expected(role, ep, where)
    assert r.status_code == want, (r.status_code, r.content[:300])
    if want >= 400:
        body = r.json()
        assert set(body) >= {"error", "fields"} and body["error"]
        assert _footprint() == before, "a refused request wrote something"
        return
    visible = where in ("own", "all") and "view_subject" in RIGHTS[role]
    if ep.kind == "list":
        items = r.json()
        assert (len(items) > 0) == visible, items
        if ep.name == "list_subjects":
            assert [s["subject_number"] for s in items] == (["A-001"] if visible else [])
    elif ep.kind == "dataset":
        rows = r.json()["rows"]
        exporter_here = where in ("own", "all")
        assert [x["subject_number"] for x in rows] == (["A-001"] if exporter_here else [])


def test_hidden_subject_looks_like_a_missing_one(world: World) -> None:
    """Another site's subject answers exactly like a subject number that was never issued."""
    outsider = world.make_user("investigator", world.site_b, "outsider")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {services.api_token(None, outsider)}")
    hidden = client.get("/api/subjects/A-001/")
    missing = client.get("/api/subjects/A-999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"].replace("A-001", "X") == missing.json()["error"].replace(
        "A-999", "X"
    )
