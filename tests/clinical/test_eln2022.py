"""Threshold tests of the ELN 2022 response rules (docs/clinical-rules.md).

Each test names the rule it checks: ELN 2022 Table 6 (Döhner, Blood 2022;140:1345) for CR, CRh,
CRi, MLFS, PR, relapse and treatment failure; ELN 2017 Table 6 (Döhner, Blood 2017;129:424) for
the SD/PD split. Expected categories are worked out by hand from those definitions.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from nakip.clinical.eln2022 import (
    CATEGORIES,
    Assessment,
    ResponseResult,
    best_response,
    classify_response,
    detect_relapse,
    is_refractory,
    is_responder,
    landmark_date,
)
from nakip.protocol import load_protocol

ELN = load_protocol().response_criteria.eln2022


def cat(**kw: object) -> str:
    return classify_response(Assessment(**kw), ELN).category  # type: ignore[arg-type]


def cr_state(**kw: object) -> str:
    """Category of a fully recovered CR-window assessment with fields overridden."""
    base: dict[str, object] = dict(
        bm_blasts_pct=2.0, pb_blasts_pct=0.0, anc_per_nl=2.0, platelets_per_nl=200.0
    )
    base.update(kw)
    return cat(**base)


def pr_state(**kw: object) -> str:
    """Category of a PR-window assessment (10 % from 40 %, counts recovered) with overrides."""
    base: dict[str, object] = dict(
        bm_blasts_pct=10.0,
        baseline_bm_blasts_pct=40.0,
        pb_blasts_pct=0.0,
        anc_per_nl=2.0,
        platelets_per_nl=200.0,
    )
    base.update(kw)
    return cat(**base)


# --------------------------------------------------------------------------- protocol values
def test_protocol_thresholds_are_the_published_ones() -> None:
    """ELN 2022 Table 6 numbers as in docs/clinical-rules.md (guards the YAML the tests rely on)."""
    assert (ELN.cr_bm_blasts_below_pct, ELN.cr_anc_min, ELN.cr_platelets_min) == (5, 1.0, 100)
    assert (ELN.crh_anc_min, ELN.crh_platelets_min) == (0.5, 50)
    assert (ELN.pr_bm_blasts_min_pct, ELN.pr_bm_blasts_max_pct) == (5, 25)
    assert ELN.rounding_decimals == 9
    assert not ELN.auer_rods_block_cr and not ELN.require_transfusion_independence


# --------------------------------------------------------------------------- CR: marrow < 5 %
def test_cr_marrow_blasts_exactly_5_is_not_cr_table6_below_5() -> None:
    """ELN 2022 Table 6: CR needs marrow blasts < 5 %; exactly 5 is outside the CR family."""
    assert cr_state(bm_blasts_pct=5.0) == "SD"  # PR window, but no baseline -> not PR


def test_cr_marrow_blasts_4_999999_is_cr_table6_below_5() -> None:
    """ELN 2022 Table 6: 4.999999 % < 5 % -> CR."""
    assert cr_state(bm_blasts_pct=4.999999) == "CR"


def test_cr_marrow_blasts_rounding_to_9_decimals_makes_5_minus_noise_equal_5() -> None:
    """docs/clinical-rules.md: compare after rounding to 9 decimals; 5 - 1e-13 counts as 5."""
    noisy = 5.0 - 1e-13
    assert noisy < 5.0  # without rounding this would be CR
    assert cr_state(bm_blasts_pct=noisy) == "SD"


def test_cr_requires_no_blood_blasts_table6() -> None:
    """ELN 2022 Table 6: CR family needs absence of circulating blasts -> SD with 0.5 %."""
    assert cr_state(pb_blasts_pct=0.5) == "SD"
    assert cr_state(pb_blasts_pct=0.0) == "CR"


def test_cr_requires_no_emd_table6() -> None:
    """ELN 2022 Table 6: CR family needs absence of EMD (present at baseline too -> SD)."""
    assert cr_state(extramedullary_disease=True, baseline_extramedullary_disease=True) == "SD"
    assert cr_state(extramedullary_disease=False) == "CR"


# --------------------------------------------------------------------------- counts: CR/CRh/CRi
def test_cr_anc_exactly_1_0_is_cr_table6() -> None:
    """ELN 2022 Table 6: CR needs ANC >= 1.0 (inclusive)."""
    assert cr_state(anc_per_nl=1.0) == "CR"


def test_cr_anc_0_999_is_not_cr_but_crh_table6() -> None:
    """ELN 2022 Table 6: ANC 0.999 < 1.0 -> not CR; ANC >= 0.5 and platelets >= 50 -> CRh."""
    assert cr_state(anc_per_nl=0.999) == "CRh"


def test_crh_anc_exactly_0_5_is_crh_table6() -> None:
    """ELN 2022 Table 6: CRh needs ANC >= 0.5 (inclusive) with platelets >= 50."""
    assert cr_state(anc_per_nl=0.5, platelets_per_nl=60.0) == "CRh"


def test_crh_anc_0_499_falls_to_mlfs_table6() -> None:
    """ELN 2022 Table 6: ANC 0.499 < 0.5, platelets 60 < 100 -> neither CRh nor CRi -> MLFS."""
    assert cr_state(anc_per_nl=0.499, platelets_per_nl=60.0) == "MLFS"


def test_cr_platelets_exactly_100_is_cr_table6() -> None:
    """ELN 2022 Table 6: CR needs platelets >= 100 (inclusive)."""
    assert cr_state(anc_per_nl=1.0, platelets_per_nl=100.0) == "CR"


def test_cr_platelets_99_999_is_crh_table6() -> None:
    """ELN 2022 Table 6: platelets 99.999 < 100 -> not CR; >= 50 with ANC >= 0.5 -> CRh."""
    assert cr_state(anc_per_nl=1.0, platelets_per_nl=99.999) == "CRh"


def test_crh_platelets_exactly_50_is_crh_table6() -> None:
    """ELN 2022 Table 6: CRh needs platelets >= 50 (inclusive)."""
    assert cr_state(anc_per_nl=0.5, platelets_per_nl=50.0) == "CRh"


def test_crh_platelets_49_999_falls_to_mlfs_or_cri_table6() -> None:
    """ELN 2022 Table 6: platelets 49.999 < 50 -> not CRh; CRi if ANC >= 1.0, else MLFS."""
    assert cr_state(anc_per_nl=0.5, platelets_per_nl=49.999) == "MLFS"
    assert cr_state(anc_per_nl=1.0, platelets_per_nl=49.999) == "CRi"


def test_cri_platelet_lineage_recovered_table6() -> None:
    """ELN 2022 Table 6: CRi when one lineage is at CR level: platelets >= 100, ANC 0.4."""
    assert cr_state(anc_per_nl=0.4, platelets_per_nl=100.0) == "CRi"


def test_mlfs_no_recovery_table6() -> None:
    """ELN 2022 Table 6: MLFS needs no haematological recovery (ANC 0.1, platelets 10)."""
    assert cr_state(anc_per_nl=0.1, platelets_per_nl=10.0) == "MLFS"


def test_cr_rule_text_names_table6() -> None:
    r = classify_response(
        Assessment(bm_blasts_pct=1, pb_blasts_pct=0, anc_per_nl=1, platelets_per_nl=100), ELN
    )
    assert r.rule.startswith("ELN 2022 Table 6: CR")
    assert r.missing == ()


# --------------------------------------------------------------------------- PR
def test_pr_marrow_exactly_25_is_pr_table6() -> None:
    """ELN 2022 Table 6: PR window is 5-25 % inclusive; 25 from 50 (halved) -> PR."""
    assert pr_state(bm_blasts_pct=25.0, baseline_bm_blasts_pct=50.0) == "PR"


def test_pr_marrow_25_000001_is_not_pr_table6() -> None:
    """ELN 2022 Table 6: 25.000001 % is above the PR window -> SD (from 60 %, not PD)."""
    assert pr_state(bm_blasts_pct=25.000001, baseline_bm_blasts_pct=60.0) == "SD"


def test_pr_marrow_exactly_5_is_pr_table6() -> None:
    """ELN 2022 Table 6: 5 % is inside the PR window (and not CR) -> PR from 10 %."""
    assert pr_state(bm_blasts_pct=5.0, baseline_bm_blasts_pct=10.0) == "PR"


def test_pr_exactly_half_of_baseline_is_pr_table6() -> None:
    """ELN 2022 Table 6: a decrease of >= 50 % (inclusive): 15 from 30 -> PR."""
    assert pr_state(bm_blasts_pct=15.0, baseline_bm_blasts_pct=30.0) == "PR"


def test_pr_just_above_half_is_sd_table6() -> None:
    """ELN 2022 Table 6: 15.000001 from 30 is a decrease < 50 % -> SD."""
    assert pr_state(bm_blasts_pct=15.000001, baseline_bm_blasts_pct=30.0) == "SD"


def test_pr_half_of_baseline_with_float_noise_rounding() -> None:
    """docs/clinical-rules.md rounding: baseline 0.29*100 = 28.999999999999996; half of it is
    14.5 after rounding, so 14.5 % is a >= 50 % decrease -> PR."""
    baseline = 0.29 * 100
    assert baseline * 0.5 < 14.5  # the raw float comparison would refuse PR
    assert pr_state(bm_blasts_pct=14.5, baseline_bm_blasts_pct=baseline) == "PR"


def test_pr_needs_anc_1_0_and_platelets_100_table6() -> None:
    """ELN 2022 Table 6 PR: CR-level counts; ANC 0.999 or platelets 99.999 -> SD."""
    assert pr_state(anc_per_nl=1.0, platelets_per_nl=100.0) == "PR"
    assert pr_state(anc_per_nl=0.999) == "SD"
    assert pr_state(platelets_per_nl=99.999) == "SD"


def test_pr_without_baseline_is_sd_and_names_baseline() -> None:
    """docs/clinical-rules.md step 4: no baseline -> not PR -> SD; the missing baseline is named."""
    r = classify_response(
        Assessment(bm_blasts_pct=10, pb_blasts_pct=0, anc_per_nl=2, platelets_per_nl=200), ELN
    )
    assert r.category == "SD"
    assert r.missing == ("baseline_bm_blasts_pct",)


def test_pr_with_counts_missing_is_sd_not_ne() -> None:
    """docs/clinical-rules.md step 1: missing counts make NE only when marrow < 5 %; here SD."""
    r = classify_response(Assessment(bm_blasts_pct=10, baseline_bm_blasts_pct=40), ELN)
    assert r.category == "SD"
    assert set(r.missing) == {"anc_per_nl", "platelets_per_nl"}


# --------------------------------------------------------------------------- PD
@pytest.mark.parametrize(
    ("baseline", "now", "expected"),
    [
        (10.0, 25.0, "PD"),  # +150 %, +15 points: PD
        (10.0, 24.0, "SD"),  # +140 % but only +14 points
        (40.0, 60.0, "SD"),  # exactly +50 %: not "more than 50 %"
        (40.0, 61.0, "PD"),  # +52.5 %, baseline >= 30 so no point rule
        (30.0, 45.0, "SD"),  # baseline exactly 30: point rule off, +50 % exactly is not PD
        (30.0, 45.1, "PD"),  # baseline exactly 30: > 50 % suffices
        (29.0, 43.9, "SD"),  # baseline < 30: +51.4 % but 14.9 points
        (29.0, 44.0, "PD"),  # baseline < 30: +51.7 % and 15 points
    ],
)
def test_pd_marrow_blast_rise_eln2017_table4(baseline: float, now: float, expected: str) -> None:
    """ELN 2017 Table 6 PD: > 50 % rise, plus >= 15 points when baseline < 30 %."""
    assert cat(bm_blasts_pct=now, baseline_bm_blasts_pct=baseline) == expected


def test_pd_rounding_1_5_times_40_is_60_not_pd() -> None:
    """docs/clinical-rules.md: 0.4*1.5*100 = 60.00000000000001 > 1.5*40 in floats, but equal
    after rounding to 9 decimals -> exactly +50 % -> not PD."""
    now = 0.4 * 1.5 * 100
    assert now > 1.5 * 40  # the raw float comparison would call this PD
    assert cat(bm_blasts_pct=now, baseline_bm_blasts_pct=40.0) == "SD"


def test_pd_point_rule_float_noise_1_4_to_16_4() -> None:
    """ELN 2017 Table 6: 1.4 -> 16.4 is +15 points (and > 50 %), although 16.4 - 1.4 is
    14.999999999999998 in floats -> PD after rounding."""
    assert 16.4 - 1.4 < 15
    assert cat(bm_blasts_pct=16.4, baseline_bm_blasts_pct=1.4) == "PD"


def test_pd_new_emd_eln2017_table4() -> None:
    """ELN 2017 Table 6: new EMD (recorded absent at baseline) -> PD even with a clear marrow."""
    assert cr_state(extramedullary_disease=True, baseline_extramedullary_disease=False) == "PD"


def test_pd_emd_with_unknown_baseline_is_not_new() -> None:
    """docs/clinical-rules.md: EMD with unknown baseline status is not "new" -> no PD; the EMD
    still blocks the CR family -> SD."""
    assert cr_state(extramedullary_disease=True) == "SD"


def test_pd_without_baseline_blasts_cannot_be_blast_rise() -> None:
    """docs/clinical-rules.md: a missing baseline rules out PD by blast rise -> SD at 90 %."""
    assert cat(bm_blasts_pct=90.0) == "SD"


# --------------------------------------------------------------------------- count recovery
def test_pd_exemption_anc_doubled_above_0_5_eln2017() -> None:
    """ELN 2017 Table 6: no PD if ANC improved by >= 100 % to > 0.5 (0.3 -> 0.6)."""
    r = classify_response(
        Assessment(
            bm_blasts_pct=25, baseline_bm_blasts_pct=10, anc_per_nl=0.6, baseline_anc_per_nl=0.3
        ),
        ELN,
    )
    assert r.category == "SD"
    assert "exempt" in r.rule


@pytest.mark.parametrize(
    ("anc", "base_anc", "expected"),
    [
        (0.6, 0.3, "SD"),  # doubled, > 0.5
        (0.59, 0.3, "PD"),  # > 0.5 but not doubled
        (0.5, 0.2, "PD"),  # more than doubled but not > 0.5
        (0.51, 0.2, "SD"),
    ],
)
def test_pd_exemption_anc_thresholds_eln2017(anc: float, base_anc: float, expected: str) -> None:
    """ELN 2017 Table 6 exemption: at least 100 % improvement AND to > 0.5 x 10^9/L."""
    assert (
        cat(
            bm_blasts_pct=25.0,
            baseline_bm_blasts_pct=10.0,
            anc_per_nl=anc,
            baseline_anc_per_nl=base_anc,
        )
        == expected
    )


@pytest.mark.parametrize(("plt", "base_plt", "expected"), [(51.0, 20.0, "SD"), (50.0, 20.0, "PD")])
def test_pd_exemption_platelets_above_50_eln2017(
    plt: float, base_plt: float, expected: str
) -> None:
    """ELN 2017 Table 6 exemption: platelets doubled to > 50 (exactly 50 does not exempt)."""
    assert (
        cat(
            bm_blasts_pct=25.0,
            baseline_bm_blasts_pct=10.0,
            platelets_per_nl=plt,
            baseline_platelets_per_nl=base_plt,
        )
        == expected
    )


def test_pd_exemption_needs_baseline_counts() -> None:
    """docs/clinical-rules.md: the exemption applies only when baseline counts are given."""
    assert cat(bm_blasts_pct=25.0, baseline_bm_blasts_pct=10.0, anc_per_nl=5.0) == "PD"


def test_pd_exemption_can_be_switched_off() -> None:
    """Protocol option pd_count_recovery_exemption=false: the blast rise is PD regardless."""
    off = ELN.model_copy(update={"pd_count_recovery_exemption": False})
    a = Assessment(
        bm_blasts_pct=25, baseline_bm_blasts_pct=10, anc_per_nl=0.6, baseline_anc_per_nl=0.3
    )
    assert classify_response(a, off).category == "PD"


def test_pd_exemption_does_not_cover_new_emd() -> None:
    """ELN 2017 Table 6: the count-recovery clause qualifies the blast rise only; new EMD is PD."""
    a = Assessment(
        bm_blasts_pct=25,
        baseline_bm_blasts_pct=10,
        anc_per_nl=0.6,
        baseline_anc_per_nl=0.3,
        extramedullary_disease=True,
        baseline_extramedullary_disease=False,
    )
    assert classify_response(a, ELN).category == "PD"


# --------------------------------------------------------------------------- NE
@pytest.mark.parametrize("field", ["pb_blasts_pct", "anc_per_nl", "platelets_per_nl"])
def test_ne_marrow_below_5_and_field_missing(field: str) -> None:
    """docs/clinical-rules.md step 1: marrow < 5 % with blood blasts, ANC or platelets missing
    -> NE naming that field."""
    kw: dict[str, object] = dict(
        bm_blasts_pct=2.0, pb_blasts_pct=0.0, anc_per_nl=2.0, platelets_per_nl=200.0
    )
    del kw[field]
    r = classify_response(Assessment(**kw), ELN)  # type: ignore[arg-type]
    assert r.category == "NE"
    assert r.missing == (field,)
    assert field in r.rule


def test_ne_marrow_missing() -> None:
    """docs/clinical-rules.md step 1: marrow blasts missing -> NE naming bm_blasts_pct."""
    r = classify_response(Assessment(pb_blasts_pct=0, anc_per_nl=2, platelets_per_nl=200), ELN)
    assert (r.category, r.missing) == ("NE", ("bm_blasts_pct",))


def test_ne_lists_every_missing_field() -> None:
    r = classify_response(Assessment(bm_blasts_pct=1), ELN)
    assert r.missing == ("pb_blasts_pct", "anc_per_nl", "platelets_per_nl")


def test_ne_not_applied_at_marrow_5_with_counts_missing() -> None:
    """docs/clinical-rules.md step 1: counts matter for NE only when marrow < 5 %."""
    assert cat(bm_blasts_pct=5.0) == "SD"


def test_ne_takes_precedence_over_new_emd() -> None:
    """docs/clinical-rules.md order: NE is decided first, before PD by new EMD."""
    assert (
        cat(bm_blasts_pct=2.0, extramedullary_disease=True, baseline_extramedullary_disease=False)
        == "NE"
    )


def test_missing_emd_means_none_found() -> None:
    """docs/clinical-rules.md: a missing EMD entry means none was found -> CR."""
    assert cr_state(extramedullary_disease=None) == "CR"


# --------------------------------------------------------------------------- options
def test_auer_rods_ignored_by_default_eln2022() -> None:
    """ELN 2022 does not mention Auer rods: ignored by default -> CR."""
    assert cr_state(auer_rods=True) == "CR"


def test_auer_rods_block_cr_family_when_option_set_eln2017() -> None:
    """Option auer_rods_block_cr (ELN 2017 CR/CRi/MLFS require no Auer rods) -> SD."""
    on = ELN.model_copy(update={"auer_rods_block_cr": True})
    base = dict(bm_blasts_pct=2.0, pb_blasts_pct=0.0, anc_per_nl=0.1, platelets_per_nl=10.0)
    assert classify_response(Assessment(**base, auer_rods=True), on).category == "SD"  # type: ignore[arg-type]
    assert classify_response(Assessment(**base, auer_rods=False), on).category == "MLFS"  # type: ignore[arg-type]
    assert classify_response(Assessment(**base), on).category == "MLFS"  # type: ignore[arg-type]


def test_transfusion_independence_option_demotes_to_mlfs_iwg2003() -> None:
    """Option require_transfusion_independence (IWG 2003): CR/CRh/CRi without it -> MLFS."""
    on = ELN.model_copy(update={"require_transfusion_independence": True})
    base = dict(bm_blasts_pct=2.0, pb_blasts_pct=0.0, anc_per_nl=2.0, platelets_per_nl=200.0,
                bm_cellularity_pct=40.0)  # fmt: skip
    assert classify_response(Assessment(**base, transfusion_independent=True), on).category == "CR"  # type: ignore[arg-type]
    dep = classify_response(Assessment(**base, transfusion_independent=False), on)  # type: ignore[arg-type]
    assert (dep.category, dep.missing) == ("MLFS", ())
    unknown = classify_response(Assessment(**base), on)  # type: ignore[arg-type]
    assert (unknown.category, unknown.missing) == ("MLFS", ("transfusion_independent",))
    assert (
        classify_response(Assessment(**base, transfusion_independent=False), ELN).category == "CR"
    )  # type: ignore[arg-type]


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bm_blasts_pct", -0.1),
        ("bm_blasts_pct", 100.1),
        ("pb_blasts_pct", 101.0),
        ("baseline_bm_blasts_pct", -1.0),
        ("anc_per_nl", -0.5),
        ("platelets_per_nl", -1.0),
        ("bm_blasts_pct", math.nan),
        ("anc_per_nl", math.inf),
        ("platelets_per_nl", True),
        ("extramedullary_disease", 1),
    ],
)
def test_bad_input_raises_value_error_naming_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        Assessment(**{field: value})  # type: ignore[arg-type]


def test_blasts_100_and_0_are_valid() -> None:
    assert cat(bm_blasts_pct=100.0, baseline_bm_blasts_pct=100.0) == "SD"
    assert cr_state(bm_blasts_pct=0.0) == "CR"


# --------------------------------------------------------------------------- best response
def _r(category: str, day: int | None = None) -> ResponseResult:
    d = date(2025, 1, 1) + timedelta(days=day) if day is not None else None
    return ResponseResult(category, "test", (), d)  # type: ignore[arg-type]


def test_best_response_order_clinical_reference() -> None:
    """docs/clinical-rules.md: CR > CRh > CRi > MLFS > PR > SD > PD; NE only if all NE."""
    order = ["CR", "CRh", "CRi", "MLFS", "PR", "SD", "PD", "NE"]
    assert list(CATEGORIES) == order
    for i, better in enumerate(order):
        for worse in order[i + 1 :]:
            assert best_response([_r(worse), _r(better)]).category == better
            assert best_response([_r(better), _r(worse)]).category == better


def test_best_response_ne_only_if_all_ne() -> None:
    assert best_response([_r("NE"), _r("NE")]).category == "NE"
    assert best_response([_r("NE"), _r("PD"), _r("NE")]).category == "PD"
    assert best_response([]).category == "NE"


def test_best_response_tie_goes_to_first_date() -> None:
    best = best_response([_r("CRi", 60), _r("CRi", 30), _r("SD", 10)])
    assert best.assessment_date == date(2025, 1, 31)


def test_is_responder_protocol_set() -> None:
    """docs/clinical-rules.md: default responder set {CR, CRh, CRi}."""
    resp = load_protocol().cohort("overt").primary_endpoint.responder_categories
    assert [c for c in CATEGORIES if is_responder(c, resp)] == ["CR", "CRh", "CRi"]
    with pytest.raises(ValueError, match="category"):
        is_responder("VGPR", resp)


# --------------------------------------------------------------------------- relapse
D0 = date(2025, 3, 1)


def _cr(day: int) -> Assessment:
    return Assessment(
        bm_blasts_pct=1,
        pb_blasts_pct=0,
        anc_per_nl=2,
        platelets_per_nl=200,
        assessment_date=D0 + timedelta(days=day),
    )


def _blood(day: int, pb: float) -> Assessment:
    return Assessment(pb_blasts_pct=pb, assessment_date=D0 + timedelta(days=day))


def test_relapse_marrow_exactly_5_table6() -> None:
    """ELN 2022 Table 6 relapse: marrow blasts >= 5 % after CR (exactly 5 relapses)."""
    later = Assessment(bm_blasts_pct=5, assessment_date=D0 + timedelta(days=90))
    r = detect_relapse([_cr(0), later], ELN)
    assert (r.relapsed, r.date, r.remission_date) == (True, D0 + timedelta(days=90), D0)
    below = Assessment(bm_blasts_pct=4.999999, assessment_date=D0 + timedelta(days=90))
    assert not detect_relapse([_cr(0), below], ELN).relapsed


def test_relapse_blood_blasts_two_samples_7_days_apart_table6() -> None:
    """ELN 2022 Table 6 relapse: blood blasts in >= 2 samples >= 7 days apart; dated at the
    first sample of the pair, confirmed at the second."""
    r = detect_relapse([_cr(0), _blood(30, 1.0), _blood(37, 2.0)], ELN)
    assert r.relapsed
    assert r.date == D0 + timedelta(days=30)
    assert r.confirmed_date == D0 + timedelta(days=37)


def test_relapse_blood_blasts_6_days_apart_is_not_relapse() -> None:
    """ELN 2022 Table 6: two positive samples only 6 days apart do not meet the rule."""
    r = detect_relapse([_cr(0), _blood(30, 1.0), _blood(36, 2.0)], ELN)
    assert not r.relapsed


def test_relapse_blood_pair_uses_latest_first_sample() -> None:
    """Positive on days 30, 33 and 40: day 40 confirms; the latest sample >= 7 days before it
    is day 33, which is the relapse date."""
    r = detect_relapse([_cr(0), _blood(30, 1), _blood(33, 1), _blood(40, 1)], ELN)
    assert (r.date, r.confirmed_date) == (D0 + timedelta(days=33), D0 + timedelta(days=40))


def test_relapse_new_emd_table6() -> None:
    """ELN 2022 Table 6 relapse: development of EMD after CR."""
    emd = Assessment(extramedullary_disease=True, assessment_date=D0 + timedelta(days=50))
    r = detect_relapse([_cr(0), emd], ELN)
    assert (r.relapsed, r.date) == (True, D0 + timedelta(days=50))


def test_relapse_needs_a_prior_remission() -> None:
    """ELN 2022 Table 6: relapse is defined after CR/CRh/CRi only; before it nothing counts."""
    high = Assessment(bm_blasts_pct=40, assessment_date=D0)
    assert not detect_relapse([high], ELN).relapsed
    r = detect_relapse([high, _cr(30)], ELN)
    assert not r.relapsed and r.remission_date == D0 + timedelta(days=30)


def test_relapse_earliest_criterion_wins() -> None:
    marrow = Assessment(bm_blasts_pct=20, assessment_date=D0 + timedelta(days=45))
    r = detect_relapse([_cr(0), _blood(30, 1.0), marrow, _blood(50, 1.0)], ELN)
    assert r.date == D0 + timedelta(days=30)  # blood pair 30/50 beats marrow on day 45


def test_relapse_requires_dates() -> None:
    with pytest.raises(ValueError, match="assessment_date"):
        detect_relapse([Assessment(bm_blasts_pct=1)], ELN)


# --------------------------------------------------------------------------- refractory
def test_refractory_cr_on_landmark_day_is_not_refractory_table6() -> None:
    """ELN 2022 treatment failure: no CR/CRh/CRi by the landmark (180 days after start)."""
    start = date(2025, 1, 1)
    assert landmark_date(start, ELN) == start + timedelta(days=180)
    on_day = ResponseResult("CRh", "t", (), start + timedelta(days=180))
    late = ResponseResult("CR", "t", (), start + timedelta(days=181))
    assert not is_refractory([on_day], start, ELN)
    assert is_refractory([late], start, ELN)


def test_refractory_pr_only_and_pending() -> None:
    start = date(2025, 1, 1)
    pr = [ResponseResult("PR", "t", (), start + timedelta(days=60))]
    assert is_refractory(pr, start, ELN)
    assert not is_refractory(pr, start, ELN, as_of=start + timedelta(days=179))
    assert is_refractory(pr, start, ELN, as_of=start + timedelta(days=180))
