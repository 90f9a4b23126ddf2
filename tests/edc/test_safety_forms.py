"""Amendment-2 forms saved through the services, and the grades derived beside them: CTCAE v5.0
hepatic/renal grades relative to the site's ULN, MAGIC acute GVHD grade, their DLT verdicts."""

from __future__ import annotations

from typing import Any

import pytest

from nakip.edc import services
from nakip.edc.derivations import derive_subject
from nakip.edc.exceptions import FormValidationError

TALA = {"period_start": "2026-01-12", "daily_dose_mg": "1.0", "interrupted": False,
        "reduced": False}  # fmt: skip
NK = {"infusion_date": "2026-01-19", "infusion_number": 1, "given": True,
      "cell_dose_per_kg": 1e7, "viability_pct": 90, "purity_pct": 92, "cd3_per_kg": 2e4,
      "release_passed": True, "infusion_reaction_grade": 0}  # fmt: skip


def _chem(day: str, alt: float, bili: float = 0.6, uln: float = 40.0) -> dict[str, Any]:
    return {"sample_date": day, "alt": alt, "alt_uln": uln, "ast": 30, "ast_uln": 40,
            "bilirubin": bili, "bilirubin_uln": 1.2, "creatinine": 0.9,
            "creatinine_uln": 1.1}  # fmt: skip


def _gvhd(day: str, rash: float = 0, bili: float = 0.6, stool: float = 200) -> dict[str, Any]:
    return {"assessment_date": day, "rash_bsa_pct": rash, "bilirubin": bili,
            "persistent_nausea_vomiting_anorexia": False, "stool_ml_per_day": stool,
            "stool_episodes_per_day": 1, "severe_pain_ileus_or_bloody_stool": False}  # fmt: skip


def _treat(user: Any, subject: Any) -> None:
    services.create_record(user, subject, "talazoparib", TALA, "C1D1")
    services.create_record(user, subject, "nk_infusion", NK, "C1D8")


def test_chemistry_grades_relative_to_uln_and_baseline(subject, investigator) -> None:
    services.create_record(investigator, subject, "chemistry", _chem("2026-01-12", 30), "C1D1")
    services.create_record(investigator, subject, "chemistry", _chem("2026-01-19", 120), "C1D8")
    d = derive_subject(subject)
    alt = {r.visit_code: r for r in d.chemistry_grades if r.field == "alt"}
    assert (alt["C1D1"].grade, alt["C1D8"].grade) == (0, 1)  # 120 = exactly 3.0 x ULN: grade 1
    assert alt["C1D8"].x_uln == 3.0 and "Alanine aminotransferase increased" in alt["C1D8"].rule


def test_abnormal_baseline_grades_by_multiples_of_baseline(subject, investigator) -> None:
    services.create_record(investigator, subject, "chemistry", _chem("2026-01-12", 100), "C1D1")
    services.create_record(investigator, subject, "chemistry", _chem("2026-01-19", 300), "C1D8")
    alt = [r for r in derive_subject(subject).chemistry_grades if r.field == "alt"]
    # 300 U/L = 7.5 x ULN (grade 3 by ULN) but 3.0 x an abnormal baseline: grade 1
    assert (alt[1].grade, alt[1].basis) == (1, "baseline")


def test_hepatic_grade_3_in_window_is_a_provisional_dlt_until_an_ae_decides(
    subject, investigator
) -> None:
    _treat(investigator, subject)
    services.create_record(investigator, subject, "chemistry", _chem("2026-01-12", 30), "C1D1")
    services.create_record(investigator, subject, "chemistry", _chem("2026-01-26", 201), "C1D15")
    d = derive_subject(subject)
    (row,) = [r for r in d.derived_dlts if r.source == "chemistry"]
    assert row.grade == 3 and row.is_dlt is True and d.has_dlt  # > 5.0 x ULN, attribution unknown
    chem = services.records(subject, "chemistry", "C1D15").get()
    (q,) = chem.queries.filter(check_code="cross:hepatic_dlt_without_ae")
    assert q.field_name == "alt" and q.status == "open"
    services.create_record(investigator, subject, "adverse_event", {
        "term": "Alanine aminotransferase increased", "ctcae_grade": 3,
        "onset_date": "2026-01-26", "serious": False, "attribution_talazoparib": "unrelated",
        "attribution_nk": "unrelated", "category": "nonhematologic", "outcome": "recovering",
    })  # fmt: skip
    d = derive_subject(subject)
    (row,) = [r for r in d.derived_dlts if r.source == "chemistry"]
    assert row.adverse_event_id is not None and row.is_dlt is None and not d.has_dlt
    q.refresh_from_db()
    assert q.status == "closed"  # the adverse event now decides: the query closed itself
    assert d.adverse_events[0].soc == "Investigations"


