"""The DSMB report's acute GVHD and SAE tables on hand-made ADAE GVHD rows and ADSAE rows: each
expected number is derived by hand in the comments (MAGIC worst grade per patient; notice on
time / late / pending as ADSAE states it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest

from nakip.analysis.dictionary import columns
from nakip.analysis.sae_reporting import SAEReporting
from nakip.protocol import load_protocol
from nakip.report.dsmb import build_dsmb_report
from nakip.report.trial_report.model import ResultsReport, Table
from tests.report.trial_data import ADAE_ROWS, ADSL_ROWS, small_trial_data

PROTOCOL = load_protocol()
_S = {r["subject_number"]: r for r in ADSL_ROWS}
_KEYS = ("usubjid", "subject_number", "site", "cohort")


def _frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = columns(name)
    return pd.DataFrame([{c: row.get(c) for c in cols} for row in rows], columns=cols)


def _gvhd(subject: str, record: int, grade: int, day: int, dlt: bool = False) -> dict:
    s = _S[subject]
    return {**{k: s[k] for k in _KEYS}, "record_id": record, "source": "gvhd",
            "term": "Acute graft versus host disease", "category": "agvhd", "grade": grade,
            "onset_date": s["enrolment_date"] + timedelta(days=day), "is_dlt": dlt}  # fmt: skip


def _sae(subject: str, record: int, hours: float | None, status: str, follow_ups: int) -> dict:
    s = _S[subject]
    notified = None if hours is None else f"2026-02-01T{8 + int(hours) % 10:02d}:00"
    return {**{k: s[k] for k in _KEYS}, "record_id": record, "term": "Sepsis", "grade": 3,
            "onset_date": date(2026, 2, 1), "criteria": "requires or prolongs hospitalisation",
            "site_aware_at": "2026-02-01T08:00", "sponsor_notified_at": notified,
            "hours_to_notice": hours, "notice_status": status,
            "notice_on_time": None if hours is None else status == "notified",
            "follow_ups": follow_ups, "outcome": "recovered"}  # fmt: skip


# GVHD: A001 grade I then II (worst II, the DLT), A002 grade I, B003 grade I. A004 is untreated.
GVHD_ROWS = [
    _gvhd("A001", 101, 1, 20),
    _gvhd("A001", 102, 2, 25, dlt=True),
    _gvhd("A002", 103, 1, 22),
    _gvhd("B003", 104, 1, 30),
]
# SAEs: A002 on time (6 h, one follow-up), A001 late (30 h), B001 still without a notice.
ADSAE_ROWS = [
    _sae("A002", 7, 6.0, "notified", 1),
    _sae("A001", 1, 30.0, "notified late", 0),
    _sae("B001", 4, None, "overdue", 0),
]
DATA = replace(
    small_trial_data(),
    adae=_frame("adae", ADAE_ROWS + GVHD_ROWS),
    adsae=_frame("adsae", ADSAE_ROWS),
)


@pytest.fixture(scope="module")
def safety() -> Any:
    report: ResultsReport = build_dsmb_report(DATA, PROTOCOL, today=date(2026, 7, 1), version="t")
    return report.section("safety")


def _row(table: Table, first: str) -> tuple[str, ...]:
    rows = [r for r in table.rows if r[0] == first]
    assert len(rows) == 1, (first, table.rows)
    return rows[0]


def test_gvhd_by_worst_magic_grade(safety: Any) -> None:
    t = safety.table("gvhd")
    # overt (3 treated): I = A002, II = A001 (its DLT); mrd (4 treated): I = B003
    assert _row(t, "overt")[1:] == ("1", "1", "0", "0", "2 (66.7%)", "1", "1")
    assert _row(t, "mrd")[1:] == ("1", "0", "0", "0", "1 (25.0%)", "0", "0")
    assert _row(t, "all")[1:] == ("2", "1", "0", "0", "3 (42.9%)", "1", "1")


def test_gvhd_rows_stay_out_of_the_adverse_event_counts(safety: Any) -> None:
    overview = safety.table("ae-overview")
    any_ae = [r for r in overview.rows if r[0] == "Any adverse event"][0]
    assert any_ae[3] == "4 (57.1%)"  # as without GVHD rows (test_results_report)


def test_sae_reporting_summary_and_listing(safety: Any) -> None:
    t = safety.table("sae-reporting")
    assert "Notice within 24 h" in t.columns
    # overt: 2 SAEs in 2 patients, 1 on time, 1 late, median of 6 and 30 h = 18.0
    assert _row(t, "overt")[1:] == ("2", "2", "1", "1", "0", "1", "18.0")
    # mrd: B001's notice is overdue: pending, no hours to take a median of
    assert _row(t, "mrd")[1:] == ("1", "1", "0", "0", "1", "0", "\u2013")
    assert _row(t, "all")[1:] == ("3", "3", "1", "1", "1", "1", "18.0")
    listing = safety.table("listing-sae")
    assert listing.total == 3
    assert listing.column("Notice") == ["notified late", "notified", "overdue"]  # by subject
    assert listing.column("Hours to notice") == ["30", "6", "\u2013"]


def test_sae_reporting_counts_an_empty_dataset() -> None:
    res = SAEReporting().fit(small_trial_data())
    assert res.summary.set_index("cohort").loc["all", "saes"] == 0
    assert res.to_dict()["summary"][-1]["median_hours"] is None
    with pytest.raises(RuntimeError):
        SAEReporting().to_dict()
