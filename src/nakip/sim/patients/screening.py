"""Screening values of a screened patient: realistic values for each cohort's entry, broken for
the intended screen-failure reason, or (when enrolled) taken from the model patient's baseline."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from nakip.protocol import Protocol
from nakip.protocol.model import Cohort
from nakip.sim.cohort import ModelCohort
from nakip.sim.patients.draws import Draw, iso, sig


def _base_screening(d: Draw, consent: date, protocol: Protocol) -> dict[str, Any]:
    sex = d.pick(["female", "male"])
    age = d.i(24, 82)
    cbp = sex == "female" and age < 50 and d.p(0.6)
    prior_hsct = d.p(0.4)
    values: dict[str, Any] = {
        "consent_signed": True,
        "sex": sex,
        "age_years": age,
        "diagnosis_classification": "WHO_2016",
        "diagnosis": d.weighted(
            {"AML_de_novo": 0.6, "AML_secondary": 0.25, "AML_therapy_related": 0.15}
        ),
        "apl": False,
        "diagnosis_date": iso(consent - timedelta(days=d.i(200, 1500))),
        "prior_lines": d.i(1, 4),
        "prior_intensive_therapy": True,  # a qualifying prior line (criterion IN3)
        "prior_palliative_drug": "none",
        "last_therapy_kind": "cytotoxic",  # washout in days (IN4a)
        "days_since_last_therapy": d.i(protocol.treatment.washout_days + 7, 150),
        "prior_hsct": prior_hsct,
        "active_gvhd_grade": 0,
        "ecog": d.weighted({"0": 0.3, "1": 0.5, "2": 0.2}),
        "childbearing_potential": cbp,
        "pregnant_or_breastfeeding": False,
        "creatinine_clearance_ml_min": d.u(45, 125),
        "worst_liver_x_uln_exceeds": False,
        "active_cns_disease": False,
        "systemic_immunosuppression": False,
        "uncontrolled_infection": False,
        "unsafe_condition": False,
    }
    values["ecog"] = int(values["ecog"])
    if prior_hsct:
        values["days_since_hsct"] = d.i(150, 1200)
    if cbp:
        values["pregnancy_test_negative"] = True
        values["pregnancy_test_hours_before_treatment"] = d.i(12, 70)
    return values


def overt_screening(d: Draw, consent: date, protocol: Protocol, c: Cohort) -> dict[str, Any]:
    assert c.overt_entry is not None
    values = _base_screening(d, consent, protocol)
    ceiling = c.overt_entry.bm_blasts_below_pct
    values.update(
        {
            "relapsed_or_refractory": True,
            "in_haematological_remission": False,
            "anc": d.u(0.2, 1.4, 2),
            "platelets": d.u(12, 80, 0),
            "haemoglobin": d.u(7.5, 10.5),
            "wbc": d.u(0.8, 6.0),
            "pb_blasts_pct": d.u(0, min(15.0, c.overt_entry.pb_blasts_below_pct - 3)),
            "marrow_date": iso(consent + timedelta(days=d.i(0, 3))),
            "bm_blasts_pct": d.u(7, ceiling - 1),
        }
    )
    return values


MRD_MARKERS = {
    "qPCR": ("NPM1 type A", "CBFB::MYH11", "RUNX1::RUNX1T1"),
    "flow": ("LAIP CD34+CD7+", "different-from-normal CD117+CD56+"),
}


def mrd_screening(d: Draw, consent: date, protocol: Protocol, c: Cohort) -> dict[str, Any]:
    assert c.mrd_entry is not None
    values = _base_screening(d, consent, protocol)
    assay = d.weighted({"qPCR": 0.6, "flow": 0.4})
    current = d.u(0.3, 20.0, 2) if assay == "qPCR" else d.u(0.5, 3.0, 2)
    fold = d.u(c.mrd_entry.rise_fold_above + 1.0, 40.0)
    current_date = consent - timedelta(days=d.i(3, 14))
    values.update(
        {
            "relapsed_or_refractory": False,
            "in_haematological_remission": True,
            "anc": d.u(1.2, 4.5, 2),
            "platelets": d.u(90, 280, 0),
            "haemoglobin": d.u(10.0, 14.0),
            "wbc": d.u(2.5, 8.0),
            "pb_blasts_pct": 0.0,
            "marrow_date": iso(consent + timedelta(days=d.i(0, 3))),
            "bm_blasts_pct": d.u(0.2, c.mrd_entry.remission_bm_blasts_below_pct - 1.5),
            "mrd_assay": assay,
            "mrd_material": "bone_marrow",  # the rise compares like with like
            "mrd_reference_assay": assay,
            "mrd_reference_material": "bone_marrow",
            "mrd_marker": d.pick(MRD_MARKERS[assay]),
            "mrd_reference_date": iso(current_date - timedelta(days=d.i(21, 60))),
            "mrd_reference_value": sig(current / fold, 3),
            "mrd_current_date": iso(current_date),
            "mrd_current_value": current,
        }
    )
    return values


def break_screening(
    values: dict[str, Any], kind: str, d: Draw, protocol: Protocol, c: Cohort
) -> None:
    """Change screening values so they fail for the intended, realistic reason."""
    if kind == "marrow_blasts_too_high":
        assert c.overt_entry is not None
        values["bm_blasts_pct"] = d.u(c.overt_entry.bm_blasts_below_pct + 2, 45)
    elif kind == "ecog_3":
        values["ecog"] = 3
    elif kind == "washout_too_short":
        values["days_since_last_therapy"] = d.i(3, protocol.treatment.washout_days - 3)
    elif kind == "recent_transplant":
        values["prior_hsct"] = True
        values["days_since_hsct"] = d.i(35, 80)
    elif kind == "active_gvhd":
        values["prior_hsct"] = True
        values.setdefault("days_since_hsct", d.i(150, 400))
        values["active_gvhd_grade"] = 2
    elif kind == "renal_impairment":
        values["creatinine_clearance_ml_min"] = d.u(15, 27)
    elif kind == "uncontrolled_infection":
        values["uncontrolled_infection"] = True
    elif kind == "active_cns_disease":
        values["active_cns_disease"] = True
    elif kind == "mrd_rise_too_small":
        assert c.mrd_entry is not None
        fold = d.u(1.3, c.mrd_entry.rise_fold_above - 0.6)
        values["mrd_reference_value"] = sig(values["mrd_current_value"] / fold, 3)
    elif kind != "consent_withdrawn":
        raise ValueError(f"unknown screen-failure kind {kind!r}")


def model_screening(
    values: dict[str, Any], model: ModelCohort, k: int, enrol: date, overt: bool
) -> None:
    """Screening values of an enrolled patient taken from its model patient's baseline, so the
    disease the site screened is the disease the model treats."""
    b = model.baseline
    values["anc"] = round(float(b.anc[k]), 2)
    values["platelets"] = round(float(b.platelets[k]))
    values["haemoglobin"] = round(float(b.haemoglobin[k]), 1)
    if overt:
        values["bm_blasts_pct"] = round(float(b.leukaemic_share[k]) * 100, 1)
        return
    assay = str(model.assays.assay[k])
    consent = date.fromisoformat(values["marrow_date"]) - timedelta(days=3)
    current_date = min(enrol - timedelta(days=int(model.mrd_days_before[k])), consent)
    fold = float(values["mrd_current_value"]) / float(values["mrd_reference_value"])
    current = float(model.mrd_current[k])
    values.update(
        mrd_assay=assay,
        mrd_reference_assay=assay,
        mrd_marker=values["mrd_marker"] if values["mrd_assay"] == assay else MRD_MARKERS[assay][0],
        mrd_current_value=current,
        mrd_current_date=iso(current_date),
        mrd_reference_value=sig(current / fold, 3),
        mrd_reference_date=iso(current_date - timedelta(days=30)),
    )
