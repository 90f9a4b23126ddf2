"""Visit schedule and status at the window edges (protocol: C2D1 on day 29, window -3/+3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from nakip.edc import services
from nakip.edc.schedule import find_visit, planned_visits, visit_status

DAY1 = date(2026, 1, 12)


def test_follow_up_visits_every_interval_until_duration() -> None:
    visits = planned_visits("overt")
    fu = [v for v in visits if v.follow_up]
    # 90-day interval within 730 days: 8 visits, after the EOT visit on day 113
    assert [v.code for v in fu] == [f"FU{k}" for k in range(1, 9)]
    assert fu[0].day == 113 + 90 and fu[-1].day == 113 + 720
    assert all(v.forms == ("follow_up",) for v in fu)


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-4, "expected"), (-3, "due"), (0, "due"), (3, "due"), (4, "overdue")],
)
def test_window_edges(offset: int, status: str) -> None:
    v = find_visit("overt", "C2D1")
    assert v is not None and v.day == 29
    target = DAY1 + timedelta(days=28)
    assert visit_status(v, DAY1, target + timedelta(days=offset), []) == status


def test_day1_visit_has_no_window() -> None:
    v = find_visit("mrd", "C1D1")
    assert v is not None
    assert visit_status(v, DAY1, DAY1 - timedelta(days=1), []) == "expected"
    assert visit_status(v, DAY1, DAY1, []) == "due"
    assert visit_status(v, DAY1, DAY1 + timedelta(days=1), []) == "overdue"


def test_done_needs_every_form_and_beats_missed() -> None:
    v = find_visit("overt", "C1D8")
    assert v is not None
    late = DAY1 + timedelta(days=30)
    assert visit_status(v, DAY1, late, ["haematology"]) == "overdue"
    assert visit_status(v, DAY1, late, list(v.forms)) == "done"
    # CRS and ICANS are event forms: a visit without CRS is complete with its routine forms
    routine = ("haematology", "chemistry", "lymphodepletion", "donor", "nk_infusion", "il2")
    assert v.expected_forms == routine  # amendment 2 added chemistry, LD, donor, IL-2
    assert visit_status(v, DAY1, late, list(routine)) == "done"
    assert visit_status(v, DAY1, late, ["haematology", "nk_infusion"]) == "overdue"
    assert visit_status(v, DAY1, late, [], missed=True) == "missed"


def test_subject_visits_from_records(subject, investigator) -> None:
    haem = {"sample_date": "2026-01-19", "anc": 1, "platelets": 50, "haemoglobin": 9,
            "pb_blasts_pct": 0}  # fmt: skip
    inf = {"infusion_date": "2026-01-19", "infusion_number": 1, "given": True,
           "cell_dose_per_kg": 1e7, "viability_pct": 90, "infusion_reaction_grade": 0}  # fmt: skip
    crs = {"onset_date": "2026-01-19", "assessment_date": "2026-01-19",
           "antipyretics_or_anticytokine_given": False, "hypotension": "none",
           "hypoxia": "none", "death_from_crs": False}  # fmt: skip
    icans = {"assessment_date": "2026-01-19", "ice_score": 10, "unarousable": False,
             "consciousness": "normal", "seizure": "none", "motor_weakness": False,
             "raised_icp": "none"}  # fmt: skip
    chem = {
        "sample_date": "2026-01-19",
        "alt": 30,
        "alt_uln": 40,
        "ast": 30,
        "ast_uln": 40,
        "bilirubin": 0.5,
        "bilirubin_uln": 1.2,
        "creatinine": 0.8,
        "creatinine_uln": 1.1,
    }
    ld = {
        "body_surface_area_m2": 1.9,
        "start_date": "2026-01-14",
        "end_date": "2026-01-16",
        "fludarabine_mg_m2": 30,
        "fludarabine_days": 3,
        "cyclophosphamide_mg_m2": 500,
        "cyclophosphamide_days": 3,
        "dose_modified": False,
    }
    donor = {
        "relation": "sibling",
        "donor_age_years": 40,
        "hla_match_of_10": 5,
        "kir_ligand_mismatch": True,
        "kir_haplotype": "Bx",
    }
    il2 = {"first_dose_date": "2026-01-20", "last_dose_date": "2026-01-30", "dose_iu_m2": 1e6,
           "doses_given": 6, "route": "subcutaneous"}  # fmt: skip
    for code, values in (("haematology", haem), ("nk_infusion", inf), ("crs", crs),
                         ("icans", icans), ("chemistry", chem), ("lymphodepletion", ld),
                         ("donor", donor), ("il2", il2)):  # fmt: skip
        services.create_record(investigator, subject, code, values, "C1D8")
    states = {s.visit.code: s for s in services.subject_visits(subject, date(2026, 1, 19))}
    assert states["C1D8"].status == "done"
    assert states["C1D1"].status == "overdue" and states["C1D15"].status == "expected"
    assert states["C1D15"].target_date == date(2026, 1, 26)
    assert states["C1D15"].window_start == date(2026, 1, 24)
