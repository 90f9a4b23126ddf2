"""DLT rules at each threshold of the protocol's DLT definition (docs/clinical-rules.md "DLT";
values of `safety.dlt` in the packaged NAKIP-AML protocol: window from talazoparib C1D1 through
28 days after the first NK-cell infusion, grade >= 3, 72 h, 7 days, day 42, ANC 0.5, platelets
20, cellularity 10 %)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from nakip.clinical.dlt import (
    AdverseEventRecord,
    DLTWindow,
    attribution_rank,
    dlt_window,
    evaluate_dlt,
    study_day,
)
from nakip.protocol import load_protocol

START = date(2025, 3, 10)  # talazoparib C1D1 = study day 1
FIRST_NK = START + timedelta(days=7)  # study day 8
WINDOW = dlt_window(START, FIRST_NK, load_protocol().safety.dlt)


def on_day(day: int) -> date:
    return START + timedelta(days=day - 1)


def ae(**kw) -> AdverseEventRecord:
    base = dict(
        term="Hepatic failure",
        ctcae_grade=3,
        onset_date=on_day(10),
        attribution_talazoparib="possible",
        attribution_nk="unrelated",
    )
    base.update(kw)
    return AdverseEventRecord(**base)  # type: ignore[arg-type]


def dlt(**kw) -> bool:
    return evaluate_dlt(ae(**kw), WINDOW).is_dlt


def test_definition_comes_from_protocol() -> None:
    d = load_protocol().safety.dlt
    assert (d.window_days, d.nonhematologic_min_grade, d.min_attribution) == (28, 3, "possible")


# ---------------------------------------------------------------------------- window
def test_study_day_counts_window_start_as_day_1() -> None:
    assert study_day(START, START) == 1
    assert study_day(on_day(28), START) == 28


def test_window_runs_from_c1d1_to_28_days_after_first_nk() -> None:
    """Revised window: talazoparib C1D1 (day 1) through first NK infusion (day 8) + 28 days."""
    assert DLTWindow(START, FIRST_NK + timedelta(days=28)) == WINDOW
    assert study_day(WINDOW.end, START) == 36


@pytest.mark.parametrize(
    ("day", "in_window"),
    [(0, False), (1, True), (2, True), (7, True), (8, True), (36, True), (37, False)],
)
def test_window_day_1_and_last_day_count(day: int, in_window: bool) -> None:
    """Day 1 (talazoparib only) and the last window day (first NK + 28) count; day 0 and the
    day after the last do not."""
    r = evaluate_dlt(ae(onset_date=on_day(day)), WINDOW)
    assert r.in_window is in_window
    assert r.is_dlt is in_window
    assert r.study_day == day
    if not in_window:
        assert "outside the DLT window" in r.rule and "would be a DLT" in r.rule


def test_window_open_until_the_first_nk_infusion() -> None:
    """Before the first NK infusion the end is unknown: every day from C1D1 is inside."""
    open_window = dlt_window(START, None, load_protocol().safety.dlt)
    assert open_window == DLTWindow(START, None)
    assert evaluate_dlt(ae(onset_date=on_day(60)), open_window).in_window
    assert dlt_window(None, None, load_protocol().safety.dlt) is None


def test_window_length_is_a_protocol_parameter() -> None:
    d = replace_def(window_days=21)
    w = dlt_window(START, FIRST_NK, d)
    assert evaluate_dlt(ae(onset_date=FIRST_NK + timedelta(days=21)), w, d).in_window
    assert not evaluate_dlt(ae(onset_date=FIRST_NK + timedelta(days=22)), w, d).in_window


def test_legacy_window_from_first_nk_infusion() -> None:
    """The other protocol setting: window starts at the first NK infusion, days 1-28."""
    d = replace_def(window_start="first_nk_infusion", window_end_anchor="window_start")
    w = dlt_window(START, FIRST_NK, d)
    assert w == DLTWindow(FIRST_NK, FIRST_NK + timedelta(days=27))
    assert evaluate_dlt(ae(onset_date=FIRST_NK), FIRST_NK, d).in_window
    with pytest.raises(ValueError, match="window"):
        evaluate_dlt(ae(), START)  # the packaged definition needs the first NK date


def replace_def(**kw):
    return load_protocol().safety.dlt.model_copy(update=kw)


# ---------------------------------------------------------------------------- grade and attribution
def test_grade_2_vs_3_nonhaematological() -> None:
    assert dlt(ctcae_grade=2) is False
    assert dlt(ctcae_grade=3) is True
    assert dlt(ctcae_grade=4) is True


@pytest.mark.parametrize(
    ("tala", "nk", "is_dlt"),
    [
        ("unrelated", "unrelated", False),
        ("unlikely", "unlikely", False),
        ("possible", "unrelated", True),
        ("unrelated", "possible", True),  # related to either drug
        ("probable", "unlikely", True),
        ("unlikely", "definite", True),
    ],
)
def test_attribution_threshold(tala: str, nk: str, is_dlt: bool) -> None:
    assert dlt(attribution_talazoparib=tala, attribution_nk=nk) is is_dlt


def test_attribution_scale_order_and_aliases() -> None:
    ranks = [attribution_rank(a) for a in ("unrelated", "unlikely", "possible", "probable")]
    assert ranks == sorted(ranks) == [0, 1, 2, 3]
    assert attribution_rank("Possibly related") == 2
    assert attribution_rank("not related") == 0
    with pytest.raises(ValueError, match="attribution_nk"):
        evaluate_dlt(ae(attribution_nk="maybe"), WINDOW)


def test_missing_attribution_treated_as_related_and_listed() -> None:
    r = evaluate_dlt(ae(attribution_talazoparib=None, attribution_nk="unlikely"), WINDOW)
    assert r.is_dlt is True and r.missing == ("attribution_talazoparib",)
    assert "treated as related" in r.rule


def test_min_attribution_is_a_protocol_parameter() -> None:
    d = replace_def(min_attribution="probable")
    assert evaluate_dlt(ae(attribution_talazoparib="possible"), WINDOW, d).is_dlt is False
    assert evaluate_dlt(ae(attribution_talazoparib="probable"), WINDOW, d).is_dlt is True


# ---------------------------------------------------------------------------- exemptions
@pytest.mark.parametrize("term", ["Nausea", "Vomiting", "Diarrhea", "Diarrhoea", "Hypokalemia"])
@pytest.mark.parametrize(("hours", "is_dlt"), [(71.9, False), (72.0, False), (72.1, True)])
def test_grade3_controlled_within_72h(term: str, hours: float, is_dlt: bool) -> None:
    assert dlt(term=term, controlled_within_hours=hours) is is_dlt


def test_controlled_exemption_only_for_grade_3_and_listed_terms() -> None:
    assert dlt(term="Vomiting", ctcae_grade=4, controlled_within_hours=10) is True
    assert dlt(term="Mucositis oral", controlled_within_hours=10) is True


def test_controlled_unknown_is_not_exempt() -> None:
    r = evaluate_dlt(ae(term="Nausea"), WINDOW)
    assert r.is_dlt is True and r.missing == ("controlled_within_hours",)


@pytest.mark.parametrize(("days", "is_dlt"), [(6, False), (6.99, False), (7, True), (8, True)])
def test_grade3_fatigue_under_7_days(days: float, is_dlt: bool) -> None:
    assert dlt(term="Fatigue", duration_days=days) is is_dlt


def test_fatigue_duration_from_dates_and_missing() -> None:
    assert dlt(term="Fatigue", onset_date=on_day(3), resolution_date=on_day(9)) is False  # 6 d
    assert dlt(term="Fatigue", onset_date=on_day(3), resolution_date=on_day(10)) is True  # 7 d
    r = evaluate_dlt(ae(term="Fatigue"), WINDOW)
    assert r.is_dlt and r.missing == ("duration_days",)
    assert dlt(term="Fatigue", ctcae_grade=4, duration_days=2) is True


@pytest.mark.parametrize("term", ["Febrile neutropenia", "Lung infection", "Sepsis"])
def test_infection_disease_related_is_exempt(term: str) -> None:
    assert dlt(term=term, ctcae_grade=4, disease_related=True) is False
    assert dlt(term=term, ctcae_grade=4, disease_related=False) is True
    r = evaluate_dlt(ae(term=term, ctcae_grade=3), WINDOW)
    assert r.is_dlt and r.missing == ("disease_related",)


# ---------------------------------------------------------------------------- CRS, ICANS, ...
@pytest.mark.parametrize(
    ("grade", "hours", "is_dlt"),
    [
        (1, None, False),
        (2, 24, False),
        (2, 72, False),  # back to <= 1 exactly at 72 h: not a DLT
        (2, 72.5, True),
        (2, None, True),  # not (yet) shown back to <= 1
        (3, 1, True),
        (4, None, True),
    ],
)
def test_crs(grade: int, hours: float | None, is_dlt: bool) -> None:
    r = evaluate_dlt(
        ae(term="Cytokine release syndrome", category="crs", ctcae_grade=grade,
           hours_to_grade_1_or_less=hours, attribution_talazoparib="unrelated",
           attribution_nk="unlikely"),
        WINDOW,
    )  # fmt: skip
    assert r.is_dlt is is_dlt


@pytest.mark.parametrize(
    ("category", "grade", "is_dlt"),
    [
        ("icans", 2, False),
        ("icans", 3, True),
        ("agvhd", 1, False),
        ("agvhd", 2, True),  # grade II
        ("infusion_reaction", 2, False),
        ("infusion_reaction", 3, True),
    ],
)
def test_product_specific_events(category: str, grade: int, is_dlt: bool) -> None:
    r = evaluate_dlt(ae(term=category, category=category, ctcae_grade=grade), WINDOW)
    assert r.is_dlt is is_dlt


def test_agvhd_grade_above_4_rejected() -> None:
    with pytest.raises(ValueError, match="ctcae_grade"):
        evaluate_dlt(ae(category="agvhd", ctcae_grade=5), WINDOW)


@pytest.mark.parametrize(
    ("tala", "nk", "is_dlt"),
    [("possible", "unrelated", True), ("unlikely", "unrelated", False), (None, None, True)],
)
def test_treatment_related_death(tala, nk, is_dlt) -> None:
    r = evaluate_dlt(
        ae(term="Death NOS", category="death", ctcae_grade=5, attribution_talazoparib=tala,
           attribution_nk=nk),
        WINDOW,
    )  # fmt: skip
    assert r.is_dlt is is_dlt
    if is_dlt:
        assert "treatment-related death" in r.rule


def test_grade5_infection_possibly_related_is_dlt_despite_disease_flag() -> None:
    assert dlt(term="Sepsis", ctcae_grade=5, disease_related=True) is True


def test_death_category_must_be_grade_5() -> None:
    with pytest.raises(ValueError, match="ctcae_grade"):
        evaluate_dlt(ae(category="death", ctcae_grade=4), WINDOW)


# ---------------------------------------------------------------------------- aplasia
def aplasia(**kw) -> AdverseEventRecord:
    base = dict(
        term="Bone marrow hypocellular",
        category="hematologic",
        ctcae_grade=4,
        onset_date=on_day(5),
        assessment_date=on_day(43),
        anc_per_nl=0.3,
        platelets_per_nl=50,
        marrow_cellularity_pct=5,
        leukaemia_present=False,
    )
    base.update(kw)
    return ae(**base)


def test_aplasia_day_42_vs_43() -> None:
    r42 = evaluate_dlt(aplasia(assessment_date=on_day(42)), WINDOW)
    r43 = evaluate_dlt(aplasia(assessment_date=on_day(43)), WINDOW)
    assert (r42.is_dlt, r42.in_window) == (False, False)
    assert (r43.is_dlt, r43.in_window) == (True, True)
    assert "prolonged aplasia" in r43.rule


@pytest.mark.parametrize(
    ("kw", "is_dlt"),
    [
        ({"anc_per_nl": 0.5}, False),  # ANC exactly 0.5 is not < 0.5
        ({"anc_per_nl": 0.499}, True),
        ({"anc_per_nl": 0.5, "platelets_per_nl": 19.9}, True),  # platelets < 20 suffice
        ({"anc_per_nl": 0.5, "platelets_per_nl": 20}, False),
        ({"marrow_cellularity_pct": 10}, False),  # exactly 10 % is not < 10 %
        ({"marrow_cellularity_pct": 9.99}, True),
        ({"leukaemia_present": True}, False),
    ],
)
def test_aplasia_thresholds(kw: dict, is_dlt: bool) -> None:
    assert evaluate_dlt(aplasia(**kw), WINDOW).is_dlt is is_dlt


def test_aplasia_missing_data_is_not_shown() -> None:
    r = evaluate_dlt(aplasia(marrow_cellularity_pct=None, leukaemia_present=None), WINDOW)
    assert r.is_dlt is False
    assert set(r.missing) == {"marrow_cellularity_pct", "leukaemia_present"}


def test_other_haematological_toxicity_is_not_dlt() -> None:
    r = evaluate_dlt(
        aplasia(term="Neutrophil count decreased", assessment_date=on_day(50), anc_per_nl=0.8,
                platelets_per_nl=60, marrow_cellularity_pct=40),
        WINDOW,
    )  # fmt: skip
    assert r.is_dlt is False and "haematological toxicity is not a DLT" in r.rule


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"ctcae_grade": 6}, "ctcae_grade"),
        ({"ctcae_grade": True}, "ctcae_grade"),
        ({"category": "renal"}, "category"),
        ({"onset_date": "2025-03-10"}, "onset_date"),
        ({"resolution_date": date(2025, 3, 1)}, "resolution_date"),
        ({"controlled_within_hours": -1}, "controlled_within_hours"),
        ({"disease_related": "yes"}, "disease_related"),
        ({"term": ""}, "term"),
    ],
)
def test_bad_input_names_field(kw: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        evaluate_dlt(ae(**kw), WINDOW)


def test_bad_window_start() -> None:
    with pytest.raises(ValueError, match="window_start"):
        evaluate_dlt(ae(), None)  # type: ignore[arg-type]


def test_to_dict() -> None:
    d = evaluate_dlt(ae(), WINDOW).to_dict()
    assert d["is_dlt"] is True and d["in_window"] is True and d["study_day"] == 10
