"""Protocol deviations visible in the datasets: eligibility, consent, visit windows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from nakip.analysis.deviations import DeviationLog
from nakip.protocol import load_protocol
from tests.report.trial_data import small_trial_data

PROTOCOL = load_protocol()


def test_clean_data_have_no_deviation() -> None:
    log = DeviationLog(PROTOCOL).fit(small_trial_data())
    assert log.table.empty and log.counts == {}


def test_each_kind_is_found() -> None:
    data = small_trial_data()
    adsl = data.adsl.copy()
    a001 = adsl["subject_number"] == "A001"
    adsl.loc[a001, "consent_date"] = date(2026, 1, 6)  # treatment started 2026-01-05
    adrs = data.adrs.copy()
    # C2D1 is day 29 with window -3/+3: day 26 and 32 are inside, 25 and 33 outside
    rows = adrs.index[adrs["visit_code"] == "C2D1"]
    for row, day in zip(rows[:4], (26, 32, 25, 33), strict=True):
        adrs.loc[row, "study_day"] = day
        adrs.loc[row, "assessment_date"] += timedelta(days=day - 29)
    scr = data.screening.copy()
    scr.loc[scr["subject_number"] == "B003", ["eligible", "failed_criteria"]] = (False, "IN5")
    log = DeviationLog(PROTOCOL).fit(replace(data, adsl=adsl, adrs=adrs, screening=scr))
    assert log.counts == {"visit window": 2, "consent": 1, "eligibility": 1}
    window = log.table[log.table["category"] == "visit window"]["description"].tolist()
    assert any("study day 25" in d for d in window) and any("study day 33" in d for d in window)
    elig = log.table[log.table["category"] == "eligibility"].iloc[0]
    assert elig["usubjid"] == "NAKIP-AML-B003" and "IN5" in elig["description"]


def _addv(data, rows):  # type: ignore[no-untyped-def]
    import pandas as pd

    from nakip.analysis.data import TrialData
    from nakip.analysis.dictionary import columns

    frame = pd.DataFrame(rows, columns=columns("addv"))
    return TrialData(**{**data.frames(), "addv": frame}, cutoff=data.cutoff)


def test_recorded_deviations_join_the_found_ones_and_a_late_visit_is_listed_once() -> None:
    data = small_trial_data()
    adrs = data.adrs.copy()
    c2d1 = adrs.index[adrs["visit_code"] == "C2D1"]
    adrs.loc[c2d1[0], "study_day"] = 34  # outside the C2D1 window
    adrs.loc[c2d1[0], "assessment_date"] += timedelta(days=5)
    late = adrs.loc[c2d1[0]]
    key = {"usubjid": late["usubjid"], "subject_number": late["subject_number"],
           "site": "S01", "cohort": late["cohort"]}  # fmt: skip
    data = _addv(replace(data, adrs=adrs), [
        {**key, "record_id": 7, "deviation_date": date(2026, 2, 8), "study_day": 34,
         "category": "late_visit", "severity": "minor", "visit_code": "C2D1",
         "description": "C2D1 five days late", "corrective_action": "reminders"},
        {**key, "record_id": 8, "deviation_date": date(2026, 1, 20), "study_day": 15,
         "category": "missed_dose", "severity": "major", "visit_code": "",
         "description": "talazoparib not taken for 3 days", "corrective_action": "diary"},
    ])  # fmt: skip
    log = DeviationLog(PROTOCOL).fit(data)
    assert log.counts == {"late visit": 1, "missed dose": 1}  # the window finding is not repeated
    assert log.severity_counts == {"minor": 1, "major": 1}
    assert set(log.table["source"]) == {"form"}
    assert not log.table.isna().any().any()  # no NaN cell in the DSMB table
