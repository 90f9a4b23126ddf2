"""Audit trail: every change leaves a history row with user, time, old/new value and reason."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from nakip.edc import services
from nakip.edc.audit import audit_csv, object_history, subject_history

HAEM = {"sample_date": "2026-01-19", "anc": 0.8, "platelets": 40, "haemoglobin": 9.1,
        "pb_blasts_pct": 2}  # fmt: skip


def test_history_rows_carry_user_and_reason(subject, staff) -> None:
    nurse, inv = staff["study_nurse"], staff["investigator"]
    rec = services.create_record(nurse, subject, "haematology", HAEM, "C1D8").record
    services.update_record(inv, rec, {"anc": 0.9}, "lab re-issued the value", 1, partial=True)
    rows = list(rec.history.order_by("history_date", "history_id"))
    assert [(r.history_user, r.history_change_reason, r.history_type) for r in rows] == [
        (nurse, "initial entry", "+"),
        (inv, "lab re-issued the value", "~"),
    ]
    assert [r.values["anc"] for r in rows] == [0.8, 0.9]


def test_object_history_diffs_form_values(subject, staff) -> None:
    nurse = staff["study_nurse"]
    rec = services.create_record(nurse, subject, "haematology", HAEM, "C1D8").record
    services.update_record(nurse, rec, {"anc": 0.9, "wbc": 2.0}, "correction", 1, partial=True)
    entries = object_history(rec)
    assert [e.action for e in entries] == ["created", "changed"]
    changed = {c.field: (c.old, c.new) for c in entries[1].changes}
    assert changed["values.anc"] == (0.8, 0.9)
    assert changed["values.wbc"] == (None, 2.0)
    assert changed["version"] == (1, 2)
    assert "values.platelets" not in changed
    assert entries[1].user == nurse.username and entries[1].reason == "correction"


def test_csv_export_one_line_per_changed_field(subject, staff) -> None:
    nurse = staff["study_nurse"]
    rec = services.create_record(nurse, subject, "haematology", HAEM, "C1D8").record
    services.update_record(nurse, rec, {"anc": 0.95}, "typo", 1, partial=True)
    rows = list(csv.DictReader(io.StringIO(audit_csv(subject_history(subject)))))
    anc = [r for r in rows if r["model"] == "formrecord" and r["field_code"] == "values.anc"]
    assert [(r["old"], r["new"], r["reason"]) for r in anc] == [
        ("", "0.8", "initial entry"),
        ("0.8", "0.95", "typo"),
    ]
    assert {r["model"] for r in rows} >= {"screeningrecord", "subject", "formrecord"}


def test_queries_signatures_and_locks_are_audited(subject, staff) -> None:
    from .conftest import PASSWORD

    inv, dm = staff["investigator"], staff["data_manager"]
    rec = services.create_record(inv, subject, "haematology", HAEM, "C1D8").record
    q = services.raise_query(dm, rec, "anc", "check")
    services.answer_query(inv, q, "ok")
    services.close_query(dm, q)
    services.sign_casebook(inv, subject, PASSWORD)
    services.lock_subject(dm, subject, "interim analysis")
    services.unlock_subject(dm, subject, "late correction")
    reasons = [(e.model, e.reason) for e in subject_history(subject)]
    for expected in [
        ("query", "query answered"),
        ("signature", "casebook signed"),
        ("lock", "interim analysis"),
        ("lock", "late correction"),
    ]:
        assert expected in reasons


def test_csv_in_local_time_with_protocol_labels_and_codes(subject, staff, settings) -> None:
    """The CSV shows what the audit page shows: the trial's local time (settings.TIME_ZONE) and
    the protocol's field labels; the UTC instant and the stored field path stay for machines."""
    settings.TIME_ZONE = "Europe/Berlin"
    nurse = staff["study_nurse"]
    rec = services.create_record(nurse, subject, "haematology", HAEM, "C1D8").record
    services.update_record(nurse, rec, {"anc": 0.95}, "typo", 1, partial=True)
    rows = list(csv.DictReader(io.StringIO(audit_csv(object_history(rec)))))
    anc = [r for r in rows if r["field_code"] == "values.anc"]
    assert [r["field"] for r in anc] == ["Absolute neutrophil count"] * 2
    version = next(r for r in rows if r["field_code"] == "version")
    assert version["field"] == "version"  # a model column: its name in words
    for r in rows:
        utc = datetime.fromisoformat(r["when_utc"])
        assert utc.tzinfo is not None and utc.utcoffset().total_seconds() == 0
        local = utc.astimezone(ZoneInfo("Europe/Berlin"))
        assert r["when"] == local.strftime("%Y-%m-%d %H:%M:%S %Z")
        assert r["when"].endswith(("CET", "CEST"))  # the zone named, not +00:00
    web = services.get_protocol()
    screening_rows = list(csv.DictReader(io.StringIO(audit_csv(subject_history(subject), web))))
    assert any(r["field"] == "Bone-marrow blasts" and r["field_code"] == "values.bm_blasts_pct"
               for r in screening_rows)  # fmt: skip
