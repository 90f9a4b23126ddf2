"""The CRF definitions in the protocol fit the eligibility rules, the schedule and the treatment."""

from __future__ import annotations

from nakip.clinical.eligibility import screening_fields
from nakip.protocol import load_protocol

NEEDED = {
    "screening", "haematology", "marrow", "emd", "mrd", "talazoparib", "nk_infusion",
    "adverse_event", "crs", "icans", "follow_up", "end_of_study",
    # amendment 2 (issue 12)
    "concomitant_medication", "lymphodepletion", "il2", "chemistry", "gvhd", "eln_risk",
    "donor", "sae_report", "deviation",
}  # fmt: skip


def test_every_form_needed_is_defined() -> None:
    assert {f.code for f in load_protocol().current_forms()} == NEEDED


def test_screening_form_has_every_eligibility_field() -> None:
    proto = load_protocol()
    names = {f.name for f in proto.form("screening").fields}
    needed = {f.name for f in screening_fields(proto)}
    assert needed <= names, sorted(needed - names)


def test_schedule_names_defined_forms() -> None:
    proto = load_protocol()
    known = {f.code for f in proto.forms}
    for v in proto.schedule.visits:
        assert set(v.forms) <= known
    assert set(proto.schedule.follow_up.forms) <= known


def test_talazoparib_dose_choices_are_the_dose_levels() -> None:
    proto = load_protocol()
    field = next(f for f in proto.form("talazoparib").fields if f.name == "daily_dose_mg")
    assert [float(c) for c in field.choices] == proto.treatment.talazoparib.dose_levels_mg


def test_ae_has_no_dlt_field_and_five_point_attribution() -> None:
    ae = load_protocol().form("adverse_event")
    names = {f.name for f in ae.fields}
    assert not any("dlt" in n for n in names)
    for name in ("attribution_talazoparib", "attribution_nk"):
        f = next(f for f in ae.fields if f.name == name)
        assert f.choices == ["unrelated", "unlikely", "possible", "probable", "definite"]
    grade = next(f for f in ae.fields if f.name == "ctcae_grade")
    assert (grade.min, grade.max) == (1, 5)


def test_crs_icans_have_signs_not_grades() -> None:
    proto = load_protocol()
    for code in ("crs", "icans"):
        assert not any("grade" in f.name for f in proto.form(code).fields)


def test_form_model_rejects_bad_cross_references() -> None:
    import pytest
    from pydantic import ValidationError

    from nakip.protocol.model import Condition, FormDefinition, FormField

    text = FormField(name="t", label="T", type="text")
    with pytest.raises(ValidationError, match="not_before"):
        FormDefinition(
            code="f", version=1, title="F",
            fields=[text, FormField(name="d", label="D", type="date", not_before="t")],
        )  # fmt: skip
    with pytest.raises(ValidationError, match="required_if"):
        FormDefinition(
            code="f", version=1, title="F",
            fields=[FormField(name="d", label="D", type="date",
                              required_if=[Condition(field="nope", op="==", value=1)])],
        )  # fmt: skip


def test_adverse_event_terms_are_the_ctcae_list_with_other() -> None:
    """The AE term choices are exactly the shipped CTCAE v5.0 list (each with its SOC) + OTHER."""
    from nakip.clinical.ctcae_terms import OTHER, TERM_SOC

    field = next(f for f in load_protocol().form("adverse_event").fields if f.name == "term")
    assert field.choices == [*TERM_SOC, OTHER]
    assert len(TERM_SOC) >= 40


def test_new_forms_have_labels_units_and_ranges() -> None:
    """Every numeric field of the amendment-2 forms has hard limits; measured values a unit."""
    proto = load_protocol()
    for code in ("lymphodepletion", "il2", "chemistry", "gvhd", "donor"):
        for f in proto.form(code).fields:
            assert f.label
            if f.type in ("integer", "decimal"):
                assert f.min is not None and f.max is not None, (code, f.name)
    chem = {f.name: f for f in proto.form("chemistry").fields}
    for lab in ("alt", "ast", "bilirubin", "creatinine"):
        assert chem[lab].unit == chem[f"{lab}_uln"].unit  # ULN per value, same unit
