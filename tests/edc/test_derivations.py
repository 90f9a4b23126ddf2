"""Derived values end to end: records entered through the services, categories from the
published rules (ELN 2022 Table 6; ELN-MRD 2021; CTCAE v5.0; ASTCT 2019), recomputed on change."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from nakip.edc import services
from nakip.edc.derivations import derive_subject
from nakip.edc.models import FormRecord
from tests.edc.conftest import client_for


def _visit(user: Any, subject: Any, visit: str, day: str, bm: float, anc: float, plt: float,
           pb: float = 0, emd: bool = False, wbc: float | None = None,
           cellularity: float | None = None) -> None:  # fmt: skip
    marrow = {"aspirate_date": day, "evaluable": True, "bm_blasts_pct": bm}
    if cellularity is not None:
        marrow["cellularity_pct"] = cellularity
    services.create_record(user, subject, "marrow", marrow, visit)
    haem = {"sample_date": day, "anc": anc, "platelets": plt, "haemoglobin": 10,
            "pb_blasts_pct": pb}  # fmt: skip
    if wbc is not None:
        haem["wbc"] = wbc
    services.create_record(user, subject, "haematology", haem, visit)
    services.create_record(
        user, subject, "emd", {"assessment_date": day, "emd_present": emd}, visit
    )


def test_marrow_and_counts_give_cr_then_recomputed(subject, investigator) -> None:
    _visit(investigator, subject, "C1D1", "2026-01-12", bm=12, anc=0.8, plt=40, pb=2)
    _visit(investigator, subject, "C2D1", "2026-02-09", bm=2, anc=1.5, plt=150)
    d = derive_subject(subject)
    assert [(r.visit_code, r.category) for r in d.responses] == [("C2D1", "CR")]
    assert d.best_response == "CR" and d.responder is True and d.eln_responder is True
    # ANC 0.9 < 1.0 but >= 0.5 with platelets >= 50: CRh (ELN 2022)
    rec = services.records(subject, "haematology", "C2D1").get()
    services.update_record(investigator, rec, {"anc": 0.9}, "lab re-issued", 1, partial=True)
    d = derive_subject(subject)
    assert d.responses[0].category == "CRh" and d.responder is True


@pytest.mark.parametrize(
    ("bm", "anc", "plt", "pb", "category"),
    [
        (2, 1.2, 30, 0, "CRi"),  # one lineage at CR level
        (2, 0.3, 30, 0, "MLFS"),  # no recovery
        (2, 1.5, 150, 1, "SD"),  # blood blasts: not the CR family; < 5 %: not PR
        (6, 1.5, 150, 0, "PR"),  # 5-25 %, at most half of 12 %, counts at CR level
        (7, 1.5, 150, 0, "SD"),  # more than half of the baseline
        (28, 0.3, 30, 0, "PD"),  # +16 points and > 50 % rise from 12 %
        (26, 0.3, 30, 0, "SD"),  # +14 points: below the 15-point rule
    ],
)
def test_categories_at_c2d1(subject, investigator, bm, anc, plt, pb, category) -> None:
    _visit(investigator, subject, "C1D1", "2026-01-12", bm=12, anc=0.8, plt=40, pb=2)
    _visit(investigator, subject, "C2D1", "2026-02-09", bm=bm, anc=anc, plt=plt, pb=pb)
    assert derive_subject(subject).responses[0].category == category


def test_best_response_over_visits(subject, investigator) -> None:
    _visit(investigator, subject, "C1D1", "2026-01-12", bm=12, anc=0.8, plt=40, pb=2)
    _visit(investigator, subject, "C2D1", "2026-02-09", bm=6, anc=1.5, plt=150)
    _visit(investigator, subject, "C4D1", "2026-04-06", bm=2, anc=1.2, plt=30)
    d = derive_subject(subject)
    assert [r.category for r in d.responses] == ["PR", "CRi"]
    assert d.best_response == "CRi" and d.responder is True


def test_withdrawn_record_leaves_the_derivation(subject, investigator) -> None:
    _visit(investigator, subject, "C1D1", "2026-01-12", bm=12, anc=0.8, plt=40, pb=2)
    _visit(investigator, subject, "C2D1", "2026-02-09", bm=2, anc=1.5, plt=150)
    marrow = services.records(subject, "marrow", "C2D1").get()
    services.withdraw_record(investigator, marrow, "wrong patient")
    d = derive_subject(subject)
    assert d.responses[0].category == "NE"
    assert "bm_blasts_pct" in " ".join(d.responses[0].missing) + d.responses[0].rule
    assert d.responses[0].missing == ("bm_blasts_pct",)  # the rule's input, for the datasets
    assert d.responses[0].missing_labels == ("Marrow blasts",)  # the marrow form's label
    page = client_for(investigator).get(f"/subjects/{subject.subject_number}/")
    assert '<div class="muted">missing: Marrow blasts</div>' in page.content.decode()


def test_lab_grades_ctcae(subject, investigator) -> None:
    # CTCAE v5.0: ANC 0.8 -> grade 3 (< 1.0 - 0.5); platelets 40 -> 3 (< 50 - 25);
    # ANC exactly 1.0 -> grade 2; Hb 10 g/dL with LLN 12 -> grade 1 (< LLN - 10.0).
    services.create_record(
        investigator, subject, "haematology",
        {"sample_date": "2026-01-12", "anc": 0.8, "platelets": 40, "haemoglobin": 10,
         "haemoglobin_lln": 12, "pb_blasts_pct": 0}, "C1D1",
    )  # fmt: skip
    services.create_record(
        investigator, subject, "haematology",
        {"sample_date": "2026-01-19", "anc": 1.0, "platelets": 20, "haemoglobin": 7.9,
         "pb_blasts_pct": 0}, "C1D8",
    )  # fmt: skip
    grades = {(g.visit_code, g.field): g for g in derive_subject(subject).lab_grades}
    assert grades[("C1D1", "anc")].grade == 3
    assert grades[("C1D1", "platelets")].grade == 3
    assert grades[("C1D1", "haemoglobin")].grade == 1
    assert grades[("C1D8", "anc")].grade == 2
    assert grades[("C1D8", "anc")].worsened is False
    assert grades[("C1D8", "platelets")].grade == 4 and grades[("C1D8", "platelets")].worsened
    assert grades[("C1D8", "haemoglobin")].grade == 3


def _mrd(user: Any, subject: Any, visit: str, day: str, value: float, lod: float | None = None):
    values = {"sample_date": day, "material": "bone_marrow", "assay": "qPCR",
              "marker": "NPM1 type A", "value": value, "value_unit": "percent_of_abl1"}  # fmt: skip
    if lod is not None:
        values["lod"] = lod
    services.create_record(user, subject, "mrd", values, visit)


def test_mrd_log10_change_and_responder(enrol, investigator) -> None:
    s = enrol("mrd")
    _mrd(investigator, s, "C1D1", "2026-01-12", 1.0)
    _mrd(investigator, s, "C2D1", "2026-02-09", 0.1)  # exactly -1 log10: not a responder
    d = derive_subject(s)
    assert d.mrd_baseline == 1.0
    assert d.mrd[0].log10_change == pytest.approx(-1.0)
    assert d.mrd_responder is False and d.responder is False
    _mrd(investigator, s, "C4D1", "2026-04-06", 0.05)  # log10(0.05) = -1.301
    d = derive_subject(s)
    assert d.mrd[1].log10_change == pytest.approx(-1.30103, abs=1e-5)
    assert d.mrd_responder is True and d.responder is True


def test_undetectable_mrd_uses_lod_bound(enrol, investigator) -> None:
    s = enrol("mrd")
    _mrd(investigator, s, "C1D1", "2026-01-12", 1.0)
    _mrd(investigator, s, "C2D1", "2026-02-09", 0.0, lod=0.01)
    p = derive_subject(s).mrd[0]
    assert p.is_bound and p.log10_change == pytest.approx(-2.0) and p.responder


NK = {"infusion_date": "2026-01-19", "infusion_number": 1, "given": True,
      "cell_dose_per_kg": 1e7, "viability_pct": 90, "infusion_reaction_grade": 0}  # fmt: skip


def _ae(onset: str, grade: int, term: str = "Pneumonitis", rel: str = "possible") -> dict:
    return {"term": term, "ctcae_grade": grade, "onset_date": onset, "serious": True,
            "attribution_talazoparib": rel, "attribution_nk": "unlikely",
            "category": "nonhematologic", "outcome": "recovering"}  # fmt: skip


TALA = {"period_start": "2026-01-12", "daily_dose_mg": "1.0", "interrupted": False,
        "reduced": False}  # fmt: skip


def test_dlt_flag_per_adverse_event(subject, investigator) -> None:
    """DLT window (revised): talazoparib C1D1 (2026-01-12) through 28 days after the first NK
    infusion (2026-01-19 + 28 = 2026-02-16)."""
    before = services.create_record(investigator, subject, "adverse_event", _ae("2026-01-11", 3))
    d = derive_subject(subject)
    assert d.adverse_events[0].is_dlt is None  # no study treatment yet: window not started
    services.create_record(investigator, subject, "talazoparib", TALA, "C1D1")
    early = services.create_record(investigator, subject, "adverse_event", _ae("2026-01-12", 3))
    d = derive_subject(subject)
    assert d.dlt_window_end is None  # open until the first NK infusion
    services.create_record(investigator, subject, "nk_infusion", NK, "C1D8")
    last_day = services.create_record(investigator, subject, "adverse_event", _ae("2026-02-16", 3))
    late = services.create_record(investigator, subject, "adverse_event", _ae("2026-02-17", 3))
    minor = services.create_record(investigator, subject, "adverse_event", _ae("2026-01-25", 2))
    unrelated = services.create_record(
        investigator, subject, "adverse_event", _ae("2026-01-25", 3, rel="unrelated")
    )
    d = derive_subject(subject)
    flags = {a.record_id: (a.is_dlt, a.in_window) for a in d.adverse_events}
    assert flags[before.record.pk] == (False, False)
    assert flags[early.record.pk] == (True, True)  # talazoparib-only day 1 counts
    assert flags[last_day.record.pk] == (True, True)
    assert flags[late.record.pk] == (False, False)
    assert flags[minor.record.pk] == (False, True)
    assert flags[unrelated.record.pk] == (False, True)
    assert d.has_dlt and d.dlt_window_start == date(2026, 1, 12)
    assert (d.treatment_start_date, d.first_nk_date) == (date(2026, 1, 12), date(2026, 1, 19))
    assert d.dlt_window_end == date(2026, 2, 16)
    assert d.feasibility_failure is False


def test_astct_grades_from_signs(subject, investigator) -> None:
    services.create_record(
        investigator,
        subject,
        "crs",
        {
            "onset_date": "2026-01-20",
            "assessment_date": "2026-01-21",
            "fever_c": 38.6,
            "antipyretics_or_anticytokine_given": False,
            "hypotension": "one_vasopressor",
            "hypoxia": "low_flow",
            "death_from_crs": False,
        },
    )  # fmt: skip  (ASTCT: worse of hypotension grade 3 and hypoxia grade 2 -> 3)
    services.create_record(
        investigator,
        subject,
        "icans",
        {
            "assessment_date": "2026-01-21",
            "ice_score": 5,
            "unarousable": False,
            "consciousness": "wakes_to_voice",
            "seizure": "none",
            "motor_weakness": False,
            "raised_icp": "none",
        },
    )  # fmt: skip  (ICE 3-6 -> 2; wakes to voice -> 2)
    d = derive_subject(subject)
    assert [g.grade for g in d.crs] == [3]
    assert [g.grade for g in d.icans] == [2]


def test_os_event_from_follow_up_death(subject, investigator) -> None:
    _visit(investigator, subject, "C1D1", "2026-01-12", bm=12, anc=0.8, plt=40, pb=2)
    _visit(investigator, subject, "C2D1", "2026-02-09", bm=2, anc=1.5, plt=150)
    services.create_record(
        investigator, subject, "follow_up",
        {"contact_date": "2026-09-01", "vital_status": "dead", "death_date": "2026-08-20",
         "death_cause": "leukaemia"}, "FU1",
    )  # fmt: skip
    d = derive_subject(subject)
    assert d.death_date == date(2026, 8, 20)
    tte = d.time_to_event
    assert tte is not None and tte["os_event"] is True
    assert tte["os_date"] == "2026-08-20"
    assert tte["os_days"] == (date(2026, 8, 20) - date(2026, 1, 12)).days
    assert d.to_dict()["death_date"] == "2026-08-20"


def test_os_censored_at_last_known_alive(subject, investigator) -> None:
    services.create_record(
        investigator, subject, "follow_up",
        {"contact_date": "2026-08-01", "vital_status": "alive"}, "FU1",
    )  # fmt: skip
    tte = derive_subject(subject).time_to_event
    assert tte is not None and tte["os_event"] is False and tte["os_date"] == "2026-08-01"


def test_text_that_looks_like_a_date_is_not_a_contact_date(enrol, investigator) -> None:
    """Only fields the form defines as dates count for last-known-alive: an MRD marker such as
    'CBFB-MYH11' (10 characters, '-' at position 5) once crashed the derivation."""
    s = enrol("mrd")
    values = {"sample_date": "2026-01-12", "material": "bone_marrow", "assay": "qPCR",
              "marker": "CBFB-MYH11", "value": 1.0, "value_unit": "percent_of_abl1"}  # fmt: skip
    services.create_record(investigator, s, "mrd", values, "C1D1")
    d = derive_subject(s)
    assert d.time_to_event is not None
    assert d.time_to_event["os_date"] == "2026-01-12"


# ---------------------------------------------------------------------------- revised rules
def test_responder_definitions_of_the_overt_cohort(subject, investigator) -> None:
    """Registered CR/CRi: a CRh with ANC 0.6 and platelets 60 is not a responder under the
    primary definition, but is under CR/CRh/CRi (ELN 2022 Table 6)."""
    _visit(investigator, subject, "C1D1", "2026-01-12", bm=12, anc=0.8, plt=40, pb=2)
    _visit(investigator, subject, "C2D1", "2026-02-09", bm=2, anc=0.6, plt=60)
    d = derive_subject(subject)
    assert d.responses[0].category == "CRh"
    assert d.responder_definition == "cr_cri_registered"
    assert (d.responder, d.responder_cr, d.responder_cr_cri, d.responder_cr_crh_cri) == (
        False, False, False, True,
    )  # fmt: skip
    assert d.remission_date == date(2026, 2, 9)  # CRh still starts RFS (ELN 2022)
    assert (d.mrd_evaluable, d.best_mrd_log10_change) == (None, None)  # overt cohort


def test_pd_by_blood_blasts_from_wbc(subject, investigator) -> None:
    """ELN 2017 Table 6: blood blasts 20 x 2 % = 0.4 -> 60 x 50 % = 30 x 10^9/L: PD, although
    the marrow (12 -> 10 %) did not rise."""
    _visit(investigator, subject, "C1D1", "2026-01-12", bm=12, anc=0.8, plt=40, pb=2, wbc=20)
    _visit(investigator, subject, "C2D1", "2026-02-09", bm=10, anc=0.8, plt=40, pb=50, wbc=60)
    r = derive_subject(subject).responses[0]
    assert r.category == "PD" and "blood blasts" in r.rule


def test_mlfs_cellularity_and_query(subject, investigator) -> None:
    """ELN 2022 Table 6: MLFS needs a non-aplastic marrow; missing cellularity -> MLFS and a
    data query on the marrow record; < 10 % -> NE "aplastic marrow, repeat"."""
    _visit(investigator, subject, "C1D1", "2026-01-12", bm=12, anc=0.8, plt=40, pb=2)
    _visit(investigator, subject, "C2D1", "2026-02-09", bm=2, anc=0.3, plt=30)
    d = derive_subject(subject)
    marrow = services.records(subject, "marrow", "C2D1").get()
    assert d.responses[0].category == "MLFS"
    assert [(q.record_id, q.field, q.code) for q in d.queries] == [
        (marrow.pk, "cellularity_pct", "mlfs_cellularity")
    ]
    opened = marrow.queries.filter(check_code="cross:mlfs_cellularity")
    assert [(q.field_name, q.status) for q in opened] == [("cellularity_pct", "open")]
    services.update_record(investigator, marrow, {"cellularity_pct": 8}, "entered", 1, partial=True)
    d = derive_subject(subject)
    assert d.responses[0].category == "NE" and "aplastic marrow" in d.responses[0].rule
    assert d.queries == ()
    assert opened.get().status == "closed"  # closed by the services once answered by data


def test_crs_established_episode_waives_fever(subject, investigator) -> None:
    """ASTCT 2019: fever at onset (day 1 of the episode), then tocilizumab: the next record
    without fever is graded on hypotension alone; premedication without fever is no CRS."""
    base = {"onset_date": "2026-01-20", "hypoxia": "none", "death_from_crs": False}
    services.create_record(investigator, subject, "crs", {**base,
        "assessment_date": "2026-01-20", "fever_c": 38.9,
        "antipyretics_or_anticytokine_given": False, "hypotension": "none"})  # fmt: skip
    services.create_record(investigator, subject, "crs", {**base,
        "assessment_date": "2026-01-21", "fever_c": 37.2,
        "antipyretics_or_anticytokine_given": True, "hypotension": "one_vasopressor"})  # fmt: skip
    services.create_record(investigator, subject, "crs", {
        "onset_date": "2026-02-01", "assessment_date": "2026-02-01", "fever_c": 37.0,
        "antipyretics_or_anticytokine_given": True, "hypotension": "none",
        "hypoxia": "low_flow", "death_from_crs": False})  # fmt: skip
    services.create_record(investigator, subject, "crs", {
        "onset_date": "2026-02-05", "assessment_date": "2026-02-05",
        "antipyretics_or_anticytokine_given": False, "hypotension": "none",
        "hypoxia": "none", "death_from_crs": False})  # fmt: skip
    grades = [(str(g.assessment_date), g.grade) for g in derive_subject(subject).crs]
    assert grades == [("2026-01-20", 1), ("2026-01-21", 3), ("2026-02-01", 0), ("2026-02-05", None)]


def test_mrd_not_evaluable_and_negativity(enrol, investigator) -> None:
    """Heuser 2021: a follow-up in another material is not comparable (not evaluable, with the
    reason and a query); an undetectable sample at LOD 0.1 % is MRD-negative."""
    s = enrol("mrd")
    _mrd(investigator, s, "C1D1", "2026-01-12", 1.0)
    blood = {"sample_date": "2026-02-09", "material": "peripheral_blood", "assay": "qPCR",
             "marker": "NPM1 type A", "value": 0.05, "value_unit": "percent_of_abl1"}  # fmt: skip
    services.create_record(investigator, s, "mrd", blood, "C2D1")
    d = derive_subject(s)
    assert (d.mrd_evaluable, d.responder) == (False, False)
    assert d.mrd_not_evaluable_reason == (
        "baseline and follow-up MRD not comparable (sample material bone marrow -> peripheral "
        "blood)"
    )  # the form's label and the choices in words, not `material bone_marrow`
    assert [q.code for q in d.queries] == ["mrd_not_evaluable"]
    _mrd(investigator, s, "C4D1", "2026-04-06", 0.0, lod=0.1)
    d = derive_subject(s)
    assert (d.mrd_evaluable, d.mrd_negative, d.responder) == (True, True, False)
    assert d.best_mrd_log10_change == pytest.approx(-1.0)
    assert (d.responder_cr, d.responder_cr_cri, d.responder_cr_crh_cri) == (None, None, None)


def test_rule_problems_name_fields_by_their_labels(subject) -> None:
    """A value the ASTCT rules refuse is reported with the form's label ("ICE score"), not its
    code (`ice_score`), on the casebook's list of data the rules could not use."""
    icans = FormRecord(id=987654, subject=subject, form_code="icans", visit_code="",
                       form_version=1, values={"assessment_date": "2026-01-20",
                                               "ice_score": 11})  # fmt: skip
    problems = derive_subject(subject, records=[icans]).problems
    assert problems == ("icans #987654: ICE score: expected an integer 0-10, got 11",)


