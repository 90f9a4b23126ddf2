"""Property tests of the response rules: totality, agreement with an independent exact-arithmetic
oracle of docs/clinical-rules.md, and the monotonicity the guidelines imply (ELN 2022 Table 6:
better counts or fewer blasts never make a CR-family response worse; ELN-MRD 2021: a lower
follow-up MRD never loses a response)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from nakip.clinical.eln2022 import (
    CATEGORIES,
    CR_FAMILY,
    Assessment,
    ResponseResult,
    best_response,
    classify_response,
)
from nakip.clinical.mrd import mrd_response
from nakip.protocol import load_protocol

ELN = load_protocol().response_criteria.eln2022
MRD = load_protocol().response_criteria.mrd
RANK = {c: len(CATEGORIES) - i for i, c in enumerate(CATEGORIES)}

# ---------------------------------------------------------------------------- strategies
any_pct = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)
any_count = st.floats(min_value=0.0, max_value=1e4, allow_nan=False, allow_infinity=False)
opt_bool = st.one_of(st.none(), st.booleans())

# decimals with 3 places, plus the thresholds themselves, so the oracle can use exact fractions
BLAST_EDGES = [0, 1, 4.999, 5, 5.001, 10, 14.5, 15, 20, 24.999, 25, 25.001, 29, 30, 40, 45, 60, 61]
COUNT_EDGES = [0, 0.25, 0.3, 0.499, 0.5, 0.501, 0.6, 0.999, 1, 1.001, 25, 49.999, 50, 50.001, 100]
dec_pct = st.one_of(st.sampled_from(BLAST_EDGES), st.integers(0, 100_000).map(lambda i: i / 1000))
dec_count = st.one_of(st.sampled_from(COUNT_EDGES), st.integers(0, 300_000).map(lambda i: i / 1000))


def opt(s: st.SearchStrategy[float]) -> st.SearchStrategy[float | None]:
    return st.one_of(st.none(), s)


def assessments(
    pct: st.SearchStrategy[float], count: st.SearchStrategy[float]
) -> st.SearchStrategy[Assessment]:
    return st.builds(
        Assessment,
        bm_blasts_pct=opt(pct),
        pb_blasts_pct=opt(st.one_of(st.just(0.0), pct)),
        extramedullary_disease=opt_bool,
        baseline_extramedullary_disease=opt_bool,
        anc_per_nl=opt(count),
        platelets_per_nl=opt(count),
        transfusion_independent=opt_bool,
        baseline_bm_blasts_pct=opt(pct),
        auer_rods=opt_bool,
        baseline_anc_per_nl=opt(count),
        baseline_platelets_per_nl=opt(count),
    )


criteria_variants = st.builds(
    lambda a, t, e: ELN.model_copy(
        update={
            "auer_rods_block_cr": a,
            "require_transfusion_independence": t,
            "pd_count_recovery_exemption": e,
        }
    ),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)


# ---------------------------------------------------------------------------- totality
@settings(max_examples=150, deadline=None)
@given(assessments(any_pct, any_count), criteria_variants)
def test_classification_is_total(a: Assessment, crit: object) -> None:
    """Every valid assessment gets exactly one of the eight categories, without raising."""
    r = classify_response(a, crit)  # type: ignore[arg-type]
    assert r.category in CATEGORIES
    assert r.rule
    assert (r.category == "NE") <= bool(r.missing)  # NE always names a missing field


# ---------------------------------------------------------------------------- oracle
def oracle(a: Assessment) -> str:
    """docs/clinical-rules.md transcribed with exact fractions (no rounding needed), default
    protocol options: Auer rods ignored, no transfusion requirement, exemption on."""

    def f(x: float | None) -> Fraction | None:
        return None if x is None else Fraction(str(x))

    bm, pb, base = f(a.bm_blasts_pct), f(a.pb_blasts_pct), f(a.baseline_bm_blasts_pct)
    anc, plt = f(a.anc_per_nl), f(a.platelets_per_nl)
    banc, bplt = f(a.baseline_anc_per_nl), f(a.baseline_platelets_per_nl)
    if bm is None:
        return "NE"
    if bm < 5 and (pb is None or anc is None or plt is None):
        return "NE"
    if base is not None and bm > base * Fraction(3, 2) and (base >= 30 or bm - base >= 15):
        anc_ok = anc is not None and banc is not None and anc >= 2 * banc and anc > Fraction(1, 2)
        plt_ok = plt is not None and bplt is not None and plt >= 2 * bplt and plt > 50
        if not (anc_ok or plt_ok):
            return "PD"
    if a.extramedullary_disease is True and a.baseline_extramedullary_disease is False:
        return "PD"
    if bm < 5 and pb == 0 and a.extramedullary_disease is not True:
        assert anc is not None and plt is not None
        if anc >= 1 and plt >= 100:
            return "CR"
        if anc >= Fraction(1, 2) and plt >= 50:
            return "CRh"
        if anc >= 1 or plt >= 100:
            return "CRi"
        return "MLFS"
    if (
        5 <= bm <= 25
        and base is not None
        and 2 * bm <= base
        and anc is not None
        and plt is not None
        and anc >= 1
        and plt >= 100
    ):
        return "PR"
    return "SD"


@settings(max_examples=400, deadline=None)
@given(assessments(dec_pct, dec_count))
def test_classification_matches_exact_oracle(a: Assessment) -> None:
    """On decimal inputs, the rounded-float implementation equals the exact-fraction oracle."""
    assert classify_response(a, ELN).category == oracle(a)


# ---------------------------------------------------------------------------- monotonicity
@settings(max_examples=150, deadline=None)
@given(
    assessments(any_pct, any_count),
    criteria_variants,
    st.floats(0, 500, allow_nan=False),
    st.floats(0, 500, allow_nan=False),
)
def test_more_counts_never_worsen_cr_family(
    a: Assessment, crit: object, d_anc: float, d_plt: float
) -> None:
    """ELN 2022 Table 6: CR > CRh > CRi > MLFS are nested by count recovery, so raising ANC or
    platelets keeps a CR-family response in the family and never lowers it."""
    before = classify_response(a, crit)  # type: ignore[arg-type]
    if before.category not in CR_FAMILY:
        return
    assert a.anc_per_nl is not None and a.platelets_per_nl is not None
    better = Assessment(
        **{
            **a.__dict__,
            "anc_per_nl": a.anc_per_nl + d_anc,
            "platelets_per_nl": a.platelets_per_nl + d_plt,
        }
    )
    after = classify_response(better, crit)  # type: ignore[arg-type]
    assert after.category in CR_FAMILY
    assert RANK[after.category] >= RANK[before.category]


@settings(max_examples=150, deadline=None)
@given(assessments(any_pct, any_count), criteria_variants, st.floats(0, 1, allow_nan=False))
def test_fewer_marrow_blasts_keep_cr_family(a: Assessment, crit: object, factor: float) -> None:
    """ELN 2022 Table 6: lowering marrow blasts from a CR-family state keeps the same category
    (counts, blood blasts and EMD are unchanged)."""
    before = classify_response(a, crit)  # type: ignore[arg-type]
    if before.category not in CR_FAMILY:
        return
    assert a.bm_blasts_pct is not None
    lower = Assessment(**{**a.__dict__, "bm_blasts_pct": a.bm_blasts_pct * factor})
    assert classify_response(lower, crit).category == before.category  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(assessments(any_pct, any_count), criteria_variants, st.floats(0, 1, allow_nan=False))
def test_fewer_marrow_blasts_never_create_pd(a: Assessment, crit: object, factor: float) -> None:
    """ELN 2017 Table 6: PD by blast rise is monotone in the marrow blasts; new EMD does not
    depend on them. So lowering the marrow blasts never turns a non-PD into PD."""
    if a.bm_blasts_pct is None or classify_response(a, crit).category == "PD":  # type: ignore[arg-type]
        return
    lower = Assessment(**{**a.__dict__, "bm_blasts_pct": a.bm_blasts_pct * factor})
    assert classify_response(lower, crit).category != "PD"  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- best response
@given(st.lists(st.sampled_from(CATEGORIES), max_size=8))
def test_best_response_is_the_highest_rank(cats: list[str]) -> None:
    """docs/clinical-rules.md: best = highest of CR > ... > PD; NE only if all are NE."""
    best = best_response([ResponseResult(c, "t") for c in cats]).category  # type: ignore[arg-type]
    if not cats or all(c == "NE" for c in cats):
        assert best == "NE"
    else:
        assert best == min(cats, key=CATEGORIES.index)
        assert (
            best
            == best_response(
                [ResponseResult(c, "t") for c in reversed(cats)]  # type: ignore[arg-type]
            ).category
        )


# ---------------------------------------------------------------------------- MRD
positive_mrd = st.floats(min_value=1e-7, max_value=1e3, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(
    positive_mrd,
    positive_mrd,
    st.floats(0, 1, allow_nan=False),
    st.one_of(st.none(), st.floats(min_value=1e-7, max_value=1e-2)),
)
def test_mrd_responder_stays_responder_when_follow_up_decreases(
    baseline: float, value: float, factor: float, lod: float | None
) -> None:
    """ELN-MRD 2021: the response is a threshold on log10(follow-up / baseline), so a lower
    follow-up keeps a responder a responder. (Falling to 0 with no LOD is excluded: that is a
    data query, not a measurement.)"""
    first = mrd_response(baseline, value, lod=lod, criteria=MRD)
    lower = value * factor
    if not first.responder or (lod is None and lower == 0.0):
        return
    assert mrd_response(baseline, lower, lod=lod, criteria=MRD).responder


@settings(max_examples=150, deadline=None)
@given(positive_mrd, positive_mrd)
def test_mrd_change_matches_log_of_ratio(baseline: float, value: float) -> None:
    """The reported change equals log10(value / baseline) (computed another way) to 1e-9, and
    the responder flag is the strict comparison with -1 away from the boundary."""
    import math

    r = mrd_response(baseline, value, criteria=MRD)
    expected = math.log10(value / baseline)
    assert r.log10_change is not None
    assert abs(r.log10_change - expected) < 1e-8
    if abs(expected + 1) > 1e-8:
        assert r.responder == (expected < -1)
