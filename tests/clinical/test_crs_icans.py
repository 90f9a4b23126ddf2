"""ASTCT 2019 CRS and adult ICANS grades at every boundary (Lee et al., BBMT 2019;25:625,
Tables 2, 4 and 5, as transcribed in docs/clinical-rules.md)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nakip.clinical.crs_icans import (
    CRSSigns,
    ICANSSigns,
    grade_crs,
    grade_icans,
    hypotension_level,
    ice_grade,
    ice_score,
    oxygen_hypoxia_level,
)

HYPOTENSION = ["none", "no_vasopressor", "one_vasopressor", "multiple_vasopressors"]
HYPOXIA = ["none", "low_flow", "high_flow", "positive_pressure"]


# ------------------------------------------------------------------------------------ CRS
@pytest.mark.parametrize(
    ("fever", "treated", "hypot", "hypox", "grade"),
    [
        (38.0, False, "none", "none", 1),  # fever exactly 38.0 counts
        (37.99, False, "none", "none", 0),
        (37.99, False, "one_vasopressor", "high_flow", 0),  # no fever, untreated: no CRS
        (None, False, "multiple_vasopressors", "none", None),  # no temperature: cannot grade
        (39.0, False, "no_vasopressor", "none", 2),
        (39.0, False, "none", "low_flow", 2),
        (39.0, False, "one_vasopressor", "none", 3),
        (39.0, False, "none", "high_flow", 3),
        (39.0, False, "multiple_vasopressors", "none", 4),
        (39.0, False, "none", "positive_pressure", 4),
        (39.0, False, "no_vasopressor", "high_flow", 3),  # worse of the two
        (39.0, False, "one_vasopressor", "low_flow", 3),
        (39.0, False, "no_vasopressor", "positive_pressure", 4),
        (37.0, True, "one_vasopressor", "none", 0),  # premedication waives no fever at onset
        (37.0, True, "none", "low_flow", 0),  # premedication + low-flow O2, no fever: not 2
        (None, True, "none", "low_flow", None),
        (38.5, True, "none", "none", 1),
    ],
)
def test_crs_grade_at_onset(fever, treated, hypot, hypox, grade) -> None:
    """Lee 2019 Table 4: fever >= 38 C is required at onset; antipyretics or premedication
    before an established episode do not replace it; no temperature -> cannot grade."""
    assert grade_crs(CRSSigns(fever, treated, hypot, hypox)).grade == grade


@pytest.mark.parametrize(
    ("fever", "treated", "hypot", "hypox", "grade"),
    [
        (37.0, True, "one_vasopressor", "none", 3),  # established, fever masked by treatment
        (36.5, True, "none", "low_flow", 2),
        (None, True, "none", "low_flow", 2),  # fever not needed once waived
        (37.0, True, "none", "none", 0),  # treated, no sign left
        (None, True, "none", "none", None),  # nothing to grade from
        (37.0, False, "one_vasopressor", "none", 0),  # established but not treated: no waiver
        (39.0, True, "none", "high_flow", 3),
    ],
)
def test_crs_grade_in_an_established_episode(fever, treated, hypot, hypox, grade) -> None:
    """Lee 2019 Table 4 footnote: once CRS is established (fever earlier in the episode) and
    antipyretic or anti-cytokine therapy was given, fever is no longer required."""
    signs = CRSSigns(fever, treated, hypot, hypox, episode_established=True)
    assert grade_crs(signs).grade == grade


def test_crs_death_is_grade_5() -> None:
    r = grade_crs(CRSSigns(39.5, False, "multiple_vasopressors", "positive_pressure", True))
    assert r.grade == 5 and "death" in r.rule


def test_crs_rule_and_missing() -> None:
    r = grade_crs(CRSSigns(None, False))
    assert r.grade is None and r.missing == ("fever_c",)
    assert "cannot grade" in r.rule and "no temperature recorded" in r.rule
    r2 = grade_crs(CRSSigns(39.0, False, "none", "high_flow"))
    assert "hypoxia high flow" in r2.rule and r2.to_dict()["grade"] == 3
    r3 = grade_crs(CRSSigns(37.2, True, "none", "low_flow"))
    assert r3.grade == 0 and "premedication" in r3.rule


@pytest.mark.parametrize(
    ("signs", "field"),
    [
        (CRSSigns(39.0, False, "pressors"), "hypotension"),  # type: ignore[arg-type]
        (CRSSigns(39.0, False, "none", "mask"), "hypoxia"),  # type: ignore[arg-type]
        (CRSSigns("39", False), "fever_c"),  # type: ignore[arg-type]
        (CRSSigns(102.0, False), "fever_c"),  # Fahrenheit by mistake
        (CRSSigns(39.0, 1), "antipyretics_or_anticytokine_given"),  # type: ignore[arg-type]
        (CRSSigns(39.0, episode_established=1), "episode_established"),  # type: ignore[arg-type]
    ],
)
def test_crs_bad_input_names_field(signs: CRSSigns, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        grade_crs(signs)


@pytest.mark.parametrize(
    ("device", "flow", "level"),
    [
        ("nasal_cannula", 6.0, "low_flow"),  # exactly 6 L/min is low flow (grade 2)
        ("nasal cannula", 6.000000000001, "low_flow"),  # float noise rounds to 6
        ("nasal_cannula", 6.1, "high_flow"),  # > 6 L/min is high flow (grade 3)
        ("nasal_cannula", 2, "low_flow"),
        ("blow-by", None, "low_flow"),
        ("facemask", None, "high_flow"),
        ("non_rebreather", None, "high_flow"),
        ("Venturi", None, "high_flow"),
        ("high_flow_nasal_cannula", 40, "high_flow"),
        ("CPAP", None, "positive_pressure"),
        ("BiPAP", None, "positive_pressure"),
        ("mechanical_ventilation", None, "positive_pressure"),
        ("room air", None, "none"),
    ],
)
def test_oxygen_level(device: str, flow: float | None, level: str) -> None:
    assert oxygen_hypoxia_level(device, flow) == level


def test_oxygen_6_vs_more_than_6_gives_grade_2_vs_3() -> None:
    at6 = grade_crs(CRSSigns(38.5, False, "none", oxygen_hypoxia_level("nasal_cannula", 6)))
    above6 = grade_crs(CRSSigns(38.5, False, "none", oxygen_hypoxia_level("nasal_cannula", 7)))
    assert (at6.grade, above6.grade) == (2, 3)


def test_oxygen_bad_input() -> None:
    with pytest.raises(ValueError, match="flow_l_min"):
        oxygen_hypoxia_level("nasal_cannula")
    with pytest.raises(ValueError, match="device"):
        oxygen_hypoxia_level("tent")


def test_hypotension_level() -> None:
    assert hypotension_level(False) == "none"
    assert hypotension_level(True) == "no_vasopressor"
    assert hypotension_level(True, 1) == "one_vasopressor"
    assert hypotension_level(True, 2) == "multiple_vasopressors"
    with pytest.raises(ValueError, match="vasopressors"):
        hypotension_level(False, 1)
    with pytest.raises(ValueError, match="vasopressors"):
        hypotension_level(True, -1)


@given(
    fever=st.floats(min_value=35.0, max_value=42.0),
    treated=st.booleans(),
    established=st.booleans(),
    i=st.integers(0, 3),
    j=st.integers(0, 3),
)
def test_crs_monotone_in_each_sign(fever, treated, established, i, j) -> None:
    """Worsening any one sign never lowers the grade (a temperature is recorded, so a grade
    always exists)."""

    def g(f: float, t: bool, h: int, o: int) -> int:
        grade = grade_crs(CRSSigns(f, t, HYPOTENSION[h], HYPOXIA[o], False, established)).grade
        assert grade is not None
        return grade

    base = g(fever, treated, i, j)
    if i < 3:
        assert g(fever, treated, i + 1, j) >= base
    if j < 3:
        assert g(fever, treated, i, j + 1) >= base
    assert g(max(fever, 38.0) + 0.5, treated, i, j) >= base
    if established:
        assert g(fever, True, i, j) >= base


def test_crs_brute_force_table() -> None:
    """Every hypotension x hypoxia pair with fever: grade = max of the table entries."""
    hyp_g = {"none": 1, "no_vasopressor": 2, "one_vasopressor": 3, "multiple_vasopressors": 4}
    oxy_g = {"none": 1, "low_flow": 2, "high_flow": 3, "positive_pressure": 4}
    for h, o in itertools.product(HYPOTENSION, HYPOXIA):
        assert grade_crs(CRSSigns(38.0, False, h, o)).grade == max(hyp_g[h], oxy_g[o])


# ------------------------------------------------------------------------------------ ICANS
def test_ice_score_from_domains() -> None:
    assert ice_score(4, 3, 1, 1, 1) == 10
    assert ice_score(0, 0, 0, 0, 0) == 0
    assert ice_score(2, 3, 0, 1, 1) == 7


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((5, 3, 1, 1, 1), "orientation"),
        ((4, 4, 1, 1, 1), "naming"),
        ((4, 3, 2, 1, 1), "following_commands"),
        ((4, 3, 1, 2, 1), "writing"),
        ((4, 3, 1, 1, -1), "attention"),
        ((4, 3, 1, True, 1), "writing"),
    ],
)
def test_ice_score_domain_maxima(args, field) -> None:
    with pytest.raises(ValueError, match=field):
        ice_score(*args)


@pytest.mark.parametrize(
    ("score", "grade"),
    [(10, 0), (9, 1), (7, 1), (6, 2), (3, 2), (2, 3), (1, 3), (0, 3)],
)
def test_ice_grade_boundaries(score: int, grade: int) -> None:
    assert ice_grade(score) == grade
    assert grade_icans(ICANSSigns(score)).grade == grade


def test_icans_ice_10_nothing_else_is_none() -> None:
    r = grade_icans(ICANSSigns(10))
    assert r.grade == 0 and "no ICANS" in r.rule


def test_icans_unarousable_is_grade_4() -> None:
    assert grade_icans(ICANSSigns(0, unarousable=True)).grade == 4
    assert grade_icans(ICANSSigns(None, unarousable=True)).grade == 4
    # ICE 0 but awake (global aphasia): grade 3
    assert grade_icans(ICANSSigns(0)).grade == 3


@pytest.mark.parametrize(
    ("consciousness", "grade"),
    [
        ("normal", 0),
        ("wakes_spontaneously", 1),
        ("wakes_to_voice", 2),
        ("wakes_to_touch", 3),
        ("stupor_or_coma", 4),
    ],
)
def test_icans_consciousness(consciousness: str, grade: int) -> None:
    assert grade_icans(ICANSSigns(10, consciousness=consciousness)).grade == grade  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seizure", "grade"),
    [("none", 0), ("quickly_resolving", 3), ("prolonged_or_repetitive", 4)],
)
def test_icans_seizure(seizure: str, grade: int) -> None:
    assert grade_icans(ICANSSigns(10, seizure=seizure)).grade == grade  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("icp", "grade"), [("none", 0), ("focal_oedema", 3), ("diffuse_oedema", 4)]
)
def test_icans_raised_icp(icp: str, grade: int) -> None:
    assert grade_icans(ICANSSigns(10, raised_icp=icp)).grade == grade  # type: ignore[arg-type]


def test_icans_motor_weakness_and_worst_domain() -> None:
    assert grade_icans(ICANSSigns(10, motor_weakness=True)).grade == 4
    r = grade_icans(ICANSSigns(8, consciousness="wakes_to_voice", seizure="quickly_resolving"))
    assert r.grade == 3 and "seizure" in r.rule


def test_icans_missing_ice_is_lower_bound() -> None:
    r = grade_icans(ICANSSigns(None, consciousness="wakes_to_voice"))
    assert r.grade == 2 and r.missing == ("ice_score",) and "lower bound" in r.rule
    assert grade_icans(ICANSSigns(None)).missing == ("ice_score",)


@pytest.mark.parametrize(
    ("signs", "field"),
    [
        (ICANSSigns(11), "ice_score"),
        (ICANSSigns(7.5), "ice_score"),  # type: ignore[arg-type]
        (ICANSSigns(10, consciousness="drowsy"), "consciousness"),  # type: ignore[arg-type]
        (ICANSSigns(10, seizure="yes"), "seizure"),  # type: ignore[arg-type]
        (ICANSSigns(10, raised_icp="oedema"), "raised_icp"),  # type: ignore[arg-type]
        (ICANSSigns(10, motor_weakness=1), "motor_weakness"),  # type: ignore[arg-type]
        (ICANSSigns(10, unarousable="no"), "unarousable"),  # type: ignore[arg-type]
    ],
)
def test_icans_bad_input_names_field(signs: ICANSSigns, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        grade_icans(signs)


@given(
    ice=st.integers(0, 10),
    cons=st.sampled_from(
        ["normal", "wakes_spontaneously", "wakes_to_voice", "wakes_to_touch", "stupor_or_coma"]
    ),
    seizure=st.sampled_from(["none", "quickly_resolving", "prolonged_or_repetitive"]),
    icp=st.sampled_from(["none", "focal_oedema", "diffuse_oedema"]),
    weak=st.booleans(),
)
def test_icans_monotone_in_ice(ice, cons, seizure, icp, weak) -> None:
    """A lower ICE score never gives a lower grade."""
    g = grade_icans(ICANSSigns(ice, False, cons, seizure, weak, icp)).grade
    if ice > 0:
        assert grade_icans(ICANSSigns(ice - 1, False, cons, seizure, weak, icp)).grade >= g
    assert grade_icans(ICANSSigns(ice, True, cons, seizure, weak, icp)).grade == 4