def test_efs_censored_at_follow_up_with_blood_counts(subject, investigator) -> None:
    """ELN 2022 Table 9: a responder is censored on the last date assessed for response, a
    follow-up visit with blood counts included; RFS on the date last known alive."""
    _visit(investigator, subject, "C1D1", "2026-01-12", bm=12, anc=0.8, plt=40, pb=2)
    _visit(investigator, subject, "C2D1", "2026-02-09", bm=2, anc=1.5, plt=150)
    services.create_record(investigator, subject, "follow_up", {
        "contact_date": "2026-07-01", "vital_status": "alive", "disease_status": "remission",
        "disease_assessment": "blood_counts"}, "FU1")  # fmt: skip
    services.create_record(investigator, subject, "follow_up", {
        "contact_date": "2026-09-01", "vital_status": "alive",
        "disease_assessment": "not_assessed"}, "FU2")  # fmt: skip
    d = derive_subject(subject)
    assert d.last_assessment_date == date(2026, 7, 1)
    rows = {r.endpoint: r for r in d.time_to_event_rows}
    assert (rows["EFS"].event, rows["EFS"].date) == (False, date(2026, 7, 1))
    assert (rows["RFS"].event, rows["RFS"].date) == (False, date(2026, 9, 1))
    assert (rows["CIR"].status, rows["CIR"].date) == (0, date(2026, 7, 1))
    assert rows["OS"].date == date(2026, 9, 1)
    assert d.to_dict()["time_to_event_rows"][0]["endpoint"] == "OS"
