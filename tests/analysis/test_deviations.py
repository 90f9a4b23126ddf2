"""Protocol deviations visible in the datasets: eligibility, consent, visit windows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

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
    adrs.loc[rows[0], "study_day"] = 26
    adrs.loc[rows[1], "study_day"] = 32
    adrs.loc[rows[2], "study_day"] = 25
    adrs.loc[rows[3], "study_day"] = 33
    scr = data.screening.copy()
    scr.loc[scr["subject_number"] == "B003", ["eligible", "failed_criteria"]] = (False, "IN5")
    log = DeviationLog(PROTOCOL).fit(replace(data, adsl=adsl, adrs=adrs, screening=scr))
    assert log.counts == {"visit window": 2, "consent": 1, "eligibility": 1}
    window = log.table[log.table["category"] == "visit window"]["description"].tolist()
    assert any("study day 25" in d for d in window) and any("study day 33" in d for d in window)
    elig = log.table[log.table["category"] == "eligibility"].iloc[0]
    assert elig["usubjid"] == "NAKIP-AML-B003" and "IN5" in elig["description"]
