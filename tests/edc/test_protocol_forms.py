"""The CRF definitions in the protocol fit the eligibility rules, the schedule and the treatment."""

from __future__ import annotations

from nakip.clinical.eligibility import screening_fields
from nakip.protocol import load_protocol

NEEDED = {
    "screening", "haematology", "marrow", "emd", "mrd", "talazoparib", "nk_infusion",
    "adverse_event", "crs", "icans", "follow_up", "end_of_study",
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
