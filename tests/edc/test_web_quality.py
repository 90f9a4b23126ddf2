"""The data-quality dashboard: who sees it (role, own and other site, anonymous), the figures
per site (SDV progress, queries by age at every band edge, forms pending, time to entry) and
queries per page independent of the number of subjects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nakip.edc import services
from nakip.edc.data_quality import AGE_BANDS, EntryLag, age_band, site_quality
from nakip.edc.models import Query, Site, Subject
from nakip.edc.subject_overview import load_overviews
from tests.edc.conftest import client_for
from tests.edc.trial_fixture import HAEM

pytestmark = pytest.mark.django_db


def test_quality_needs_login() -> None:
    r = Client().get("/quality/")
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("role", ("investigator", "study_nurse", "statistician", "dsmb", "admin"))
def test_quality_is_for_monitors_and_data_managers(role: str, staff: dict[str, Any]) -> None:
    assert client_for(staff[role]).get("/quality/").status_code == 403


@pytest.mark.parametrize("role", ("monitor", "data_manager"))
def test_quality_shows_own_site_only(role: str, staff: dict[str, Any], site_b: Site) -> None:
    r = client_for(staff[role]).get("/quality/")
    assert r.status_code == 200
    page = r.content.decode()
    assert 'id="site-S01"' in page and 'id="site-S02"' not in page


@pytest.mark.parametrize(
    ("days", "band"), [(-1, 0), (0, 0), (7, 0), (8, 1), (14, 1), (15, 2), (30, 2), (31, 3)]
)
def test_age_band_edges(days: int, band: int) -> None:
    assert age_band(days) == band
    assert len(AGE_BANDS) == 4


def test_entry_lag_summary() -> None:
    lag = EntryLag.of([0, 2, 4, 10])
    # numpy.percentile([0, 2, 4, 10], 90) with linear interpolation: 4 + 0.7 * 6 = 8.2
    assert (lag.n, lag.median, lag.maximum) == (4, 3.0, 10)
    assert lag.p90 == pytest.approx(8.2)
    assert EntryLag.of([]) == EntryLag(0, None, None, None)


def test_site_figures(staff: dict[str, Any], subject: Subject, site_a: Site) -> None:
    inv, monitor = staff["investigator"], staff["monitor"]
    a = services.create_record(inv, subject, "haematology", HAEM, "C1D1").record
    services.create_record(
        inv, subject, "haematology", {**HAEM, "sample_date": "2026-01-19"}, "C1D8"
    )
    services.mark_sdv(monitor, a)
    old = services.raise_query(monitor, a, "anc", "Please check the ANC")
    services.raise_query(monitor, a, "platelets", "Please check the platelets")
    today = timezone.localdate()
    Query.objects.filter(pk=old.pk).update(raised_at=timezone.now() - timedelta(days=20))
    protocol = services.get_protocol()
    overviews = load_overviews(Subject.objects.filter(pk=subject.pk), protocol, today)
    (fig,) = site_quality([site_a], overviews, protocol, today)
    assert (fig.records, fig.verified, fig.sdv_percent) == (2, 1, 50.0)
    n = services.unresolved_queries(subject).count()  # ours and the automatic checks' ones
    assert n >= 2 and fig.queries_by_age == (n - 1, 0, 1, 0) and fig.unresolved_queries == n
    entered = today
    expected = sorted([(entered - date(2026, 1, 12)).days, (entered - date(2026, 1, 19)).days])
    assert fig.entry_lag.n == 2 and fig.entry_lag.maximum == expected[1]
    # every visit of the schedule is overdue by now (day 1 was 2026-01-12); C1D1 and C1D8
    # still miss their other expected forms
    visits = overviews[0].visits
    assert fig.overdue_visits == sum(v.status == "overdue" for v in visits) > 0
    assert fig.forms_pending == sum(
        len(v.forms_missing) for v in visits if v.status in ("due", "overdue")
    )
    page = client_for(monitor).get("/quality/").content.decode()
    assert "<strong>1</strong> of 2 forms verified (50 %)" in page
    assert "1 subject<" in page


def test_quality_queries_do_not_grow(
    staff: dict[str, Any],
    enrol: Callable[..., Subject],
    django_assert_max_num_queries: Any,
) -> None:
    inv, c = staff["investigator"], client_for(staff["data_manager"])
    services.create_record(inv, enrol("overt"), "haematology", HAEM, "C1D1")
    with CaptureQueriesContext(connection) as ctx:
        assert c.get("/quality/").status_code == 200
    for _ in range(14):
        services.create_record(inv, enrol("overt"), "haematology", HAEM, "C1D1")
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        c.get("/quality/")
