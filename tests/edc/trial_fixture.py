"""A small EDC trial for the dataset and export tests: two overt subjects and one MRD subject.

A-001 (overt): baseline marrow 12 % blasts, CR at C2D1 (2026-02-09), talazoparib from day 1,
one NK infusion (2026-01-19), a grade-3 pneumonitis possibly related to the NK cells (a DLT),
one CRS episode. A-002 (overt): no treatment form, died 2026-02-20. B-001 (mrd): MRD 1.0 -> 0.05
(log10 change -1.301, a responder, ELN-MRD 2021).
"""

from __future__ import annotations

from typing import Any

from nakip.edc import services
from nakip.edc.models import Subject

HAEM = {"sample_date": "2026-01-12", "anc": 0.8, "platelets": 40, "haemoglobin": 9.1,
        "pb_blasts_pct": 2}  # fmt: skip
NK = {"infusion_date": "2026-01-19", "infusion_number": 1, "given": True,
      "cell_dose_per_kg": 5e6, "viability_pct": 90, "infusion_reaction_grade": 0}  # fmt: skip
AE = {"term": "Pneumonitis", "ctcae_grade": 3, "onset_date": "2026-01-25",
      "resolution_date": "2026-02-05", "serious": True, "attribution_talazoparib": "unlikely",
      "attribution_nk": "possible", "category": "nonhematologic",
      "outcome": "recovered"}  # fmt: skip
CRS = {"onset_date": "2026-01-20", "assessment_date": "2026-01-20", "fever_c": 38.6,
       "antipyretics_or_anticytokine_given": False, "hypotension": "no_vasopressor",
       "hypoxia": "none", "death_from_crs": False}  # fmt: skip
TALA = {"period_start": "2026-01-12", "period_end": "2026-02-08", "daily_dose_mg": "1.0",
        "interrupted": False, "reduced": False}  # fmt: skip


def _mrd(day: str, value: float) -> dict[str, Any]:
    return {"sample_date": day, "material": "bone_marrow", "assay": "qPCR",
            "marker": "NPM1 type A", "value": value, "value_unit": "percent_of_abl1"}  # fmt: skip


def build_trial(enrol: Any, user: Any) -> dict[str, Subject]:
    """Enter the three subjects through the services (as site staff would)."""
    add = services.create_record
    a1 = enrol("overt")
    add(user, a1, "marrow", {"aspirate_date": "2026-01-12", "evaluable": True,
                             "bm_blasts_pct": 12}, "C1D1")  # fmt: skip
    add(user, a1, "emd", {"assessment_date": "2026-01-12", "emd_present": False}, "C1D1")
    add(user, a1, "haematology", HAEM, "C1D1")
    add(user, a1, "talazoparib", TALA, "C1D1")
    add(user, a1, "nk_infusion", NK, "C1D8")
    add(user, a1, "crs", CRS)
    add(user, a1, "adverse_event", AE)
    add(user, a1, "marrow", {"aspirate_date": "2026-02-09", "evaluable": True,
                             "bm_blasts_pct": 2}, "C2D1")  # fmt: skip
    add(user, a1, "emd", {"assessment_date": "2026-02-09", "emd_present": False}, "C2D1")
    add(user, a1, "haematology", {**HAEM, "sample_date": "2026-02-09", "anc": 1.5,
                                  "platelets": 150, "pb_blasts_pct": 0}, "C2D1")  # fmt: skip
    a2 = enrol("overt")
    add(user, a2, "end_of_study", {"end_date": "2026-03-01", "reason": "death",
                                   "death_date": "2026-02-20"})  # fmt: skip
    b1 = enrol("mrd")
    add(user, b1, "mrd", _mrd("2026-01-12", 1.0), "C1D1")
    add(user, b1, "mrd", _mrd("2026-02-09", 0.05), "C2D1")
    return {"A-001": a1, "A-002": a2, "B-001": b1}
