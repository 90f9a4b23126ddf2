"""CTCAE v5.0 blood-count grades at every threshold (expected grades read from the CTCAE v5.0
table, NCI 27 Nov 2017, as transcribed in docs/clinical-rules.md), unit conversion and errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nakip.clinical.ctcae import (
    TERMS,
    UnknownTermError,
    UnknownUnitError,
    febrile_neutropenia,
    grade_change,
    grade_lab,
    to_standard_unit,
    worsened_from_baseline,
)

# (term, value in 10^9/L or g/dL, LLN, expected grade) straight from the CTCAE v5.0 table.
TABLE_CASES = [
    # neutrophil count decreased: <LLN-1.5 | <1.5-1.0 | <1.0-0.5 | <0.5
    ("neutrophil_count_decreased", 2.0, 2.0, 0),
    ("neutrophil_count_decreased", 1.999, 2.0, 1),
    ("neutrophil_count_decreased", 1.5, 2.0, 1),
    ("neutrophil_count_decreased", 1.499, 2.0, 2),
    ("neutrophil_count_decreased", 1.0, 2.0, 2),
    ("neutrophil_count_decreased", 0.999, 2.0, 3),
    ("neutrophil_count_decreased", 0.5, 2.0, 3),
    ("neutrophil_count_decreased", 0.499, 2.0, 4),
    ("neutrophil_count_decreased", 0.0, 2.0, 4),
    # platelet count decreased: <LLN-75 | <75-50 | <50-25 | <25
    ("platelet_count_decreased", 150, 150, 0),
    ("platelet_count_decreased", 149, 150, 1),
    ("platelet_count_decreased", 75, 150, 1),
    ("platelet_count_decreased", 74.9, 150, 2),
    ("platelet_count_decreased", 50, 150, 2),
    ("platelet_count_decreased", 49.9, 150, 3),
    ("platelet_count_decreased", 25, 150, 3),
    ("platelet_count_decreased", 24.9, 150, 4),
    # white blood cell decreased: <LLN-3.0 | <3.0-2.0 | <2.0-1.0 | <1.0
    ("wbc_decreased", 4.0, 4.0, 0),
    ("wbc_decreased", 3.0, 4.0, 1),
    ("wbc_decreased", 2.99, 4.0, 2),
    ("wbc_decreased", 2.0, 4.0, 2),
    ("wbc_decreased", 1.99, 4.0, 3),
    ("wbc_decreased", 1.0, 4.0, 3),
    ("wbc_decreased", 0.99, 4.0, 4),
    # lymphocyte count decreased [recalled]: <LLN-0.8 | <0.8-0.5 | <0.5-0.2 | <0.2
    ("lymphocyte_count_decreased", 1.0, 1.0, 0),
    ("lymphocyte_count_decreased", 0.8, 1.0, 1),
    ("lymphocyte_count_decreased", 0.79, 1.0, 2),
    ("lymphocyte_count_decreased", 0.5, 1.0, 2),
    ("lymphocyte_count_decreased", 0.49, 1.0, 3),
    ("lymphocyte_count_decreased", 0.2, 1.0, 3),
    ("lymphocyte_count_decreased", 0.19, 1.0, 4),
    # anaemia (Hb g/dL): <LLN-10.0 | <10.0-8.0 | <8.0 | life-threatening (not from a value)
    ("anemia", 12.0, 12.0, 0),
    ("anemia", 11.9, 12.0, 1),
    ("anemia", 10.0, 12.0, 1),
    ("anemia", 9.99, 12.0, 2),
    ("anemia", 8.0, 12.0, 2),
    ("anemia", 7.99, 12.0, 3),
    ("anemia", 3.0, 12.0, 3),
]


@pytest.mark.parametrize(("term", "value", "lln", "grade"), TABLE_CASES)
def test_grade_at_every_threshold(term: str, value: float, lln: float, grade: int) -> None:
    unit = "g/dL" if term == "anemia" else "10^9/L"
    assert grade_lab(term, value, unit, lln).grade == grade


def test_rounding_makes_float_noise_hit_the_threshold() -> None:
    # 0.7 + 0.2 + 0.1 = 0.9999999999999999 in binary floating point: still 1.0 -> grade 2, not 3
    assert 0.7 + 0.2 + 0.1 < 1.0
    assert grade_lab("neutrophil_count_decreased", 0.7 + 0.2 + 0.1, "G/L").grade == 2
    # 1,500/uL / 1000 = 1.5 exactly: not grade 2
    assert grade_lab("neutrophil_count_decreased", 1500, "/uL", 2000).grade == 1


@pytest.mark.parametrize(
    ("unit", "value", "expected"),
    [
        ("10^9/L", 1.2, 1.2),
        ("x10^9/L", 1.2, 1.2),
        ("×10⁹/L", 1.2, 1.2),
        ("10E9/L", 1.2, 1.2),
        ("10**9/L", 1.2, 1.2),
        ("G/L", 1.2, 1.2),
        ("Gpt/L", 1.2, 1.2),
        ("/nL", 1.2, 1.2),
        ("10^3/µL", 1.2, 1.2),
        ("K/uL", 1.2, 1.2),
        ("/uL", 1200, 1.2),
        ("/µl", 1200, 1.2),
        ("cells/uL", 1200, 1.2),
        ("/mm3", 1200, 1.2),
        ("/mm³", 1200, 1.2),
    ],
)
def test_count_units(unit: str, value: float, expected: float) -> None:
    assert to_standard_unit("neutrophil_count_decreased", value, unit) == pytest.approx(expected)


def test_haemoglobin_units() -> None:
    assert to_standard_unit("anemia", 95, "g/L") == pytest.approx(9.5)
    assert to_standard_unit("anemia", 9.5, "g/dl") == pytest.approx(9.5)
    # Hb mmol/L is never converted: CTCAE v5.0 prints its own mmol/L cut-offs
    with pytest.raises(UnknownUnitError, match="own mmol/L cut-offs"):
        to_standard_unit("anemia", 5.0, "mmol/L")
    assert grade_lab("anemia", 5.0, "mmol/L").grade == 2
    assert grade_lab("anemia", 80, "g/L").grade == 2  # exactly 8.0 g/dL
    assert grade_lab("anemia", 79, "g/L").grade == 3


def test_lln_in_its_own_unit() -> None:
    # Hb 105 g/L with LLN 12 g/dL -> 10.5 < 12 -> grade 1
    assert grade_lab("anemia", 105, "g/L", lln=12, lln_unit="g/dL").grade == 1
    # LLN defaults to the value's unit: 120 g/L
    assert grade_lab("anemia", 105, "g/L", lln=120).grade == 1
    assert grade_lab("anemia", 125, "g/L", lln=120).grade == 0


def test_grades_2_to_4_are_absolute_even_when_lln_is_lower() -> None:
    # A lab LLN below the grade-2 ceiling (e.g. ANC LLN 1.4): CTCAE grades 2-4 are absolute.
    assert grade_lab("neutrophil_count_decreased", 1.45, "G/L", lln=1.4).grade == 2
    assert grade_lab("neutrophil_count_decreased", 1.5, "G/L", lln=1.4).grade == 0


def test_unknown_unit_names_unit_and_accepted() -> None:
    with pytest.raises(UnknownUnitError) as exc:
        grade_lab("neutrophil_count_decreased", 1.0, "mg/dL")
    msg = str(exc.value)
    assert "'mg/dL'" in msg and "10^9/L" in msg and "/uL" in msg
    with pytest.raises(UnknownUnitError, match="g/dL, g/L, mmol/L"):
        grade_lab("anemia", 9, "/uL")
    assert issubclass(UnknownUnitError, ValueError)


def test_unknown_term_and_aliases() -> None:
    with pytest.raises(UnknownTermError, match="known: neutrophil_count_decreased"):
        grade_lab("creatinine increased", 1.0, "mg/dL")
    assert grade_lab("Anaemia", 7, "g/dL").term == "anemia"
    assert grade_lab("Neutrophil count decreased", 0.4, "G/L").grade == 4


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "1.0", True, None])
def test_bad_value_names_field(bad: object) -> None:
    with pytest.raises(ValueError, match="value"):
        grade_lab("neutrophil_count_decreased", bad, "G/L")  # type: ignore[arg-type]


def test_bad_lln_names_field() -> None:
    with pytest.raises(ValueError, match="lln"):
        grade_lab("neutrophil_count_decreased", 1.0, "G/L", lln=0)


def test_without_lln_grade_0_or_1_is_none_with_query() -> None:
    r = grade_lab("neutrophil_count_decreased", 1.5, "G/L")
    assert r.grade is None
    assert r.query is not None and "LLN" in r.query
    assert "LLN unknown" in r.rule
    # grades 2-4 never need the LLN
    assert grade_lab("neutrophil_count_decreased", 1.49, "G/L").grade == 2
    assert grade_lab("neutrophil_count_decreased", 1.49, "G/L").query is None


def test_anaemia_capped_at_3_and_says_so() -> None:
    r = grade_lab("anemia", 4.0, "g/dL", 12)
    assert r.grade == 3
    assert "grade 4" in r.rule and "cannot come from a value" in r.rule


def test_rule_cites_ctcae_and_soc() -> None:
    assert grade_lab("platelet_count_decreased", 10, "G/L").rule.startswith(
        "CTCAE v5.0 Investigations"
    )
    assert "Blood and lymphatic system disorders" in grade_lab("anemia", 7, "g/dL").rule
    assert grade_lab("anemia", 7, "g/dL").to_dict()["grade"] == 3


@pytest.mark.parametrize(
    ("anc", "temp", "sustained", "expected"),
    [
        (0.99, 38.4, False, True),  # single temperature > 38.3
        (0.99, 38.3, False, False),  # exactly 38.3 is not > 38.3
        (0.99, 38.3, True, True),  # but >= 38.0 sustained > 1 h
        (0.99, 38.0, True, True),  # exactly 38.0 sustained
        (0.99, 37.9, True, False),
        (1.0, 39.5, True, False),  # ANC exactly 1.0 is not < 1.0
        (0.2, 38.0, False, False),
    ],
)
def test_febrile_neutropenia(anc: float, temp: float, sustained: bool, expected: bool) -> None:
    assert febrile_neutropenia(anc, temp, sustained) is expected


def test_febrile_neutropenia_units_and_bad_input() -> None:
    assert febrile_neutropenia(990, 38.5, anc_unit="/uL") is True
    assert febrile_neutropenia(1000, 38.5, anc_unit="/uL") is False
    with pytest.raises(ValueError, match="temperature_c"):
        febrile_neutropenia(0.5, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="temperature_c"):
        febrile_neutropenia(0.5, 100.4)  # Fahrenheit by mistake
    with pytest.raises(ValueError, match="sustained_1h"):
        febrile_neutropenia(0.5, 38.1, "yes")  # type: ignore[arg-type]


def test_worsened_from_baseline() -> None:
    assert worsened_from_baseline(3, 4) is True
    assert worsened_from_baseline(4, 4) is False
    assert worsened_from_baseline(4, 3) is False
    assert worsened_from_baseline(0, 1) is True
    with pytest.raises(ValueError, match="baseline_grade"):
        worsened_from_baseline(None, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="grade"):
        worsened_from_baseline(1, 6)


def test_grade_change() -> None:
    ch = grade_change("platelet_count_decreased", 60, 20, "G/L", lln=150)
    assert (ch.baseline.grade, ch.current.grade, ch.worsened) == (2, 4, True)
    same = grade_change("platelet_count_decreased", 20, 10, "G/L")
    assert same.worsened is False  # grade 4 stays grade 4
    # baseline 0/1 unknown (no LLN), current grade 2: worse either way
    assert grade_change("neutrophil_count_decreased", 1.8, 1.2, "G/L").worsened is True
    # both 0/1 unknown: undecidable
    assert grade_change("neutrophil_count_decreased", 1.8, 1.6, "G/L").worsened is None
    assert grade_change("neutrophil_count_decreased", 1.2, 1.8, "G/L").worsened is False


# Brute-force reference grader written independently from the table (no rounding tricks:
# values are drawn on a 0.001 grid so comparisons are exact in decimal).
_REF = {
    "neutrophil_count_decreased": (1.5, 1.0, 0.5),
    "platelet_count_decreased": (75, 50, 25),
    "wbc_decreased": (3.0, 2.0, 1.0),
    "lymphocyte_count_decreased": (0.8, 0.5, 0.2),
}


@given(
    term=st.sampled_from(sorted(_REF)),
    milli=st.integers(min_value=0, max_value=200_000),
    lln_milli=st.integers(min_value=1, max_value=200_000),
)
def test_matches_brute_force_reference(term: str, milli: int, lln_milli: int) -> None:
    v, lln = milli / 1000, lln_milli / 1000
    g2, g3, g4 = _REF[term]
    expected = 4 if v < g4 else 3 if v < g3 else 2 if v < g2 else 1 if v < lln else 0
    assert grade_lab(term, v, "G/L", lln).grade == expected


@given(
    term=st.sampled_from(sorted(TERMS)),
    a=st.floats(min_value=0, max_value=500, allow_nan=False),
    b=st.floats(min_value=0, max_value=500, allow_nan=False),
    lln=st.floats(min_value=0.01, max_value=500, allow_nan=False),
)
def test_grade_monotone_non_increasing_in_value(term: str, a: float, b: float, lln: float) -> None:
    unit = "g/dL" if term == "anemia" else "G/L"
    lo, hi = sorted((a, b))
    g_lo, g_hi = grade_lab(term, lo, unit, lln).grade, grade_lab(term, hi, unit, lln).grade
    assert g_lo is not None and g_hi is not None
    assert g_hi <= g_lo


def test_grade_is_integer_or_none_only_above_grade_2() -> None:
    for term in TERMS:
        unit = "g/dL" if term == "anemia" else "G/L"
        ceiling = TERMS[term].grade2_below
        assert grade_lab(term, ceiling, unit).grade is None
        assert grade_lab(term, math.nextafter(ceiling, 0) - 1e-6, unit).grade == 2


@pytest.mark.parametrize(
    ("value", "lln", "grade"),
    [
        (6.2, 7.4, 1),  # CTCAE v5.0 Anemia grade 1: < LLN - 6.2 mmol/L (x 1.611 = 9.99: grade 2)
        (6.2, None, None),  # 6.2 is not grade 2; grade 1 needs the LLN
        (6.19, None, 2),
        (4.9, None, 2),  # grade 2: < 6.2 - 4.9 mmol/L (x 1.611 = 7.89: grade 3)
        (4.89, None, 3),  # grade 3: < 4.9 mmol/L
        (7.5, 7.4, 0),
    ],
)
def test_haemoglobin_mmol_uses_ctcae_own_cutoffs(
    value: float, lln: float | None, grade: int | None
) -> None:
    """CTCAE v5.0 Anemia, mmol/L column: 6.2 mmol/L is grade 1 and 4.9 grade 2."""
    g = grade_lab("anemia", value, "mmol/L", lln)
    assert g.grade == grade
    assert (g.value_std, g.unit_std) == (value, "mmol/L")


def test_haemoglobin_mmol_lln_in_another_unit_is_refused() -> None:
    with pytest.raises(UnknownUnitError, match="lln_unit"):
        grade_lab("anemia", 6.0, "mmol/L", 12.0, "g/dL")
