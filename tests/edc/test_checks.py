"""Edit checks of form values against the protocol's form definitions (pure, no database)."""

from __future__ import annotations

from datetime import date

import pytest

from nakip.edc.checks import check_dates, condition_holds, validate_values
from nakip.protocol import load_protocol
from nakip.protocol.model import Condition, FormDefinition, FormField


def _form(*fields: FormField) -> FormDefinition:
    return FormDefinition(code="t", version=1, title="t", fields=list(fields))


NUM = FormField(name="x", label="X", type="decimal", unit="%", min=0, max=100, soft_max=50)


@pytest.mark.parametrize(
    ("value", "ok"),
    [(0, True), (100, True), (100.0000001, False), (-0.0001, False), ("55,5", True)],
)
def test_min_max_inclusive(value: object, ok: bool) -> None:
    res = validate_values(_form(NUM), {"x": value})
    assert res.ok is ok
    if not ok:
        assert res.errors["x"][0].startswith(("must be at least", "must be at most"))


@pytest.mark.parametrize(("value", "soft"), [(50, False), (50.01, True), (49, False)])
def test_soft_max_is_strict(value: float, soft: bool) -> None:
    res = validate_values(_form(NUM), {"x": value})
    assert res.ok
    assert bool(res.soft) is soft


@pytest.mark.parametrize(
    ("ftype", "raw", "stored"),
    [
        ("integer", "7", 7),
        ("integer", 7.0, 7),
        ("decimal", "1.5", 1.5),
        ("boolean", "yes", True),
        ("boolean", "off", False),
        ("date", "2026-02-01", "2026-02-01"),
        ("date", date(2026, 2, 1), "2026-02-01"),
        ("text", "  hi ", "hi"),
    ],
)
def test_coercion(ftype: str, raw: object, stored: object) -> None:
    res = validate_values(_form(FormField(name="f", label="F", type=ftype)), {"f": raw})
    assert res.ok and res.values == {"f": stored}


@pytest.mark.parametrize(
    ("ftype", "raw"),
    [
        ("integer", "7.5"),
        ("integer", True),
        ("decimal", "abc"),
        ("decimal", float("nan")),
        ("decimal", 10**400),  # too large for a float: a field error, not an OverflowError
        ("boolean", "maybe"),
        ("date", "2026-02-30"),
        ("date", "01.02.2026"),
        ("text", 5),
    ],
)
def test_type_errors(ftype: str, raw: object) -> None:
    res = validate_values(_form(FormField(name="f", label="F", type=ftype)), {"f": raw})
    assert list(res.errors) == ["f"]


def test_choice_and_blank_and_unknown() -> None:
    f = FormField(name="c", label="C", type="choice", choices=["a", "b"], required=True)
    assert validate_values(_form(f), {"c": "a"}).ok
    assert validate_values(_form(f), {"c": "z"}).errors["c"][0].startswith("expected one of")
    assert validate_values(_form(f), {"c": "  "}).errors == {"c": ["this field is required"]}
    assert "zz" in validate_values(_form(f), {"c": "a", "zz": 1}).errors


def test_required_if_all_conditions() -> None:
    flag = FormField(name="flag", label="Flag", type="boolean")
    dep = FormField(
        name="dep",
        label="Dep",
        type="integer",
        required_if=[Condition(field="flag", op="==", value=True)],
    )
    form = _form(flag, dep)
    assert "dep" in validate_values(form, {"flag": True}).errors
    assert validate_values(form, {"flag": False}).ok
    assert validate_values(form, {}).ok


def test_condition_missing_field_never_holds() -> None:
    assert not condition_holds(Condition(field="a", op="!=", value=1), {})
    assert condition_holds(Condition(field="a", op="in", value=[1, 2]), {"a": 2})


def test_dates_against_consent_and_death() -> None:
    form = load_protocol().form("haematology")
    values = {"sample_date": "2026-01-04"}
    errs = check_dates(form, values, date(2026, 1, 5), None)
    assert "before informed consent" in errs["sample_date"][0]
    assert check_dates(form, {"sample_date": "2026-01-05"}, date(2026, 1, 5), None) == {}
    assert check_dates(form, {"sample_date": "2026-03-02"}, None, date(2026, 3, 1))
    assert check_dates(form, {"sample_date": "2026-03-01"}, None, date(2026, 3, 1)) == {}
