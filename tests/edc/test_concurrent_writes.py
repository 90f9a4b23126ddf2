"""Two writers at once lose nothing (issue 11, defect 4): on a SQLite file in WAL mode writers
queue on the busy timeout, on PostgreSQL on row locks; a database still busy after the timeout
answers 503 with Retry-After, never 500 "database is locked"."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.db.utils import load_backend

from nakip.edc import services
from nakip.edc.models import FormRecord, Subject

from .test_api import AE, api

WRITES_PER_THREAD = 12


def _file_wrapper(path: Path, **options: Any) -> Any:
    """A Django connection to the SQLite file `path` with the project's options (+ `options`)."""
    settings_dict = {
        **connection.settings_dict,
        "NAME": str(path),
        "OPTIONS": {**connection.settings_dict.get("OPTIONS", {}), **options},
    }
    return load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")


@pytest.fixture
def sqlite_file(tmp_path: Path, subject: Subject) -> Iterator[Path]:
    """The migrated test database with its fixtures, copied to a file (online backup API)."""
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite file test runs in the SQLite pass")
    path = tmp_path / "edc.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    yield path


def _use(wrapper: Any) -> Any:
    """Make `wrapper` this thread's default connection; returns the one it replaces."""
    previous = connections["default"]
    connections["default"] = wrapper
    return previous


def _run_writers(
    n_threads: int, write: Callable[[int], None], setup: Callable[[], Any] | None = None
) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(n_threads)

    def work(i: int) -> None:
        if setup is not None:
            _use(setup())
        try:
            start.wait()
            for k in range(WRITES_PER_THREAD):
                write(i * 100 + k)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections["default"].close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _ae_writer(user: Any, subject: Subject) -> Callable[[int], None]:
    def write(n: int) -> None:
        services.create_record(
            user,
            subject,
            "adverse_event",
            {**AE, "term": "Other, specify", "term_other": f"AE {n}"},
        )

    return write


@pytest.mark.django_db(transaction=True)
def test_two_writers_on_a_sqlite_file_lose_nothing(
    sqlite_file: Path, subject: Subject, investigator: Any
) -> None:
    errors = _run_writers(
        2, _ae_writer(investigator, subject), setup=lambda: _file_wrapper(sqlite_file)
    )
    assert not errors, errors
    check = sqlite3.connect(sqlite_file)
    try:
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        n = check.execute(
            "select count(*) from edc_formrecord where form_code='adverse_event'"
        ).fetchone()[0]
        history = check.execute(
            "select count(*) from edc_historicalformrecord where form_code='adverse_event'"
        ).fetchone()[0]
    finally:
        check.close()
    assert n == 2 * WRITES_PER_THREAD
    assert history == 2 * WRITES_PER_THREAD


@pytest.mark.django_db(transaction=True)
def test_sqlite_still_busy_after_the_timeout_is_503_with_retry_after(
    sqlite_file: Path, subject: Subject, investigator: Any
) -> None:
    previous = _use(_file_wrapper(sqlite_file, timeout=0.05))
    holder = sqlite3.connect(sqlite_file, isolation_level=None)
    try:
        c = api(investigator)  # its token is written before the lock is taken
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        body = {"form_code": "adverse_event", "values": AE}
        r = c.post("/api/subjects/A-001/records/", body, format="json")
        assert r.status_code == 503, r.content
        assert int(r["Retry-After"]) > 0 and "retry" in r.json()["error"]
        assert c.get("/api/subjects/A-001/records/").status_code == 200  # reads go on (WAL)
        holder.execute("ROLLBACK")
        r = c.post("/api/subjects/A-001/records/", body, format="json")
        assert r.status_code == 201, r.content
        assert FormRecord.objects.filter(form_code="adverse_event").count() == 1
    finally:
        holder.close()
        connections["default"].close()
        connections["default"] = previous


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_writers_on_postgresql_lose_nothing(subject: Subject, investigator: Any) -> None:
    assert connection.vendor == "postgresql"
    errors = _run_writers(2, _ae_writer(investigator, subject))
    assert not errors, errors
    records = FormRecord.objects.filter(form_code="adverse_event")
    assert records.count() == 2 * WRITES_PER_THREAD
    assert FormRecord.history.filter(form_code="adverse_event").count() == 2 * WRITES_PER_THREAD
