"""The per-subject cache of derived values never serves a stale value: a save, a correction
and a withdrawal each change what the next read shows (SQLite and PostgreSQL), also when the
write came from another connection or skipped the services (no signal, no version bump)."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from django.db import connection, connections

from nakip.edc import derived_cache, services
from nakip.edc.derivations import derive_subject
from nakip.edc.models import FormRecord, Subject
from tests.edc.conftest import client_for

AE = {
    "term": "Pneumonitis", "ctcae_grade": 2, "onset_date": "2026-01-25", "serious": False,
    "attribution_talazoparib": "unlikely", "attribution_nk": "possible",
    "category": "nonhematologic", "outcome": "recovering",
}  # fmt: skip


def _anc_grades(subject: Subject) -> list[int | None]:
    return [g.grade for g in derive_subject(subject).lab_grades if g.field == "anc"]


def _ae_section(user: Any, subject: Subject) -> str:
    """The casebook's derived adverse-event table (its own section of the page)."""
    page = client_for(user).get(f"/subjects/{subject.subject_number}/")
    assert page.status_code == 200
    found = re.search(r'id="adverse-events">(.*?)</section>', page.content.decode(), re.S)
    assert found is not None
    return found.group(1)


def _save_correct_withdraw(subject: Subject, investigator: Any) -> None:
    """Each write changes the next read, and an unchanged subject is served from the cache."""
    derived_cache.clear()
    assert _anc_grades(subject) == []
    haem = {
        "sample_date": "2026-01-12",
        "anc": 0.4,
        "platelets": 150,
        "haemoglobin": 12,
        "pb_blasts_pct": 0,
    }
    rec = services.create_record(investigator, subject, "haematology", haem, "C1D1").record
    assert _anc_grades(subject) == [4]  # CTCAE v5.0: ANC < 0.5 x 10^9/L is grade 4
    hits = derived_cache.stats.hits
    assert _anc_grades(subject) == [4]
    assert derived_cache.stats.hits == hits + 1  # unchanged data: kept
    services.update_record(investigator, rec, {"anc": 1.2}, "lab re-issued", 1, partial=True)
    assert _anc_grades(subject) == [2]  # < 1.5 - 1.0: grade 2
    services.withdraw_record(investigator, FormRecord.objects.get(pk=rec.pk), "wrong patient")
    assert _anc_grades(subject) == []


def _page_follows_writes(subject: Subject, investigator: Any) -> None:
    """The casebook page shows the new derived AE grade after a correction, none after a
    withdrawal (each page read right after the write)."""
    rec = services.create_record(investigator, subject, "adverse_event", AE).record
    assert re.search(r'<td class="num">2</td>', _ae_section(investigator, subject))
    _ae_section(investigator, subject)  # read again: served from the cache
    services.update_record(investigator, rec, {"ctcae_grade": 3}, "re-graded", 1, partial=True)
    section = _ae_section(investigator, subject)
    assert re.search(r'<td class="num">3</td>', section)
    assert not re.search(r'<td class="num">2</td>', section)
    services.withdraw_record(investigator, FormRecord.objects.get(pk=rec.pk), "duplicate")
    assert "No adverse events." in _ae_section(investigator, subject)


def test_save_correct_withdraw_change_the_next_read(subject: Subject, investigator: Any) -> None:
    _save_correct_withdraw(subject, investigator)


def test_casebook_page_follows_every_write(subject: Subject, investigator: Any) -> None:
    _page_follows_writes(subject, investigator)


def test_a_write_that_skips_the_services_is_seen(subject: Subject, investigator: Any) -> None:
    """A raw UPDATE (no signal, no version bump: a migration, another tool) changes the key."""
    haem = {
        "sample_date": "2026-01-12",
        "anc": 0.4,
        "platelets": 150,
        "haemoglobin": 12,
        "pb_blasts_pct": 0,
    }
    rec = services.create_record(investigator, subject, "haematology", haem, "C1D1").record
    assert _anc_grades(subject) == [4]
    FormRecord.objects.filter(pk=rec.pk).update(values={**haem, "anc": 0.8})
    assert _anc_grades(subject) == [3]  # CTCAE v5.0: < 1.0 - 0.5 x 10^9/L is grade 3


def test_screening_values_are_an_input(subject: Subject, investigator: Any) -> None:
    """Baseline marrow blasts fall back to the screening values: changing them is a new key."""
    services.create_record(
        investigator, subject, "haematology",
        {"sample_date": "2026-02-09", "anc": 1.5, "platelets": 150, "haemoglobin": 12,
         "pb_blasts_pct": 0}, "C2D1",
    )  # fmt: skip
    services.create_record(
        investigator, subject, "marrow",
        {"aspirate_date": "2026-02-09", "evaluable": True, "bm_blasts_pct": 7}, "C2D1",
    )  # fmt: skip
    subject = Subject.objects.select_related("screening").get(pk=subject.pk)
    assert derive_subject(subject).responses[0].category == "SD"  # 7 > half of 12 (ELN 2022)
    scr = subject.screening
    scr.values = {**scr.values, "bm_blasts_pct": 20}
    scr.save(update_fields=["values"])
    subject = Subject.objects.select_related("screening").get(pk=subject.pk)
    assert derive_subject(subject).responses[0].category == "PR"  # 7 <= half of 20, 5-25 %


@pytest.mark.django_db(transaction=True)
def test_a_write_from_another_connection_is_seen(subject: Subject, investigator: Any) -> None:
    """Another worker's write (its own thread and database connection) is seen by the next
    read here, although this process kept the earlier derivation."""
    haem = {
        "sample_date": "2026-01-12",
        "anc": 0.4,
        "platelets": 150,
        "haemoglobin": 12,
        "pb_blasts_pct": 0,
    }
    rec = services.create_record(investigator, subject, "haematology", haem, "C1D1").record
    assert _anc_grades(subject) == [4]
    failures: list[BaseException] = []

    def other_worker() -> None:
        try:
            record = FormRecord.objects.get(pk=rec.pk)
            services.update_record(investigator, record, {"anc": 1.2}, "re-issued", 1, True)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)
        finally:
            connections.close_all()

    worker = threading.Thread(target=other_worker)
    worker.start()
    worker.join()
    assert not failures, failures
    assert _anc_grades(subject) == [2]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_save_correct_withdraw_on_postgresql(subject: Subject, investigator: Any) -> None:
    assert connection.vendor == "postgresql"
    _save_correct_withdraw(subject, investigator)
    _page_follows_writes(subject, investigator)


def test_a_failed_derivation_is_not_kept(subject: Subject) -> None:
    """An error is raised on every read, never turned into a kept value."""
    derived_cache.clear()
    calls = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("bad source data")

    for _ in range(2):
        with pytest.raises(ValueError, match="bad source data"):
            derived_cache.cached_derivation(subject, services.get_protocol(), [], broken)
    assert len(calls) == 2
