"""Threshold tests of the MRD rules (docs/clinical-rules.md; Heuser et al., ELN-MRD 2021,
Blood 2021;138:2753). Expected values are worked out by hand from the definitions."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from nakip.clinical.mrd import (
    MRDSample,
    flow_positive,
    flow_status,
    mrd_negativity,
    mrd_progression,
    mrd_response,
    mrd_rise,
    mrd_rise_series,
    qpcr_positive,
    rise_reference,
)
from nakip.protocol import load_protocol

MRD = load_protocol().response_criteria.mrd
ENTRY = load_protocol().cohort("mrd").mrd_entry
assert ENTRY is not None


def test_protocol_thresholds_are_the_published_ones() -> None:
    assert MRD.responder_log10_decrease_above == 1.0
    assert MRD.progression_log10_increase_min == 1.0
    assert MRD.progression_confirmation_days == 28
    assert (MRD.flow_positive_min_pct, MRD.qpcr_positive_cq_below) == (0.1, 40)
    assert ENTRY.rise_fold_above == 3 and ENTRY.rise_reference == "previous"


# --------------------------------------------------------------------------- response
def test_response_exactly_minus_1_log10_is_not_responder_strict() -> None:
    """ELN-MRD 2021 / registry: "decrease of more than 1 log10": exactly -1.0 is not a response."""
    r = mrd_response(1.0, 0.1, criteria=MRD)
    assert r.log10_change == -1.0
    assert not r.responder


def test_response_minus_1_with_float_noise_is_not_responder() -> None:
    """docs/clinical-rules.md rounding: 0.003 vs 0.03 is -1 log10 after rounding to 9 decimals."""
    raw = math.log10(0.003) - math.log10(0.03)
    assert raw != -1.0  # float noise the rounding must absorb
    r = mrd_response(0.03, 0.003, criteria=MRD)
    assert r.log10_change == -1.0 and not r.responder


def test_response_minus_1_0000001_is_responder() -> None:
    """ELN-MRD 2021: -1.0000001 < -1 -> responder (survives rounding to 9 decimals)."""
    r = mrd_response(1.0, 10**-1.0000001, criteria=MRD)
    assert r.log10_change == pytest.approx(-1.0000001, abs=1e-9)
    assert r.responder and not r.is_bound


def test_response_value_equal_to_lod_counts_as_detected() -> None:
    """docs/clinical-rules.md: a value equal to the LOD is detected and used as is (no bound)."""
    r = mrd_response(1.0, 0.05, lod=0.05, criteria=MRD)
    assert not r.is_bound
    assert r.log10_change == pytest.approx(math.log10(0.05), abs=1e-9)
    assert r.responder


def test_response_below_lod_substitutes_lod_as_bound() -> None:
    """docs/clinical-rules.md: below LOD -> LOD substituted, change is a bound (log10(0.01/1))."""
    r = mrd_response(1.0, 0.001, lod=0.01, criteria=MRD)
    assert (r.log10_change, r.is_bound, r.responder, r.value_used) == (-2.0, True, True, 0.01)


def test_response_below_lod_bound_of_exactly_minus_1_is_not_responder() -> None:
    """docs/clinical-rules.md: responds only if log10(LOD/baseline) < -1; LOD/baseline = 0.1 fails
    even though the true value may be far lower."""
    r = mrd_response(1.0, 0.0001, lod=0.1, criteria=MRD)
    assert (r.log10_change, r.is_bound, r.responder) == (-1.0, True, False)


def test_response_zero_with_lod_is_bound() -> None:
    """docs/clinical-rules.md: 0 is undetectable -> LOD substituted."""
    r = mrd_response(2.0, 0.0, lod=0.002, criteria=MRD)
    assert r.is_bound and r.log10_change == -3.0 and r.responder


def test_response_zero_without_lod_is_null_with_query() -> None:
    """docs/clinical-rules.md: undetectable, no LOD -> null change, not responder, data query."""
    r = mrd_response(2.0, 0.0, criteria=MRD)
    assert (r.log10_change, r.responder) == (None, False)
    assert r.query is not None and "limit of detection" in r.query


def test_response_baseline_zero_is_null() -> None:
    """docs/clinical-rules.md: baseline <= 0 -> null change, not a responder."""
    r = mrd_response(0.0, 0.001, lod=0.0001, criteria=MRD)
    assert (r.log10_change, r.responder) == (None, False)


@pytest.mark.parametrize(("baseline", "value"), [(None, 0.1), (1.0, None), (None, None)])
def test_response_missing_values_are_null(baseline: float | None, value: float | None) -> None:
    """docs/clinical-rules.md: missing follow-up or baseline -> null change, not a responder."""
    r = mrd_response(baseline, value, criteria=MRD)
    assert (r.log10_change, r.responder) == (None, False)


def test_response_relapse_marrow_5_overrides_but_reports_change() -> None:
    """docs/clinical-rules.md: marrow blasts >= 5 % at the assessment -> not a responder; the
    change is still reported."""
    r = mrd_response(1.0, 0.001, criteria=MRD, bm_blasts_pct=5.0)
    assert (r.log10_change, r.responder, r.haematological_relapse) == (-3.0, False, True)
    assert mrd_response(1.0, 0.001, criteria=MRD, bm_blasts_pct=4.999999).responder


def test_response_relapse_emd_overrides() -> None:
    r = mrd_response(1.0, 0.001, criteria=MRD, extramedullary_disease=True)
    assert r.log10_change == -3.0 and not r.responder


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"baseline": -1.0, "value": 0.1}, "mrd_baseline"),
        ({"baseline": 1.0, "value": -0.1}, "mrd_value"),
        ({"baseline": 1.0, "value": math.nan}, "mrd_value"),
        ({"baseline": 1.0, "value": 0.1, "lod": 0.0}, "mrd_lod"),
        ({"baseline": 1.0, "value": 0.1, "bm_blasts_pct": 101.0}, "bm_blasts_pct"),
        ({"baseline": True, "value": 0.1}, "mrd_baseline"),
    ],
)
def test_response_bad_input_names_field(kw: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        mrd_response(criteria=MRD, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- rise (entry)
def test_rise_exactly_3_fold_is_not_rising() -> None:
    """NCT05319249 entry: "rising > 3-fold"; 0.001 -> 0.003 is exactly 3-fold (float noise
    included) -> not rising."""
    r = mrd_rise(0.001, 0.003, ENTRY)
    assert r.fold == 3.0 and not r.rising


def test_rise_above_3_fold_is_rising() -> None:
    assert mrd_rise(0.001, 0.0030001, ENTRY).rising


def test_rise_reference_previous_or_nadir_option() -> None:
    """docs/clinical-rules.md: the reference is the previous sample by default, or the nadir."""
    history = [0.01, 0.001, 0.002]
    assert rise_reference(history, ENTRY) == 0.002
    nadir = ENTRY.model_copy(update={"rise_reference": "nadir"})
    assert rise_reference(history, nadir) == 0.001
    assert not mrd_rise_series([*history, 0.005], ENTRY).rising  # 2.5-fold from 0.002
    assert mrd_rise_series([*history, 0.005], nadir).rising  # 5-fold from 0.001


def test_rise_from_undetectable_reference_is_undefined() -> None:
    r = mrd_rise(0.0, 0.01, ENTRY)
    assert (r.fold, r.log10_change, r.rising) == (None, None, False)


# --------------------------------------------------------------------------- positivity
def test_flow_positive_at_exactly_0_1_pct() -> None:
    """ELN-MRD 2021 flow: positive at >= 0.1 % of CD45+ cells (inclusive)."""
    assert flow_positive(0.1, MRD)
    assert not flow_positive(0.0999, MRD)
    assert flow_status(0.0999, MRD) == "low_level"
    assert flow_status(0.0, MRD) == "negative"


def test_flow_positive_with_float_noise() -> None:
    """0.1 computed as 0.3 - 0.2 = 0.09999999999999998 still counts as 0.1 after rounding."""
    assert 0.3 - 0.2 < 0.1
    assert flow_positive(0.3 - 0.2, MRD)


@pytest.mark.parametrize(
    ("cqs", "positive"),
    [
        ([39.9, 39.9, None], True),  # 2 of 3 below 40
        ([40.0, 39.0, 41.0], False),  # Cq exactly 40 is not < 40
        ([39.99, 45.0, None], False),  # 1 of 3
        ([30.0, 31.0, 32.0], True),
        ([None, None, None], False),
    ],
)
def test_qpcr_positive_cq_below_40_in_2_of_3(cqs: list[float | None], positive: bool) -> None:
    """ELN-MRD 2021 qPCR: positive when Cq < 40 in >= 2 of 3 replicates."""
    assert qpcr_positive(cqs, MRD) is positive


# --------------------------------------------------------------------------- progression
D0 = date(2025, 5, 1)


def _s(day: int, value: float) -> MRDSample:
    return MRDSample(D0 + timedelta(days=day), value)


def test_progression_exactly_1_log10_counts_inclusive() -> None:
    """ELN-MRD 2021 MRD relapse: increase of >= 1 log10 between two positive samples (inclusive);
    0.001 -> 0.01 is exactly 1 log10, confirmed 14 days later."""
    r = mrd_progression([_s(0, 0.001), _s(30, 0.01), _s(44, 0.02)], MRD)
    assert (r.progressed, r.confirmed, r.kind) == (True, True, "log_increase")
    assert (r.date, r.confirmation_date) == (D0 + timedelta(days=30), D0 + timedelta(days=44))


def test_progression_1_log10_with_float_noise_counts() -> None:
    """0.003 -> 0.03 is 0.9999999999999998 log10 in floats; 1.0 after rounding -> progression."""
    assert math.log10(0.03) - math.log10(0.003) < 1.0
    r = mrd_progression([_s(0, 0.003), _s(30, 0.03), _s(40, 0.03)], MRD)
    assert r.progressed and r.confirmed


def test_rise_exactly_3_fold_float_noise() -> None:
    """log10(0.003) - log10(0.001) exceeds log10(3) by 1.7e-16 in floats: still not rising."""
    assert math.log10(0.003) - math.log10(0.001) > math.log10(3)
    assert not mrd_rise(0.001, 0.003, ENTRY).rising


def test_progression_below_1_log10_is_not_progression() -> None:
    r = mrd_progression([_s(0, 0.001), _s(30, 0.0099), _s(44, 0.0099)], MRD)
    assert not r.progressed and r.date is None


def test_progression_conversion_negative_to_positive() -> None:
    """ELN-MRD 2021 MRD relapse: conversion from MRD negativity to positivity."""
    r = mrd_progression([_s(0, 0.0), _s(30, 0.0001), _s(50, 0.0002)], MRD)
    assert (r.progressed, r.kind, r.confirmed) == (True, "conversion", True)


def test_progression_confirmation_at_exactly_28_days() -> None:
    """ELN-MRD 2021: confirmed by a second sample within 4 weeks; exactly 28 days confirms."""
    r = mrd_progression([_s(0, 0.001), _s(30, 0.05), _s(58, 0.05)], MRD)
    assert r.confirmed and r.confirmation_date == D0 + timedelta(days=58)


def test_progression_confirmation_at_29_days_is_too_late() -> None:
    r = mrd_progression([_s(0, 0.001), _s(30, 0.05), _s(59, 0.05)], MRD)
    assert (r.progressed, r.confirmed, r.date) == (True, False, D0 + timedelta(days=30))


def test_progression_next_sample_not_confirming() -> None:
    """The next sample falls back below 1 log10 over the reference: unconfirmed."""
    r = mrd_progression([_s(0, 0.001), _s(30, 0.05), _s(40, 0.005)], MRD)
    assert r.progressed and not r.confirmed


def test_progression_awaiting_confirmation() -> None:
    r = mrd_progression([_s(0, 0.001), _s(30, 0.05)], MRD)
    assert r.progressed and not r.confirmed and "awaiting" in r.rule


def test_progression_later_confirmed_event_is_reported() -> None:
    """An unconfirmed rise followed by a confirmed one: the confirmed one is reported."""
    samples = [_s(0, 0.001), _s(30, 0.05), _s(40, 0.005), _s(70, 0.5), _s(80, 0.6)]
    r = mrd_progression(samples, MRD)
    assert (r.confirmed, r.date) == (True, D0 + timedelta(days=70))


def test_progression_any_two_positive_samples_uses_lowest_earlier() -> None:
    """ "Between two positive samples": 0.01 -> 0.001 -> 0.01 is a 1 log10 rise from the nadir
    0.001 even though the first and last values are equal."""
    r = mrd_progression([_s(0, 0.01), _s(20, 0.001), _s(40, 0.01), _s(50, 0.01)], MRD)
    assert r.confirmed and r.date == D0 + timedelta(days=40)


def test_progression_explicit_positivity_flag() -> None:
    """`positive` overrides value > 0 (e.g. flow low-level 0.05 % is not positive)."""
    low = MRDSample(D0, 0.05, positive=False)
    pos = MRDSample(D0 + timedelta(days=30), 0.2, positive=True)
    pos2 = MRDSample(D0 + timedelta(days=40), 0.2, positive=True)
    r = mrd_progression([low, pos, pos2], MRD)
    assert r.kind == "conversion" and r.confirmed


def test_sample_bad_value_names_field() -> None:
    with pytest.raises(ValueError, match="mrd_value"):
        MRDSample(D0, -1.0)


def test_response_tiny_values_are_not_rounded_to_zero() -> None:
    """Rounding applies to the log10 change, not to the MRD level: 1e-10 is detected."""
    r = mrd_response(1e-6, 1e-10, criteria=MRD)
    assert (r.log10_change, r.is_bound, r.responder) == (-4.0, False, True)
    bound = mrd_response(1e-6, 1e-12, lod=1e-10, criteria=MRD)
    assert (bound.log10_change, bound.is_bound) == (-4.0, True)


# ---------------------------------------------------------------------------- not evaluable
@pytest.mark.parametrize(
    ("baseline", "value", "lod", "reason"),
    [
        (None, 0.01, None, "mrd_baseline missing"),
        (0.5, None, None, "mrd_value missing"),
        (0.0, 0.01, None, "baseline MRD not > 0"),
        (0.5, 0.0, None, "no limit of detection"),
    ],
)
def test_not_evaluable_with_reason_and_query(
    baseline: float | None, value: float | None, lod: float | None, reason: str
) -> None:
    """Heuser 2021 / docs/clinical-rules.md: a missing baseline or follow-up gives
    evaluable false with the reason and a data query, not a silent non-responder."""
    r = mrd_response(baseline, value, lod)
    assert (r.evaluable, r.responder, r.log10_change) == (False, False, None)
    assert r.not_evaluable_reason is not None and reason in r.not_evaluable_reason
    assert r.query is not None
    assert r.to_dict()["evaluable"] is False


def test_evaluable_result_has_no_reason() -> None:
    r = mrd_response(1.0, 0.05)
    assert (r.evaluable, r.not_evaluable_reason, r.query) == (True, None, None)


@pytest.mark.parametrize(
    ("value", "lod", "negative"),
    [
        (0.0, 0.1, True),  # undetectable at sensitivity exactly 1e-3 (LOD 0.1 %)
        (0.0, 0.001, True),
        (0.0, 0.1000001, None),  # sensitivity worse than 1e-3: negativity not shown
        (0.0, None, None),  # undetectable, LOD unknown
        (0.05, 0.1, True),  # below the LOD = undetectable
        (0.1, 0.1, False),  # equal to the LOD is detected
        (0.02, None, False),
        (None, 0.1, None),
    ],
)
def test_mrd_negativity_beside_the_log10_response(
    value: float | None, lod: float | None, negative: bool | None
) -> None:
    """MRD negativity: undetectable at a sensitivity of at least 1e-3 (LOD <= 0.1 %)."""
    assert mrd_negativity(value, lod) is negative


def test_negativity_is_reported_whatever_the_log10_fall() -> None:
    """Baseline 0.5 %, undetectable at LOD 0.1 %: the bound log10(0.1/0.5) = -0.70 is not a
    > 1 log10 response, yet the sample is MRD-negative."""
    r = mrd_response(0.5, 0.0, 0.1)
    assert (r.responder, r.mrd_negative, r.evaluable) == (False, True, True)


@pytest.mark.parametrize(("gap", "words"), [(1, "1 day later"), (2, "2 days later")])
def test_confirmation_gap_in_words(gap: int, words: str) -> None:
    """The rule text counts the days between the samples right at 1 and 2."""
    r = mrd_progression([_s(0, 0.001), _s(30, 0.05), _s(30 + gap, 0.05)], MRD)
    assert r.confirmed and words in r.rule and "1 days" not in r.rule
