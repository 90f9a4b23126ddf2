"""`nakip db backup` / `nakip db restore` round trip (issue 11, durability): after a restore the
analysis datasets and every subject's audit trail are what they were at the backup, on SQLite
(online backup API) and on PostgreSQL (pg_dump / pg_restore)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from typer.testing import CliRunner

from nakip.cli.main import app
from nakip.edc import audit, services
from nakip.edc.datasets import DATASETS, build_dataset
from nakip.edc.models import FormRecord, Subject

from .test_api import AE, HAEM

runner = CliRunner()


def _export() -> dict[str, str]:
    """Every dataset as CSV and every subject's audit trail as CSV: what a restore must keep."""
    subjects = Subject.objects.select_related("site", "screening").order_by("subject_number")
    out = {name: build_dataset(name, subjects).to_csv() for name in DATASETS}
    for s in subjects:
        out[f"audit {s.subject_number}"] = audit.audit_csv(audit.subject_history(s))
    return out


def _casebook(enrol: Any, investigator: Any, staff: dict) -> None:
    s = enrol("overt")
    services.create_record(investigator, s, "haematology", HAEM, "C1D15")
    ae = services.create_record(investigator, s, "adverse_event", AE).record
    services.update_record(
        investigator, ae, {"ctcae_grade": 4}, "grade corrected from source", 1, partial=True
    )
    services.raise_query(staff["monitor"], ae, "term", "please give the CTCAE term")
    enrol("overt")


def _round_trip(tmp_path: Path, enrol: Any, investigator: Any, staff: dict) -> None:
    _casebook(enrol, investigator, staff)
    before = _export()
    assert "grade corrected from source" in before["audit A-001"]
    file = tmp_path / "edc.backup"
    res = runner.invoke(app, ["db", "backup", str(file)])
    assert res.exit_code == 0, res.output
    assert file.stat().st_size > 0
    res = runner.invoke(app, ["db", "backup", str(file)])  # never overwrites
    assert res.exit_code == 2 and "exists" in res.output
    # life goes on after the backup ...
    subject = Subject.objects.get(subject_number="A-001")
    services.create_record(investigator, subject, "adverse_event", {**AE, "term": "Sepsis"})
    rec = FormRecord.objects.filter(form_code="haematology").first()
    services.withdraw_record(investigator, rec, "entered twice")
    assert _export() != before
    # ... and the restore brings back exactly the state of the backup, audit trail included
    res = runner.invoke(app, ["db", "restore", str(file), "--yes"])
    assert res.exit_code == 0, res.output
    assert _export() == before


@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_and_restore_round_trip(
    tmp_path: Path, enrol: Any, investigator: Any, staff: dict
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite round trip runs in the SQLite pass")
    _round_trip(tmp_path, enrol, investigator, staff)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_backup_and_restore_round_trip(
    tmp_path: Path, enrol: Any, investigator: Any, staff: dict
) -> None:
    assert connection.vendor == "postgresql"
    _round_trip(tmp_path, enrol, investigator, staff)


@pytest.mark.django_db
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    res = runner.invoke(app, ["db", "restore", str(bogus), "--yes"])
    assert res.exit_code == 2 and "is not a" in res.output
    res = runner.invoke(app, ["db", "restore", str(tmp_path / "missing.db"), "--yes"])
    assert res.exit_code == 2 and "no such file" in res.output
    res = runner.invoke(app, ["db", "restore", str(bogus)], input="n\n")
    assert res.exit_code == 2 and "cancelled" in res.output
