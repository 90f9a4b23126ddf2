"""The suite really runs on PostgreSQL when NAKIP_DATABASE_URL points at one."""

from __future__ import annotations

import os

import pytest
from django.db import connection


@pytest.mark.postgres
@pytest.mark.django_db
def test_connection_is_postgresql() -> None:
    url = os.environ.get("NAKIP_DATABASE_URL", "")
    assert url.startswith(("postgres://", "postgresql://")), (
        "NAKIP_REQUIRE_POSTGRES=1 but NAKIP_DATABASE_URL is not a postgresql:// URL"
    )
    assert connection.vendor == "postgresql"
    with connection.cursor() as cur:
        cur.execute("select 1")
        assert cur.fetchone() == (1,)