@pytest.mark.parametrize(("rash", "bili", "grade", "dlt"), [(20, 0.6, 1, False),
                                                          (60, 0.6, 2, True),
                                                          (0, 3.5, 3, True)])  # fmt: skip
def test_gvhd_grade_and_dlt(subject, investigator, rash, bili, grade, dlt) -> None:
    _treat(investigator, subject)
    services.create_record(investigator, subject, "gvhd", _gvhd("2026-02-09", rash, bili), "C2D1")
    d = derive_subject(subject)
    (row,) = d.derived_dlts
    assert (row.grade, row.is_dlt, d.has_dlt) == (grade, dlt, dlt)


def test_new_forms_validate_on_save(subject, investigator) -> None:
    with pytest.raises(FormValidationError, match="fludarabine_mg_m2"):
        services.create_record(investigator, subject, "lymphodepletion", {
            "body_surface_area_m2": 1.9, "start_date": "2026-01-14", "end_date": "2026-01-16",
            "fludarabine_mg_m2": 300, "fludarabine_days": 3, "cyclophosphamide_mg_m2": 500,
            "cyclophosphamide_days": 3, "dose_modified": False}, "C1D8")  # fmt: skip
    with pytest.raises(FormValidationError, match="term"):
        services.create_record(investigator, subject, "adverse_event", {
            "term": "Headache-ish", "ctcae_grade": 1, "onset_date": "2026-01-20",
            "serious": False, "attribution_talazoparib": "unlikely", "attribution_nk": "unlikely",
            "category": "nonhematologic", "outcome": "recovered"})  # fmt: skip
    with pytest.raises(FormValidationError, match="term_other"):
        services.create_record(investigator, subject, "adverse_event", {
            "term": "Other, specify", "ctcae_grade": 1, "onset_date": "2026-01-20",
            "serious": False, "attribution_talazoparib": "unlikely", "attribution_nk": "unlikely",
            "category": "nonhematologic", "outcome": "recovered"})  # fmt: skip
    saved = services.create_record(investigator, subject, "concomitant_medication", {
        "drug": "aciclovir", "category": "anti_infective", "indication": "HSV prophylaxis",
        "dose": 400, "dose_unit": "mg", "route": "oral", "start_date": "2026-01-12",
        "ongoing": True})  # fmt: skip
    assert saved.record.form_version == 1
    il2 = services.create_record(investigator, subject, "il2", {
        "first_dose_date": "2026-01-20", "last_dose_date": "2026-01-28", "dose_iu_m2": 1e6,
        "doses_given": 5, "route": "subcutaneous", "reason_fewer": "adverse_event",
    }, "C1D8")  # fmt: skip
    assert il2.record.values["doses_given"] == 5
    assert [q.field_name for q in il2.opened_queries] == ["doses_given"]  # soft_min 6


def test_casebook_shows_the_derived_grades(subject, investigator) -> None:
    from django.test import Client

    _treat(investigator, subject)
    services.create_record(investigator, subject, "chemistry", _chem("2026-01-12", 30), "C1D1")
    services.create_record(investigator, subject, "gvhd", _gvhd("2026-02-09", 60), "C2D1")
    c = Client()
    c.force_login(investigator)
    page = c.get(f"/subjects/{subject.subject_number}/").content.decode()
    assert "Alanine aminotransferase increased" in page and "Acute GVHD grade II" in page


def test_chemistry_and_deviation_through_the_api(subject, investigator) -> None:
    from tests.edc.test_api import api

    client = api(investigator)
    url = f"/api/subjects/{subject.subject_number}/records/"
    bad = client.post(
        url,
        {
            "form_code": "chemistry",
            "visit_code": "C1D1",
            "values": {**_chem("2026-01-12", 30), "alt_uln": 0},
        },
        format="json",
    )
    assert bad.status_code == 400 and "alt_uln" in bad.json()["fields"]
    ok = client.post(url, {"form_code": "chemistry", "visit_code": "C1D1",
                           "values": _chem("2026-01-12", 30)}, format="json")  # fmt: skip
    assert ok.status_code == 201
    values = {"deviation_date": "2026-01-20", "category": "missed_dose", "severity": "minor",
              "description": "one dose missed", "corrective_action": "diary"}  # fmt: skip
    dev = client.post(url, {"form_code": "deviation", "values": values}, format="json")
    assert dev.status_code == 201
    derived = client.get(f"/api/subjects/{subject.subject_number}/derived/").json()
    assert {g["field"] for g in derived["chemistry_grades"]} == {"alt", "ast", "bilirubin",
                                                                 "creatinine"}  # fmt: skip
