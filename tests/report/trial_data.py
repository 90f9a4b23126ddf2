"""A small, fixed TrialData in the shape of the dataset contract, for figure and report tests.

Eight subjects (four per cohort) and eleven screening rows, every number chosen by hand so a
test can state the expected count: see the comments beside each row.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from nakip.analysis.data import TrialData
from nakip.analysis.dictionary import columns

CUTOFF = date(2026, 6, 30)
D0 = date(2026, 1, 5)


def _frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows completed with None for every dictionary column they do not set."""
    cols = columns(name)
    for row in rows:
        unknown = set(row) - set(cols)
        assert not unknown, f"{name}: not in the dictionary: {unknown}"
    return pd.DataFrame([{c: row.get(c) for c in cols} for row in rows], columns=cols)


def _day(n: int) -> date:
    return D0 + timedelta(days=n)


def _subject(i: int, cohort: str, start: int, **values: Any) -> dict[str, Any]:
    prefix = "A" if cohort == "overt" else "B"
    row = {
        "usubjid": f"NAKIP-AML-{prefix}{i:03d}",
        "subject_number": f"{prefix}{i:03d}",
        "site": "HD",
        "cohort": cohort,
        "screening_number": f"S{prefix}{i:03d}",
        "consent_date": _day(start - 7),
        "enrolment_date": _day(start),
        "treatment_start_date": _day(start),
        "first_nk_date": _day(start + 7),
        "nk_infusions": 2,
        "enrolled_fl": True,
        "treated_fl": True,
        "response_evaluable_fl": True,
        "dlt_evaluable_fl": True,
        "has_dlt": False,
        "feasibility_failure": False,
        "locked": False,
        "data_cutoff": CUTOFF,
        "disposition": "ongoing",
        "last_known_alive_date": CUTOFF,
    }
    row.update(values)
    return row


# overt: A001 CR (responder by every definition); A002 CRh without count recovery (responder
# only under CR/CRh/CRi), relapsed, DLT; A003 PD, died; A004 enrolled, never treated
# (feasibility failure).
ADSL_ROWS = [
    _subject(1, "overt", 0, best_response="CR", responder=True, responder_cr=True,
             responder_cr_cri=True, responder_cr_crh_cri=True, remission_date=_day(28),
             last_assessment_date=_day(112)),
    _subject(2, "overt", 10, best_response="CRh", responder=False, responder_cr=False,
             responder_cr_cri=False, responder_cr_crh_cri=True, remission_date=_day(38),
             relapse_date=_day(100), has_dlt=True, last_assessment_date=_day(100)),
    _subject(3, "overt", 20, best_response="PD", responder=False, responder_cr=False,
             responder_cr_cri=False, responder_cr_crh_cri=False, death_date=_day(80),
             death_cause="leukaemia", disposition="died", last_known_alive_date=_day(80),
             end_of_study_date=_day(80), end_of_study_reason="death"),
    _subject(4, "overt", 30, treated_fl=False, response_evaluable_fl=False,
             dlt_evaluable_fl=False, treatment_start_date=None, first_nk_date=None,
             nk_infusions=0, feasibility_failure=True, responder=False, responder_cr=False,
             responder_cr_cri=False, responder_cr_crh_cri=False),
    # mrd: B001 responder (-2.1), B002 exactly -1.0 is not a response, B003 rising (+0.4),
    # B004 treated but not evaluable (no post-baseline MRD).
    _subject(1, "mrd", 5, best_response="MRD response", responder=True, mrd_responder=True,
             mrd_evaluable=True, mrd_negative=False, best_mrd_log10_change=-2.1,
             remission_date=_day(5)),
    _subject(2, "mrd", 15, best_response="MRD stable", responder=False, mrd_responder=False,
             mrd_evaluable=True, mrd_negative=False, best_mrd_log10_change=-1.0,
             remission_date=_day(15)),
    _subject(3, "mrd", 25, best_response="MRD progression", responder=False,
             mrd_responder=False, mrd_evaluable=True, mrd_negative=False,
             best_mrd_log10_change=0.4, remission_date=_day(25), relapse_date=_day(120)),
    _subject(4, "mrd", 35, response_evaluable_fl=False, responder=False, mrd_responder=False,
             mrd_evaluable=False, remission_date=_day(35), has_dlt=True),
]  # fmt: skip


def _assessment(subject: dict[str, Any], paramcd: str, day: int, **values: Any) -> dict[str, Any]:
    keys = ("usubjid", "subject_number", "site", "cohort")
    row = {k: subject[k] for k in keys}
    start = subject["enrolment_date"]
    row.update(paramcd=paramcd, study_day=day, assessment_date=start + timedelta(days=day - 1),
               evaluable=True, response_assessment=True)  # fmt: skip
    row.update(values)
    return row


_S = {row["subject_number"]: row for row in ADSL_ROWS}
ADRS_ROWS = [
    _assessment(_S["A001"], "ELNRESP", 29, category="CR", responder=True, visit_code="C2D1"),
    _assessment(_S["A001"], "ELNRESP", 85, category="CR", responder=True, visit_code="C4D1"),
    _assessment(_S["A002"], "ELNRESP", 29, category="CRh", responder=False, visit_code="C2D1"),
    _assessment(_S["A003"], "ELNRESP", 29, category="PD", responder=False, visit_code="C2D1"),
    _assessment(_S["B001"], "MRDCHG", 29, log10_change=-0.8, responder=False, visit_code="C2D1"),
    _assessment(_S["B001"], "MRDCHG", 85, log10_change=-2.1, responder=True, visit_code="C4D1"),
    _assessment(_S["B002"], "MRDCHG", 29, log10_change=-1.0, responder=False, visit_code="C2D1"),
    _assessment(_S["B003"], "MRDCHG", 29, log10_change=0.4, responder=False, visit_code="C2D1"),
    _assessment(_S["A001"], "BOR", 85, category="CR", responder=True),
]


