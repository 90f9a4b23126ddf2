"""Eligibility against the packaged NAKIP-AML protocol at every threshold (NCT05319249
inclusion criteria as registered; protocol-parameter exclusions; cohort entry blocks)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nakip.clinical.eligibility import (
    STATUSES,
    evaluate_eligibility,
    screening_fields,
)
from nakip.protocol import load_protocol
from nakip.protocol.model import Criterion

ELIGIBLE_OVERT: dict[str, Any] = {
    "consent_signed": True,
    "diagnosis": "AML_secondary",
    "apl": False,
    "prior_lines": 2,
    "prior_intensive_therapy": False,
    "prior_palliative_drug": "azacitidine",
    "last_therapy_kind": "cytotoxic",
    "days_since_last_therapy": 30,
    "age_years": 64,
    "ecog": 1,
    "childbearing_potential": False,
    "active_gvhd_grade": 0,
    "prior_hsct": False,
    "creatinine_clearance_ml_min": 80,
    "worst_liver_x_uln_exceeds": False,
    "active_cns_disease": False,
    "pregnant_or_breastfeeding": False,
    "systemic_immunosuppression": False,
    "uncontrolled_infection": False,
    "unsafe_condition": False,
    "relapsed_or_refractory": True,
    "bm_blasts_pct": 12.0,
    "pb_blasts_pct": 3.0,
}
MRD_FIELDS: dict[str, Any] = {
    "relapsed_or_refractory": False,
    "in_haematological_remission": True,
    "bm_blasts_pct": 1.0,
    "pb_blasts_pct": 0.0,
    "mrd_assay": "qPCR",
    "mrd_material": "bone_marrow",
    "mrd_reference_assay": "qPCR",
    "mrd_reference_material": "bone_marrow",
    "mrd_reference_value": 0.01,
    "mrd_current_value": 0.05,
}


def rec(**kw: Any) -> dict[str, Any]:
    r = dict(ELIGIBLE_OVERT)
    r.update(kw)
    return r


def mrd(**kw: Any) -> dict[str, Any]:
    r = rec(**MRD_FIELDS)
    r.update(kw)
    return r


def status(record: dict[str, Any], cid: str) -> str:
    res = evaluate_eligibility(record)
    return next(c.status for c in res.criteria if c.id == cid)


def test_eligible_overt_and_mrd() -> None:
    r = evaluate_eligibility(rec())
    assert (r.status, r.cohort, r.reasons) == ("eligible", "overt", ())
    m = evaluate_eligibility(mrd())
    assert (m.status, m.cohort) == ("eligible", "mrd")


# ---------------------------------------------------------------------------- thresholds
@pytest.mark.parametrize(
    ("field", "value", "cid", "expected"),
    [
        ("age_years", 18, "IN5", "met"),
        ("age_years", 17.99, "IN5", "failed"),
        ("ecog", 2, "IN6", "met"),
        ("ecog", 3, "IN6", "failed"),
        ("days_since_last_therapy", 14, "IN4a", "met"),
        ("days_since_last_therapy", 13, "IN4a", "failed"),
        ("prior_lines", 1, "IN3", "met"),
        ("prior_lines", 0, "IN3", "failed"),
        ("consent_signed", False, "IN1", "failed"),
        ("diagnosis", "APL", "IN2", "failed"),
        ("apl", True, "IN2", "failed"),
        ("creatinine_clearance_ml_min", 30, "EX3", "met"),  # exactly 30 is not < 30
        ("creatinine_clearance_ml_min", 29.99, "EX3", "failed"),
        ("active_gvhd_grade", 1, "EX1", "met"),
        ("active_gvhd_grade", 2, "EX1", "failed"),
        ("active_cns_disease", True, "EX5", "failed"),
        ("pregnant_or_breastfeeding", True, "EX6", "failed"),
        ("uncontrolled_infection", True, "EX8", "failed"),  # judgement: true = applies
        ("unsafe_condition", True, "EX9", "failed"),
    ],
)
def test_criterion_thresholds(field: str, value: Any, cid: str, expected: str) -> None:
    assert status(rec(**{field: value}), cid) == expected
    overall = evaluate_eligibility(rec(**{field: value})).status
    assert overall == ("eligible" if expected == "met" else "not_eligible")


@pytest.mark.parametrize(
    ("hours", "negative", "expected"),
    [(72, True, "met"), (72.01, False, "failed"), (72.01, True, "failed"), (24, False, "failed")],
)
def test_pregnancy_test_within_72h(hours: float, negative: bool, expected: str) -> None:
    r = rec(
        childbearing_potential=True,
        pregnancy_test_negative=negative,
        pregnancy_test_hours_before_treatment=hours,
    )
    assert status(r, "IN7") == expected


def test_applies_if_false_is_not_applicable() -> None:
    assert status(rec(childbearing_potential=False), "IN7") == "not_applicable"
    assert status(rec(prior_hsct=False, days_since_hsct=10), "EX2") == "not_applicable"


@pytest.mark.parametrize(("days", "expected"), [(90, "met"), (89, "failed"), (89.999, "failed")])
def test_days_since_hsct_exactly_90(days: float, expected: str) -> None:
    assert status(rec(prior_hsct=True, days_since_hsct=days), "EX2") == expected


# ---------------------------------------------------------------------------- cohorts
@pytest.mark.parametrize(
    ("bm", "pb", "expected"),
    [
        (19.999, 19.999, "eligible"),
        (20, 3, "not_eligible"),  # exactly 20 % is not overt (exclusive ceiling)
        (12, 20, "not_eligible"),
        (3, 20, "undetermined"),  # not overt, but bm < 5 %: could be MRD, whose fields are absent
        (19.9999999999, 3, "not_eligible"),  # rounds to 20 at 9 decimals
    ],
)
def test_overt_blast_ceilings(bm: float, pb: float, expected: str) -> None:
    r = evaluate_eligibility(rec(bm_blasts_pct=bm, pb_blasts_pct=pb))
    assert r.status == expected
    if expected == "not_eligible":
        assert any(x.startswith("fits no cohort") for x in r.reasons)


def test_overt_needs_relapsed_or_refractory() -> None:
    r = evaluate_eligibility(rec(relapsed_or_refractory=False))
    assert r.status == "not_eligible" and "relapsed_or_refractory = false" in r.reasons[-1]


@pytest.mark.parametrize(
    ("ref", "cur", "expected"),
    [
        (0.01, 0.03, "not_eligible"),  # exactly 3-fold is not rising
        (0.1, 0.3, "not_eligible"),  # 0.3 / 0.1 = 2.9999999999999996 in floats: still 3-fold
        (0.01, 0.0300001, "eligible"),
        (0.01, 0.05, "eligible"),
        (0.01, 0.0, "not_eligible"),
    ],
)
def test_mrd_rise_exactly_3_fold(ref: float, cur: float, expected: str) -> None:
    assert evaluate_eligibility(mrd(mrd_reference_value=ref, mrd_current_value=cur)).status == (
        expected
    )


def test_mrd_remission_blasts_below_5_and_assay() -> None:
    assert evaluate_eligibility(mrd(bm_blasts_pct=5)).status == "not_eligible"
    assert evaluate_eligibility(mrd(bm_blasts_pct=4.999)).status == "eligible"
    assert evaluate_eligibility(mrd(mrd_assay="flow", mrd_reference_assay="flow")).cohort == "mrd"
    assert evaluate_eligibility(mrd(mrd_assay="FLOW", mrd_reference_assay="flow")).cohort == "mrd"
    assert (
        evaluate_eligibility(mrd(mrd_assay="PCR-X", mrd_reference_assay="PCR-X")).status
        == "not_eligible"
    )
    assert evaluate_eligibility(mrd(in_haematological_remission=False)).status == "not_eligible"


def test_mrd_reference_zero_is_undetermined() -> None:
    r = evaluate_eligibility(mrd(mrd_reference_value=0.0))
    assert r.status == "undetermined" and "mrd_reference_value" in r.missing_fields


def test_both_cohorts_is_a_conflict() -> None:
    r = evaluate_eligibility(mrd(relapsed_or_refractory=True))
    assert r.status == "undetermined" and r.cohort is None
    assert any("conflict" in x for x in r.reasons)


def test_overt_fits_while_mrd_fields_absent() -> None:
    r = evaluate_eligibility(rec())  # no MRD fields at all
    assert r.status == "eligible" and r.missing_fields == ()


def test_neither_cohort_undecided_names_fields() -> None:
    r = evaluate_eligibility(rec(relapsed_or_refractory=None))
    assert r.status == "undetermined"
    assert "relapsed_or_refractory" in r.missing_fields


# ---------------------------------------------------------------------------- missing
CRITERION_FIELDS = [
    ("consent_signed", "IN1"),
    ("diagnosis", "IN2"),
    ("apl", "IN2"),
    ("prior_lines", "IN3"),
    ("days_since_last_therapy", "IN4a"),
    ("age_years", "IN5"),
    ("ecog", "IN6"),
    ("childbearing_potential", "IN7"),
    ("active_gvhd_grade", "EX1"),
    ("prior_hsct", "EX2"),
    ("creatinine_clearance_ml_min", "EX3"),
    ("worst_liver_x_uln_exceeds", "EX4"),
    ("active_cns_disease", "EX5"),
    ("pregnant_or_breastfeeding", "EX6"),
    ("systemic_immunosuppression", "EX7"),
    ("uncontrolled_infection", "EX8"),
    ("unsafe_condition", "EX9"),
]


@pytest.mark.parametrize(("field", "cid"), CRITERION_FIELDS)
@pytest.mark.parametrize("how", ["absent", "none", "nan"])
def test_each_missing_field_is_undetermined(field: str, cid: str, how: str) -> None:
    r = rec()
    if how == "absent":
        del r[field]
    else:
        r[field] = None if how == "none" else math.nan
    res = evaluate_eligibility(r)
    assert res.status == "undetermined"
    assert field in res.missing_fields
    crit = next(c for c in res.criteria if c.id == cid)
    assert crit.status == "missing" and field in crit.missing_fields
    assert any(field in reason and "cannot be decided" in reason for reason in res.reasons)


@pytest.mark.parametrize("field", ["relapsed_or_refractory", "bm_blasts_pct", "pb_blasts_pct"])
def test_missing_overt_entry_field(field: str) -> None:
    r = rec()
    del r[field]
    res = evaluate_eligibility(r)
    assert res.status == "undetermined" and field in res.missing_fields


@pytest.mark.parametrize(
    "field",
    ["in_haematological_remission", "mrd_assay", "mrd_reference_value", "mrd_current_value"],
)
def test_missing_mrd_entry_field(field: str) -> None:
    r = mrd()
    del r[field]
    res = evaluate_eligibility(r)
    assert res.status == "undetermined" and field in res.missing_fields


def test_applicable_criterion_with_missing_field() -> None:
    res = evaluate_eligibility(rec(childbearing_potential=True, pregnancy_test_negative=True))
    assert res.status == "undetermined"
    assert res.missing_fields == ("pregnancy_test_hours_before_treatment",)
    assert evaluate_eligibility(rec(prior_hsct=True)).missing_fields == ("days_since_hsct",)


def test_failure_wins_over_missing_and_all_failures_listed() -> None:
    r = rec(age_years=17, ecog=3)
    del r["consent_signed"]
    res = evaluate_eligibility(r)
    assert res.status == "not_eligible"
    assert [x[:3] for x in res.reasons] == ["IN5", "IN6"]
    assert "consent_signed" not in " ".join(res.reasons)
    # A false condition decides a conjunction even when another is missing
    r2 = rec(childbearing_potential=True, pregnancy_test_negative=False)
    assert status(r2, "IN7") == "failed"


# ---------------------------------------------------------------------------- types
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("age_years", "64"),
        ("age_years", True),
        ("consent_signed", 1),
        ("consent_signed", "yes"),
        ("diagnosis", 3),
        ("uncontrolled_infection", "no"),
        ("bm_blasts_pct", "12"),
        ("bm_blasts_pct", 120.0),
        ("bm_blasts_pct", -1.0),
        ("relapsed_or_refractory", "true"),
    ],
)
def test_wrong_type_raises_naming_field(field: str, value: Any) -> None:
    with pytest.raises(ValueError, match=field):
        evaluate_eligibility(rec(**{field: value}))


def test_record_must_be_a_mapping() -> None:
    with pytest.raises(ValueError, match="record"):
        evaluate_eligibility([("age_years", 20)])  # type: ignore[arg-type]


def test_to_dict_round_trip() -> None:
    d = evaluate_eligibility(rec(ecog=3)).to_dict()
    assert d["status"] == "not_eligible"
    assert {c["id"] for c in d["criteria"]} >= {"IN1", "EX9"}


def test_judgement_inclusion_criterion() -> None:
    """A judgement inclusion is met when the investigator confirms it (true), failed when not."""
    proto = load_protocol()
    crit = Criterion(
        id="IN9", text="Able to comply.", kind="judgement", confirm_field="able_to_comply",
        source="test",
    )  # fmt: skip
    elig = proto.eligibility.model_copy(update={"inclusion": [*proto.eligibility.inclusion, crit]})
    p2 = proto.model_copy(update={"eligibility": elig})
    assert evaluate_eligibility(rec(able_to_comply=True), p2).status == "eligible"
    assert evaluate_eligibility(rec(able_to_comply=False), p2).status == "not_eligible"
    assert evaluate_eligibility(rec(), p2).missing_fields == ("able_to_comply",)


def test_screening_fields_cover_protocol() -> None:
    fields = {f.name: f for f in screening_fields()}
    assert fields["age_years"].kind == "number"
    assert fields["consent_signed"].kind == "boolean"
    assert set(fields["mrd_assay"].choices) == {"qPCR", "flow", "NGS", "ddPCR"}
    assert fields["last_therapy_half_life_days"].kind == "number"
    assert fields["last_therapy_half_life_days"].used_by == ("IN4b",)
    assert "IN7" in fields["pregnancy_test_hours_before_treatment"].used_by
    proto = load_protocol()
    named = {c.field for cr in proto.eligibility.inclusion for c in cr.check}
    assert named <= set(fields)


# ---------------------------------------------------------------------------- totality
def _value_strategy(field) -> st.SearchStrategy:
    missing = st.sampled_from([None, math.nan, "__absent__"])
    if field.kind == "boolean":
        return st.one_of(missing, st.booleans())
    if field.kind == "text":
        opts = list(field.choices) or ["x"]
        return st.one_of(missing, st.sampled_from([*opts, "other"]))
    if field.name in ("bm_blasts_pct", "pb_blasts_pct"):
        nums = st.one_of(st.sampled_from([0.0, 4.999, 5.0, 19.999, 20.0]), st.floats(0, 100))
    else:
        nums = st.one_of(
            st.integers(0, 200),
            st.sampled_from([0.0, 2.0, 3.0, 14.0, 18.0, 30.0, 72.0, 90.0]),
            st.floats(0, 1e6),
        )
    return st.one_of(missing, nums)


_FIELDS = screening_fields()


@st.composite
def records(draw) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in _FIELDS:
        v = draw(_value_strategy(f))
        if not (isinstance(v, str) and v == "__absent__"):
            out[f.name] = v
    return out


@settings(max_examples=200, deadline=None)
@given(records())
def test_result_is_total(record: dict[str, Any]) -> None:
    res = evaluate_eligibility(record)
    assert res.status in STATUSES
    assert (res.cohort is not None) == (res.status == "eligible")
    if res.status == "eligible":
        assert all(c.status in ("met", "not_applicable") for c in res.criteria)
    elif res.status == "undetermined":
        assert res.reasons and not any(c.status == "failed" for c in res.criteria)
    else:
        assert res.reasons


# ---------------------------------------------------------------------------- registry gaps
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"prior_palliative_drug": "decitabine"}, "met"),
        ({"prior_palliative_drug": "cytarabine"}, "met"),
        ({"prior_palliative_drug": "venetoclax"}, "met"),
        ({"prior_palliative_drug": "flt3_inhibitor"}, "met"),
        ({"prior_palliative_drug": "other"}, "failed"),
        ({"prior_palliative_drug": "none"}, "failed"),
        ({"prior_palliative_drug": "other", "prior_hsct": True, "days_since_hsct": 200}, "met"),
        ({"prior_palliative_drug": "none", "prior_intensive_therapy": True}, "met"),
        ({"prior_palliative_drug": None, "prior_intensive_therapy": None}, "missing"),
        ({"prior_palliative_drug": None, "prior_intensive_therapy": True}, "met"),
    ],
)
def test_prior_line_must_be_a_registered_kind(changes: dict[str, Any], expected: str) -> None:
    """NCT05319249 inclusion 3: >= 1 prior line that is a transplant, intensive therapy, or a
    palliative line with azacitidine, decitabine, cytarabine, venetoclax or an FLT3 inhibitor."""
    assert status(rec(**changes), "IN3") == expected


@pytest.mark.parametrize(
    ("kind", "days", "half_life", "in4a", "in4b"),
    [
        ("non_cytotoxic", 10, 2.0, "not_applicable", "met"),  # exactly 5 half-lives
        ("non_cytotoxic", 9, 2.0, "not_applicable", "failed"),
        ("investigational", 35, 7.0, "not_applicable", "met"),
        ("investigational", 34, 7.0, "not_applicable", "failed"),
        ("non_cytotoxic", 3, 0.5, "not_applicable", "met"),  # short half-life: < 14 days is ok
        ("cytotoxic", 14, None, "met", "not_applicable"),
        ("non_cytotoxic", 30, None, "not_applicable", "missing"),
    ],
)
def test_washout_in_half_lives(
    kind: str, days: int, half_life: float | None, in4a: str, in4b: str
) -> None:
    """Washout (NCT05319249 inclusion 4, protocol parameters): 14 days after cytotoxic therapy,
    5 half-lives (treatment.washout_half_lives) after non-cytotoxic or investigational drugs."""
    r = rec(last_therapy_kind=kind, days_since_last_therapy=days,
            last_therapy_half_life_days=half_life)  # fmt: skip
    assert (status(r, "IN4a"), status(r, "IN4b")) == (in4a, in4b)


def test_washout_half_lives_match_the_treatment_parameter() -> None:
    """IN4b's factor is the protocol's treatment.washout_half_lives (decide once)."""
    p = load_protocol()
    in4b = next(c for c in p.eligibility.inclusion if c.id == "IN4b")
    assert in4b.check[0].value == p.treatment.washout_half_lives == 5


@pytest.mark.parametrize("assay", ["NGS", "ddPCR", "flow", "qPCR"])
def test_molecular_assays_accepted(assay: str) -> None:
    """Registry: MRD by molecular genetics (qPCR, NGS, ddPCR) or flow."""
    r = evaluate_eligibility(mrd(mrd_assay=assay, mrd_reference_assay=assay))
    assert (r.status, r.cohort) == ("eligible", "mrd")


@pytest.mark.parametrize(
    ("changes", "status_", "missing"),
    [
        ({"mrd_reference_material": "peripheral_blood"}, "undetermined",
         ("mrd_reference_material", "mrd_reference_assay")),
        ({"mrd_reference_assay": "flow"}, "undetermined",
         ("mrd_reference_material", "mrd_reference_assay")),
        ({"mrd_material": None}, "undetermined", ("mrd_material",)),
        ({"mrd_material": "peripheral_blood", "mrd_reference_material": "peripheral_blood"},
         "eligible", ()),
    ],
)  # fmt: skip
def test_mrd_rise_within_same_material_and_assay(
    changes: dict[str, Any], status_: str, missing: tuple[str, ...]
) -> None:
    """Heuser 2021: a rise is compared only within the same material and assay; the material
    must be recorded."""
    r = evaluate_eligibility(mrd(**changes))
    assert r.status == status_
    assert r.missing_fields == missing
