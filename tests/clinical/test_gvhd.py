"""MAGIC acute GVHD stages and grade (Harris et al., BBMT 2016;22:4, Tables 1-2) at every
boundary."""

import pytest

from nakip.clinical.gvhd import (
    liver_stage,
    lower_gi_stage,
    overall_grade,
    skin_stage,
    stage_gvhd,
    upper_gi_stage,
)


@pytest.mark.parametrize(
    ("rash", "bullae", "stage"),
    [
        (0, 0, 0),
        (0.1, 0, 1),
        (24.9, 0, 1),
        (25, 0, 2),
        (50, 0, 2),
        (50.1, 0, 3),
        (100, 5, 3),
        (100, 5.1, 4),
        (50, 10, 2),
    ],
)
def test_skin(rash: float, bullae: float, stage: int) -> None:
    assert skin_stage(rash, bullae) == stage


@pytest.mark.parametrize(
    ("bili", "stage"),
    [(1.99, 0), (2.0, 1), (3.0, 1), (3.01, 2), (6.0, 2), (6.01, 3), (15.0, 3), (15.01, 4)],
)
def test_liver(bili: float, stage: int) -> None:
    assert liver_stage(bili) == stage


def test_liver_umol() -> None:
    assert liver_stage(34.2, "umol/L") == 1  # 2.0 mg/dL
    with pytest.raises(ValueError, match="unit"):
        liver_stage(2, "mmol/L")


def test_upper_gi() -> None:
    assert (upper_gi_stage(False), upper_gi_stage(True)) == (0, 1)


@pytest.mark.parametrize(
    ("ml", "stage"), [(499, 0), (500, 1), (999, 1), (1000, 2), (1500, 2), (1501, 3)]
)
def test_lower_gi_volume(ml: float, stage: int) -> None:
    assert lower_gi_stage(ml) == stage


@pytest.mark.parametrize(("ep", "stage"), [(2, 0), (3, 1), (4, 1), (5, 2), (7, 2), (8, 3)])
def test_lower_gi_episodes(ep: float, stage: int) -> None:
    assert lower_gi_stage(None, ep) == stage


def test_lower_gi_severe_is_stage_4_and_higher_of_volume_or_episodes() -> None:
    assert lower_gi_stage(100, 1, severe_pain_ileus_or_bloody_stool=True) == 4
    assert lower_gi_stage(600, 8) == 3
    with pytest.raises(ValueError, match="stool_ml_per_day"):
        lower_gi_stage()


@pytest.mark.parametrize(
    ("stages", "grade"),
    [
        ((0, 0, 0, 0), 0),
        ((1, 0, 0, 0), 1),
        ((2, 0, 0, 0), 1),
        ((3, 0, 0, 0), 2),
        ((0, 1, 0, 0), 2),
        ((0, 0, 1, 0), 2),
        ((0, 0, 0, 1), 2),
        ((3, 1, 1, 1), 2),
        ((0, 2, 0, 0), 3),
        ((0, 0, 0, 3), 3),
        ((3, 3, 1, 3), 3),
        ((4, 0, 0, 0), 4),
        ((0, 4, 0, 0), 4),
        ((0, 0, 1, 4), 4),
    ],
)
def test_overall_grade(stages: tuple[int, int, int, int], grade: int) -> None:
    assert overall_grade(*stages).grade == grade


def test_stage_gvhd_and_bad_stage() -> None:
    r = stage_gvhd(30, 2.5, False, stool_ml_per_day=200)
    assert (r.skin, r.liver, r.lower_gi, r.grade_name) == (2, 1, 0, "II")
    with pytest.raises(ValueError, match="upper_gi"):
        overall_grade(0, 0, 2, 0)
