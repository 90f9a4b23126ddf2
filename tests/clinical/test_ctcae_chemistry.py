"""CTCAE v5.0 ALT, AST, bilirubin and creatinine grades relative to ULN, at every threshold.

Expected grades are read from the CTCAE v5.0 rows "Alanine aminotransferase increased",
"Aspartate aminotransferase increased", "Blood bilirubin increased" and "Creatinine increased".
"""

import pytest

from nakip.clinical.ctcae import UnknownTermError, grade_uln

ULN = 40.0


@pytest.mark.parametrize("term", ["alt_increased", "ast_increased"])
@pytest.mark.parametrize(
    ("x_uln", "grade"),
    [
        (0.5, 0),
        (1.0, 0),  # "> ULN": exactly ULN is normal
        (1.0001, 1),
        (3.0, 1),  # "> ULN - 3.0 x ULN" includes 3.0
        (3.0001, 2),
        (5.0, 2),
        (5.0001, 3),
        (20.0, 3),
        (20.0001, 4),
    ],
)
def test_transaminases_normal_baseline(term: str, x_uln: float, grade: int) -> None:
    assert grade_uln(term, x_uln * ULN, ULN).grade == grade
    assert grade_uln(term, x_uln * ULN, ULN, baseline_value=ULN).grade == grade


@pytest.mark.parametrize(
    ("x_base", "grade"),
    [(1.4999, 0), (1.5, 1), (3.0, 1), (3.0001, 2), (5.0, 2), (5.0001, 3), (20.0, 3), (20.01, 4)],
)
def test_alt_abnormal_baseline_counts_multiples_of_baseline(x_base: float, grade: int) -> None:
    baseline = 2.0 * ULN  # above ULN: CTCAE v5.0 "if baseline was abnormal"
    g = grade_uln("alt_increased", x_base * baseline, ULN, baseline_value=baseline)
    assert (g.grade, g.basis) == (grade, "baseline")


@pytest.mark.parametrize(
    ("x_uln", "grade"),
    [(1.0, 0), (1.01, 1), (1.5, 1), (1.51, 2), (3.0, 2), (3.01, 3), (10.0, 3), (10.01, 4)],
)
def test_bilirubin_normal_baseline(x_uln: float, grade: int) -> None:
    assert grade_uln("bilirubin_increased", x_uln * 1.2, 1.2).grade == grade


@pytest.mark.parametrize(
    ("x_base", "grade"),
    [(1.0, 0), (1.01, 1), (1.5, 1), (1.51, 2), (3.0, 2), (3.01, 3), (10.0, 3), (10.01, 4)],
)
def test_bilirubin_abnormal_baseline(x_base: float, grade: int) -> None:
    base = 1.5 * 1.2
    assert grade_uln("bilirubin_increased", x_base * base, 1.2, baseline_value=base).grade == grade


@pytest.mark.parametrize(
    ("x_uln", "grade"),
    [(1.0, 0), (1.01, 1), (1.5, 1), (1.51, 2), (3.0, 2), (3.01, 3), (6.0, 3), (6.01, 4)],
)
def test_creatinine_by_uln(x_uln: float, grade: int) -> None:
    assert grade_uln("creatinine_increased", x_uln * 1.1, 1.1).grade == grade


@pytest.mark.parametrize(("x_base", "grade"), [(1.5, 0), (1.51, 2), (3.0, 2), (3.01, 3)])
def test_creatinine_by_baseline_when_worse(x_base: float, grade: int) -> None:
    base = 0.3  # low baseline: the x-baseline rows give the higher grade
    g = grade_uln("creatinine_increased", x_base * base, 1.1, baseline_value=base)
    assert g.grade == grade


def test_creatinine_takes_the_worse_of_the_two_rows() -> None:
    # 4.0 x ULN is grade 3 by ULN; 1.6 x baseline alone would be grade 2.
    g = grade_uln("creatinine_increased", 4.4, 1.1, baseline_value=2.75)
    assert (g.grade, g.basis) == (3, "uln")


def test_bad_input_names_the_field() -> None:
    with pytest.raises(ValueError, match="uln"):
        grade_uln("alt_increased", 50, 0)
    with pytest.raises(ValueError, match="value"):
        grade_uln("alt_increased", float("nan"), 40)
    with pytest.raises(UnknownTermError, match="term"):
        grade_uln("ggt_increased", 50, 40)