def _tte(
    subject: dict[str, Any], paramcd: str, days: float, event: bool, reason: str, status: int = -1
) -> dict:
    keys = ("usubjid", "subject_number", "site", "cohort")
    row = {k: subject[k] for k in keys}
    origin = subject["remission_date"] if paramcd == "CIR" else subject["enrolment_date"]
    status = (1 if event else 0) if status < 0 else status
    row.update(paramcd=paramcd, origin_date=origin, days=days, event=event,
               cnsr=(0, 1, 2)[[1, 0, 2].index(status)], status=status, reason=reason,
               date=origin + timedelta(days=days))  # fmt: skip
    return row


def _os_days(subject: dict[str, Any]) -> float:
    end = subject.get("death_date") or subject["last_known_alive_date"]
    return float((end - subject["enrolment_date"]).days)


# OS overt: A003 dies on day 60, A001/A002/A004 censored at 176/166/146 days (S = 0.75 after
# day 60, median not reached). EFS overt: A003 treatment failure (day 1), A002 relapse (day 90),
# A001 censored at its last assessment (day 112): S = 2/3 then 1/3, median 90 days (2.96
# months). EFS mrd: one relapse (B003, day 95) among four. CIR: the one relapse of B003.
ADTTE_ROWS = [
    *[
        _tte(s, "OS", _os_days(s), "death_date" in s, "death" if "death_date" in s else "alive")
        for s in ADSL_ROWS
    ],
    _tte(_S["A001"], "EFS", 112.0, False, "last response assessment"),
    _tte(_S["A002"], "EFS", 90.0, True, "relapse"),
    _tte(_S["A003"], "EFS", 1.0, True, "treatment failure"),
    _tte(_S["B001"], "EFS", 120.0, False, "last response assessment"),
    _tte(_S["B002"], "EFS", 100.0, False, "last response assessment"),
    _tte(_S["B003"], "EFS", 95.0, True, "relapse"),
    _tte(_S["B004"], "EFS", 60.0, False, "last response assessment"),
    _tte(_S["A001"], "CIR", 84.0, False, "last examined"),
    _tte(_S["B001"], "CIR", 115.0, False, "last examined"),
    _tte(_S["B002"], "CIR", 95.0, False, "last examined"),
    _tte(_S["B003"], "CIR", 95.0, True, "relapse"),
]


def _ae(subject: dict[str, Any], record: int, term: str, grade: int, **values: Any) -> dict:
    keys = ("usubjid", "subject_number", "site", "cohort")
    row = {k: subject[k] for k in keys}
    row.update(record_id=record, source="adverse_event", term=term, grade=grade,
               onset_date=subject["enrolment_date"] + timedelta(days=10), serious=grade >= 4,
               related=True, is_dlt=False)  # fmt: skip
    row.update(values)
    return row


# Worst grade per patient and term: Neutropenia A001 g4, A002 g3, B001 g3 (two records: g2, g3);
# Nausea A001 g1, B002 g2; Cytokine release syndrome A002 g3 (DLT), B004 g2.
ADAE_ROWS = [
    _ae(_S["A001"], 1, "Neutrophil count decreased", 4),
    _ae(_S["A002"], 2, "Neutrophil count decreased", 3),
    _ae(_S["B001"], 3, "Neutrophil count decreased", 2),
    _ae(_S["B001"], 4, "Neutrophil count decreased", 3),
    _ae(_S["A001"], 5, "Nausea", 1, related=False),
    _ae(_S["B002"], 6, "Nausea", 2),
    _ae(_S["A002"], 7, "Cytokine release syndrome", 3, source="crs", is_dlt=True),
    _ae(_S["B004"], 8, "Cytokine release syndrome", 2, source="crs"),
]


def _screen(i: int, cohort: str, eligible: bool, failed: str | None, subject: str | None) -> dict:
    return {"screening_number": f"SCR{i:03d}", "site": "HD", "cohort": cohort,
            "consent_date": _day(i), "eligible": eligible, "failed_criteria": failed,
            "enrolled": subject is not None, "subject_number": subject}  # fmt: skip


# 11 screened: 8 enrolled, 2 not eligible (IN6 twice, EX3 once), 1 eligible but not enrolled.
SCREENING_ROWS = [
    *[_screen(i, s["cohort"], True, None, s["subject_number"]) for i, s in enumerate(ADSL_ROWS)],
    _screen(8, "overt", False, "IN6; EX3", None),
    _screen(9, "mrd", False, "IN6", None),
    _screen(10, "mrd", True, None, None),
]


def small_trial_data() -> TrialData:
    """The fixed synthetic trial described in this module's comments."""
    return TrialData(
        adsl=_frame("adsl", ADSL_ROWS),
        adrs=_frame("adrs", ADRS_ROWS),
        adtte=_frame("adtte", ADTTE_ROWS),
        adae=_frame("adae", ADAE_ROWS),
        screening=_frame("screening", SCREENING_ROWS),
        cutoff=CUTOFF,
    )
