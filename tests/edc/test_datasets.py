"""Analysis datasets from a small EDC trial: ADSL flags, ADRS, ADTTE rows, ADAE, ADLB, the
screening log, the data cut-off and the number of queries of a build."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nakip.analysis.dictionary import columns
from nakip.edc import services
from nakip.edc.datasets import CutoffError, build_dataset, build_trial_data
from nakip.edc.models import Subject
from tests.edc.conftest import DAY1
from tests.edc.trial_fixture import HAEM


def _by(frame: Any, **match: Any) -> list[dict[str, Any]]:
    rows = frame.to_dict("records")
    return [r for r in rows if all(r[k] == v for k, v in match.items())]


def test_adsl_flags_and_dates(trial: dict[str, Subject]) -> None:
    data = build_trial_data(cutoff=date(2026, 4, 1))
    assert list(data.adsl.columns) == columns("adsl")
    a1, a2, b1 = (_by(data.adsl, subject_number=n)[0] for n in ("A-001", "A-002", "B-001"))
    assert a1["usubjid"] == "NAKIP-AML-A-001" and a1["site"] == "S01"
    assert (a1["enrolment_date"], a1["treatment_start_date"]) == (DAY1, DAY1)
    assert a1["first_nk_date"] == date(2026, 1, 19) and a1["nk_infusions"] == 1
    assert a1["treated_fl"] and a1["response_evaluable_fl"] and a1["enrolled_fl"]
    # the 28-day DLT window from the infusion is over by 2026-04-01, and a DLT occurred
    assert a1["dlt_evaluable_fl"] and a1["has_dlt"]
    assert a1["best_response"] == "CR" and a1["responder"] is True
    assert (a1["responder_cr"], a1["responder_cr_cri"], a1["responder_cr_crh_cri"]) == (
        True, True, True,
    )  # fmt: skip
    assert a1["remission_date"] == date(2026, 2, 9) and a1["disposition"] == "ongoing"
    assert a1["last_assessment_date"] == date(2026, 2, 9)
    assert a1["data_cutoff"] == date(2026, 4, 1) and a1["locked"] is False
    # no treatment form, no assessment, died
    assert not a2["treated_fl"] and not a2["response_evaluable_fl"]
    assert not a2["dlt_evaluable_fl"]  # the DLT window never started
    assert a2["responder"] is None and a2["best_response"] is None
    assert a2["death_date"] == date(2026, 2, 20) and a2["disposition"] == "died"
    # B-001: MRD 1.0 -> 0.05 is log10 -1.301 (ELN-MRD 2021: a decrease of more than 1 log10)
    assert b1["cohort"] == "mrd" and b1["mrd_responder"] is True and b1["responder"] is True
    assert b1["best_mrd_log10_change"] == pytest.approx(-1.30103, abs=1e-5)
    assert b1["best_response"] == "> 1 log10 decrease" and b1["mrd_evaluable"] is True
    assert b1["responder_cr"] is None  # the overt definitions do not apply


def test_adrs_assessments_and_best_response(trial: dict[str, Subject]) -> None:
    adrs = build_trial_data().adrs
    eln = _by(adrs, subject_number="A-001", paramcd="ELNRESP")
    assert [(r["visit_code"], r["category"], r["study_day"], r["responder"]) for r in eln] == [
        ("C2D1", "CR", 29, True)  # C2D1 2026-02-09 is day 29 from day 1 = 2026-01-12
    ]
    bor = _by(adrs, subject_number="A-001", paramcd="BOR")[0]
    assert (bor["category"], bor["assessment_date"], bor["evaluable"]) == (
        "CR", date(2026, 2, 9), True,
    )  # fmt: skip
    mrd = _by(adrs, subject_number="B-001", paramcd="MRDCHG")
    assert [(r["visit_code"], round(r["log10_change"], 5), r["responder"]) for r in mrd] == [
        ("C2D1", -1.30103, True)
    ]
    assert _by(adrs, subject_number="A-002", paramcd="BOR")[0]["evaluable"] is False


def test_adtte_rows_per_endpoint(trial: dict[str, Subject]) -> None:
    adtte = build_trial_data(cutoff=date(2026, 4, 1)).adtte
    assert [r["paramcd"] for r in _by(adtte, subject_number="A-001")] == [
        "OS", "EFS", "RFS", "CIR", "CID",
    ]  # fmt: skip
    os2 = _by(adtte, subject_number="A-002", paramcd="OS")[0]
    # OS event at death: days = (2026-02-20 - 2026-01-12) = 39, CNSR 0
    assert (os2["event"], os2["date"], os2["days"], os2["cnsr"], os2["status"]) == (
        True, date(2026, 2, 20), 39.0, 0, 1,
    )  # fmt: skip
    efs2 = _by(adtte, subject_number="A-002", paramcd="EFS")[0]
    # ELN 2022: death before the landmark without an assessment is an EFS event at day 1
    assert efs2["event"] and efs2["days"] == 1 and efs2["date"] == DAY1
    efs1 = _by(adtte, subject_number="A-001", paramcd="EFS")[0]
    # a responder without relapse or death: censored at the last response assessment
    assert (efs1["event"], efs1["date"], efs1["cnsr"]) == (False, date(2026, 2, 9), 1)
    cir = _by(adtte, subject_number="A-001", paramcd="CIR")[0]
    assert (cir["origin_date"], cir["status"], cir["cnsr"]) == (date(2026, 2, 9), 0, 1)
    # A-002 died without remission: no RFS/CIR/CID; a death in remission would be CIR status 2
    assert [r["paramcd"] for r in _by(adtte, subject_number="A-002")] == ["OS", "EFS"]
    assert not _by(adtte, subject_number="A-002", paramcd="RFS")  # never in remission


def test_adae_events_and_syndromes(trial: dict[str, Subject]) -> None:
    adae = build_trial_data().adae
    ae = _by(adae, subject_number="A-001", source="adverse_event")[0]
    assert (ae["term"], ae["grade"], ae["serious"], ae["related"]) == (
        "Pneumonitis", 3, True, True,
    )  # fmt: skip
    # grade 3 non-haematological, possibly related, inside the window from the infusion: DLT
    assert ae["is_dlt"] is True and ae["in_dlt_window"] is True
    assert ae["onset_study_day"] == 14 and ae["resolution_date"] == date(2026, 2, 5)
    crs = _by(adae, subject_number="A-001", source="crs")[0]
    # ASTCT 2019: fever with hypotension not needing vasopressors is grade 2
    assert (crs["term"], crs["grade"], crs["onset_date"]) == (
        "Cytokine release syndrome", 2, date(2026, 1, 20),
    )  # fmt: skip


def test_adlb_grades_with_baseline(trial: dict[str, Subject]) -> None:
    adlb = build_trial_data().adlb
    anc = _by(adlb, subject_number="A-001", paramcd="anc")
    # CTCAE v5.0: ANC 0.8 is grade 3 (< 1.0 - 0.5); 1.5 at C2D1 is below grade 2's ceiling
    assert [(r["visit_code"], r["value"], r["grade"], r["baseline_grade"]) for r in anc] == [
        ("C1D1", 0.8, 3, 3), ("C2D1", 1.5, None, 3),
    ]  # fmt: skip
    assert anc[0]["unit"] == "10^9/L" and anc[0]["term"] == "neutrophil_count_decreased"


def test_screening_log(trial: dict[str, Subject]) -> None:
    log = build_trial_data().screening
    assert len(log) == 3 and log["enrolled"].tolist() == [True, True, True]
    assert set(log["subject_number"]) == {"A-001", "A-002", "B-001"}
    assert log["eligible"].tolist() == [True, True, True]


def test_cutoff_drops_later_records_and_dates(trial: dict[str, Subject]) -> None:
    data = build_trial_data(cutoff=date(2026, 1, 31))
    a1, a2 = (_by(data.adsl, subject_number=n)[0] for n in ("A-001", "A-002"))
    # the C2D1 assessment (2026-02-09) is after the cut-off: no response yet
    assert a1["best_response"] is None and not _by(data.adrs, paramcd="ELNRESP")
    # the pneumonitis began before the cut-off but resolved after it: ongoing at the cut-off
    ae = _by(data.adae, source="adverse_event")[0]
    assert ae["onset_date"] == date(2026, 1, 25) and ae["resolution_date"] is None
    # A-002's death (2026-02-20) is after the cut-off: alive and ongoing, OS censored
    assert a2["death_date"] is None and a2["disposition"] == "ongoing"
    assert not _by(data.adtte, subject_number="A-002", paramcd="OS")[0]["event"]
    assert data.cutoff == date(2026, 1, 31)


def test_adsv_visit_dates_and_missed_visits_at_the_cutoff(
    investigator: Any, trial: dict[str, Subject]
) -> None:
    """ADSV: a row per dated record (its form's first date field) and per visit declared
    missed; the cut-off drops later records and the missed visits whose window opens later."""
    a1 = trial["A-001"]
    services.mark_visit_missed(investigator, a1, "C1D15", "patient unwell")  # opens 2026-01-24
    services.mark_visit_missed(investigator, a1, "C3D1", "travel")  # opens 2026-03-06
    full = build_trial_data().adsv
    assert list(full.columns) == columns("adsv")
    dated = _by(full, subject_number="A-001", missed=False)
    assert all(r["visit_date"] is not None and r["form_code"] for r in dated)
    assert {r["form_code"] for r in dated} >= {"haematology", "nk_infusion"}
    assert ("C2D1", date(2026, 2, 9), 29) in {
        (r["visit_code"], r["visit_date"], r["study_day"]) for r in dated
    }
    missed = _by(full, subject_number="A-001", missed=True)
    assert [(r["visit_code"], r["missed_reason"], r["record_id"]) for r in missed] == [
        ("C1D15", "patient unwell", None), ("C3D1", "travel", None),
    ]  # fmt: skip
    cut = build_trial_data(cutoff=date(2026, 1, 31)).adsv
    assert max(cut["visit_date"].dropna()) <= date(2026, 1, 31)
    assert len(_by(cut, missed=False)) < len(_by(full, missed=False))
    assert [r["visit_code"] for r in _by(cut, subject_number="A-001", missed=True)] == ["C1D15"]


def test_cutoff_on_the_enrolment_day_keeps_the_subjects(trial: dict[str, Subject]) -> None:
    assert len(build_trial_data(cutoff=DAY1).adsl) == 3


def test_cutoff_before_first_enrolment_is_an_error(trial: dict[str, Subject]) -> None:
    with pytest.raises(CutoffError, match="before the first enrolment \\(2026-01-12\\)"):
        build_trial_data(cutoff=date(2026, 1, 11))


def test_empty_trial_gives_empty_datasets(db: None) -> None:
    data = build_trial_data(cutoff=date(2026, 1, 1))
    assert all(len(f) == 0 for f in data.frames().values())


def test_queries_do_not_grow_with_subjects(
    enrol: Any, investigator: Any, trial: dict[str, Subject]
) -> None:
    with CaptureQueriesContext(connection) as few:
        build_trial_data()
    for _ in range(4):
        s = enrol("overt")
        services.create_record(investigator, s, "haematology", dict(HAEM), "C1D1")
    with CaptureQueriesContext(connection) as more:
        data = build_trial_data()
    assert len(data.adsl) == 7
    assert len(more.captured_queries) == len(few.captured_queries)


def test_queries_do_not_grow_with_serious_adverse_events(
    enrol: Any, investigator: Any, trial: dict[str, Subject]
) -> None:
    """ADSAE reads each record's subject and site: they come with the snapshot, not a query."""
    from tests.edc.trial_fixture import AE

    with CaptureQueriesContext(connection) as few:
        build_trial_data()
    for _ in range(3):
        services.create_record(investigator, enrol("overt"), "adverse_event", dict(AE))
    with CaptureQueriesContext(connection) as more:
        data = build_trial_data()
    assert len(data.adsae) == 4
    assert len(more.captured_queries) == len(few.captured_queries)


def test_api_datasets_are_views_of_the_trial_data(trial: dict[str, Subject]) -> None:
    subjects = Subject.objects.all()
    first_api = {r["subject_number"]: r for r in build_dataset("subjects", subjects).rows}
    assert first_api["A-002"]["os_days"] == 39 and first_api["A-002"]["os_event"] is True
    assert (
        first_api["A-001"]["eln_responder"] is True and first_api["B-001"]["eln_responder"] is None
    )
    adsl = build_dataset("adsl", subjects)
    assert adsl.columns == tuple(columns("adsl")) and len(adsl.rows) == 3
    assert adsl.rows[0]["enrolment_date"] == "2026-01-12"  # JSON: ISO dates


def test_api_serves_analysis_datasets_at_a_cutoff(
    trial: dict[str, Subject], staff: dict[str, Any], site_b: Any, make_user: Any
) -> None:
    from rest_framework.test import APIClient

    from tests.edc.conftest import CONSENT, screening_values

    other = make_user("investigator", site_b)
    services.create_screening(other, site_b, CONSENT, screening_values("overt"))  # S02-S001
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {services.api_token(None, staff['data_manager'])}")
    body = api.get("/api/datasets/adsl/?cutoff=2026-01-31").json()
    assert body["columns"] == columns("adsl") and len(body["rows"]) == 3
    assert {r["data_cutoff"] for r in body["rows"]} == {"2026-01-31"}
    log = api.get("/api/datasets/screening/").json()["rows"]
    assert {r["site"] for r in log} == {"S01"}  # the S01 data manager does not see S02
    r = api.get("/api/datasets/adsl/?cutoff=31.01.2026")
    assert r.status_code == 400 and list(r.json()["fields"]) == ["cutoff"]
    r = api.get("/api/datasets/adtte/?cutoff=2025-12-31&format=csv")
    assert r.status_code == 400 and "before the first enrolment" in r.json()["fields"]["cutoff"][0]


def test_queries_do_not_grow_for_a_given_list_of_subjects(
    enrol: Any, investigator: Any, trial: dict[str, Subject]
) -> None:
    with CaptureQueriesContext(connection) as few:
        build_trial_data(subjects=list(Subject.objects.all()))
    for _ in range(3):
        enrol("mrd")
    with CaptureQueriesContext(connection) as more:
        data = build_trial_data(subjects=list(Subject.objects.all()))
    assert len(data.adsl) == len(data.screening) == 6
    # the listing query of the test itself is outside the capture
    assert len(more.captured_queries) == len(few.captured_queries)


def _cr_subject(enrol: Any, user: Any) -> Subject:
    """An overt subject with baseline 12 % marrow blasts and a CR at C2D1 (2026-02-09)."""
    s = enrol("overt")
    add = services.create_record
    for visit, day, bm, anc, plt, pb in (("C1D1", "2026-01-12", 12, 0.8, 40, 2),
                                         ("C2D1", "2026-02-09", 2, 1.5, 150, 0)):  # fmt: skip
        add(user, s, "marrow", {"aspirate_date": day, "evaluable": True, "bm_blasts_pct": bm},
            visit)  # fmt: skip
        add(user, s, "emd", {"assessment_date": day, "emd_present": False}, visit)
        add(user, s, "haematology", {**HAEM, "sample_date": day, "anc": anc, "platelets": plt,
                                     "pb_blasts_pct": pb}, visit)  # fmt: skip
    return s


def test_death_in_remission_is_competing_for_cir(enrol: Any, investigator: Any) -> None:
    s = _cr_subject(enrol, investigator)
    services.create_record(investigator, s, "end_of_study", {
        "end_date": "2026-03-20", "reason": "death", "death_date": "2026-03-15"})  # fmt: skip
    rows = {r["paramcd"]: r for r in build_trial_data().adtte.to_dict("records")}
    # ELN 2022 / docs/clinical-rules.md: death without relapse is CIR's competing event and
    # CID's event of interest; RFS counts it as an event; days from the remission 2026-02-09
    assert (rows["CIR"]["status"], rows["CIR"]["cnsr"], rows["CIR"]["event"]) == (2, 2, False)
    assert (rows["CID"]["status"], rows["CID"]["cnsr"], rows["CID"]["event"]) == (1, 0, True)
    assert rows["RFS"]["event"] and rows["RFS"]["days"] == 34  # 2026-02-09 -> 2026-03-15


def test_dlt_evaluable_once_the_window_is_over(enrol: Any, investigator: Any) -> None:
    from nakip.edc.derivations import derive_subject
    from tests.edc.trial_fixture import NK, TALA

    s = enrol("overt")
    services.create_record(investigator, s, "talazoparib", TALA, "C1D1")
    services.create_record(investigator, s, "nk_infusion", NK, "C1D8")
    end = derive_subject(s).dlt_window_end
    assert end is not None
    flag = [build_trial_data(cutoff=end + timedelta(days=k)).adsl["dlt_evaluable_fl"][0]
            for k in (0, 1)]  # fmt: skip
    assert flag == [False, True]  # no DLT: evaluable only after the last day of the window
