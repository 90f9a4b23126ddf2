"""Concurrent enrolments get distinct subject numbers (row lock on the per-cohort sequence).

PostgreSQL only: SQLite serialises writers and has no row locks to exercise.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from nakip.edc import services
from nakip.edc.models import Subject

from .conftest import CONSENT, screening_values


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_enrolments_get_unique_numbers(site_a, investigator) -> None:
    assert connection.vendor == "postgresql"
    screenings = [
        services.create_screening(investigator, site_a, CONSENT, screening_values("overt"))
        for _ in range(6)
    ]
    errors: list[BaseException] = []
    start = threading.Barrier(len(screenings))

    def enrol(scr) -> None:
        from django.db import connections

        try:
            start.wait()
            services.enrol_subject(investigator, scr, date(2026, 1, 12))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=enrol, args=(s,)) for s in screenings]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    numbers = sorted(Subject.objects.values_list("subject_number", flat=True))
    assert numbers == [f"A-{i:03d}" for i in range(1, 7)]
