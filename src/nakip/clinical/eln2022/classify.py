"""The ELN 2022 response at one assessment: NE, PD, CR family (CR/CRh/CRi/MLFS), PR, SD.

Döhner et al., Blood 2022;140:1345, Table 6 (CR, CRh, CRi, MLFS, PR); the SD/PD split of "no
response" after ELN 2017 (Döhner et al., Blood 2017;129:424, Table 6 [PD/SD rows recalled: verify
before release]). Implements docs/clinical-rules.md ("Overt cohort") in its order.
"""

from __future__ import annotations

from collections.abc import Iterable

from nakip.clinical.eln2022.assessment import Assessment, ResponseResult
from nakip.clinical.eln2022.categories import ELN2017, ELN2022, Category, _default_criteria, _g
from nakip.clinical.thresholds import (
    above,
    at_least,
    at_most,
    below,
    equals,
    rounded,
)
from nakip.protocol.model import ELN2022Criteria


def _blast_rise(a: Assessment, c: ELN2022Criteria) -> str | None:
    """PD by marrow blast rise (ELN 2017 Table 6 [recalled]), before any exemption: marrow
    blasts > (1 + 50 %) x baseline and, when the baseline is below 30 %, a rise of >= 15
    percentage points. Needs the baseline; returns the rule text or None."""
    d = c.rounding_decimals
    bm, base = a.bm_blasts_pct, a.baseline_bm_blasts_pct
    if bm is None or base is None:
        return None
    rel_ok = above(bm, base * (1.0 + c.pd_relative_increase_above), d)
    needs_abs = below(base, c.pd_absolute_rule_baseline_below_pct, d)
    abs_ok = at_least(bm - base, c.pd_absolute_increase_min_pp, d)
    if not rel_ok or (needs_abs and not abs_ok):
        return None
    rule = (
        f"marrow blasts rose by > {_g(100 * c.pd_relative_increase_above)} % over baseline "
        f"({_g(base)} -> {_g(bm)} %)"
    )
    if needs_abs:
        rule += (
            f" and by >= {_g(c.pd_absolute_increase_min_pp)} points (baseline < "
            f"{_g(c.pd_absolute_rule_baseline_below_pct)} %)"
        )
    return rule


_PB_PATH_FIELDS = ("wbc_per_nl", "pb_blasts_pct", "baseline_wbc_per_nl", "baseline_pb_blasts_pct")


def _blood_blast_rise(a: Assessment, c: ELN2022Criteria) -> tuple[str | None, tuple[str, ...]]:
    """PD by peripheral blasts (ELN 2017 Table 6 [recalled]): absolute blood blasts (WBC x blood
    blasts % / 100, 10^9/L) rose by more than 50 % over baseline to more than 25 x 10^9/L.
    Returns (rule or None, the inputs whose absence keeps this path from firing)."""
    missing = tuple(f for f in _PB_PATH_FIELDS if getattr(a, f) is None)
    if missing:
        return None, missing
    d = c.rounding_decimals
    now = a.wbc_per_nl * a.pb_blasts_pct / 100.0  # type: ignore[operator]
    base = a.baseline_wbc_per_nl * a.baseline_pb_blasts_pct / 100.0  # type: ignore[operator]
    rel = above(now, base * (1.0 + c.pd_pb_absolute_increase_above), d)
    absolute = above(now, c.pd_pb_absolute_blasts_above_per_nl, d)
    if not (rel and absolute):
        return None, ()
    return (
        f"absolute blood blasts rose by > {_g(100 * c.pd_pb_absolute_increase_above)} % "
        f"({_g(rounded(base, 6))} -> {_g(rounded(now, 6))} x 10^9/L) to > "
        f"{_g(c.pd_pb_absolute_blasts_above_per_nl)} x 10^9/L"
    ), ()


def _progression(a: Assessment, c: ELN2022Criteria) -> str | None:
    """The PD rule that applies (ELN 2017 Table 6 [recalled]), or None: a marrow blast rise not
    exempted by count recovery (the exemption applies to the marrow path only), a rise of
    absolute blood blasts (`_blood_blast_rise`), or new EMD (present now, recorded absent at
    baseline; unknown baseline EMD is not "new")."""
    rise = _blast_rise(a, c)
    if rise is not None and not (c.pd_count_recovery_exemption and _count_recovery(a, c)):
        return f"{ELN2017}: PD — {rise}"
    blood, _ = _blood_blast_rise(a, c)
    if blood is not None:
        return f"{ELN2017}: PD — {blood}"
    if a.extramedullary_disease is True and a.baseline_extramedullary_disease is False:
        return f"{ELN2017}: PD — new extramedullary disease (recorded absent at baseline)"
    return None


def _blood_path_note(a: Assessment, c: ELN2022Criteria) -> tuple[str, ...]:
    """Says when PD by blood blasts cannot be assessed (needs WBC and blood blasts now and at
    baseline); silent when blood blasts are 0 now, since no rise is then possible."""
    if a.pb_blasts_pct is not None and equals(a.pb_blasts_pct, 0.0, c.rounding_decimals):
        return ()
    _, missing = _blood_blast_rise(a, c)
    if not missing:
        return ()
    return (f"PD by blood blasts cannot be assessed: {', '.join(missing)} missing",)


def _count_recovery(a: Assessment, c: ELN2022Criteria) -> str | None:
    """ELN 2017 Table 6 PD exemption [recalled]: ANC or platelets improved by >= 100 % (doubled)
    to > 0.5 / > 50 x 10^9/L. Applied only when the baseline count is given; returns the lineage."""
    d = c.rounding_decimals
    if (
        a.anc_per_nl is not None
        and a.baseline_anc_per_nl is not None
        and at_least(a.anc_per_nl, 2.0 * a.baseline_anc_per_nl, d)
        and above(a.anc_per_nl, c.pd_exemption_anc_above, d)
    ):
        return f"ANC doubled to > {_g(c.pd_exemption_anc_above)}"
    if (
        a.platelets_per_nl is not None
        and a.baseline_platelets_per_nl is not None
        and at_least(a.platelets_per_nl, 2.0 * a.baseline_platelets_per_nl, d)
        and above(a.platelets_per_nl, c.pd_exemption_platelets_above, d)
    ):
        return f"platelets doubled to > {_g(c.pd_exemption_platelets_above)}"
    return None


def _cr_family(a: Assessment, c: ELN2022Criteria) -> tuple[Category, str, tuple[str, ...]]:
    """CR, CRh, CRi or MLFS by count recovery (ELN 2022 Table 6) once marrow blasts < 5 %, no
    blood blasts and no EMD hold; counts are known here (step 1 made them NE otherwise)."""
    d = c.rounding_decimals
    anc, plt = a.anc_per_nl, a.platelets_per_nl
    assert anc is not None and plt is not None  # guaranteed by the NE step
    base = f"marrow blasts < {_g(c.cr_bm_blasts_below_pct)} %, no blood blasts, no EMD"
    anc_cr, plt_cr = at_least(anc, c.cr_anc_min, d), at_least(plt, c.cr_platelets_min, d)
    cat: Category
    if anc_cr and plt_cr:
        cat = "CR"
        rule = (
            f"{ELN2022}: CR — {base}, ANC >= {_g(c.cr_anc_min)}, platelets >= "
            f"{_g(c.cr_platelets_min)}"
        )
    elif at_least(anc, c.crh_anc_min, d) and at_least(plt, c.crh_platelets_min, d):
        cat = "CRh"
        rule = (
            f"{ELN2022}: CRh — {base}, ANC >= {_g(c.crh_anc_min)} and platelets >= "
            f"{_g(c.crh_platelets_min)} (partial recovery, not CR)"
        )
    elif anc_cr or plt_cr:
        cat = "CRi"
        rule = (
            f"{ELN2022}: CRi — {base}, ANC >= {_g(c.cr_anc_min)} or platelets >= "
            f"{_g(c.cr_platelets_min)} (one lineage recovered, not CR/CRh)"
        )
    else:
        return "MLFS", f"{ELN2022}: MLFS — {base}, no haematological recovery required", ()
    if c.require_transfusion_independence and a.transfusion_independent is not True:
        missing = ("transfusion_independent",) if a.transfusion_independent is None else ()
        why = "not recorded" if missing else "not met"
        return (
            "MLFS",
            f"{ELN2022}: MLFS — {base}; counts meet {cat} but transfusion independence, "
            f"required by this protocol (IWG 2003 convention), is {why}",
            missing,
        )
    return cat, rule, ()


MLFS_CELLULARITY_QUERY = (
    "Marrow cellularity not recorded: MLFS requires a non-aplastic marrow (cellularity >= 10 % "
    "or >= 200 cells enumerated); enter the cellularity."
)


def _aplastic_check(
    a: Assessment, c: ELN2022Criteria, rule: str
) -> tuple[Category, str, tuple[str, ...], str | None]:
    """MLFS needs a marrow that is not merely aplastic (ELN 2022 Table 6 and ELN 2017 Table 6,
    MLFS comment [seen]: >= 200 cells enumerated or cellularity >= 10 %): recorded cellularity
    < 10 % gives NE "aplastic
    marrow, repeat"; missing cellularity keeps MLFS with a data query."""
    cell = a.bm_cellularity_pct
    limit = _g(c.mlfs_min_cellularity_pct)
    if cell is None:
        return (
            "MLFS",
            f"{rule} (cellularity not recorded)",
            ("bm_cellularity_pct",),
            (MLFS_CELLULARITY_QUERY.replace("10 %", f"{limit} %")),
        )
    if below(cell, c.mlfs_min_cellularity_pct, c.rounding_decimals):
        return (
            "NE",
            f"{ELN2022}: NE — aplastic marrow, repeat (cellularity {_g(cell)} % < {limit} %; "
            "MLFS needs a non-aplastic marrow)",
            (),
            None,
        )
    return "MLFS", f"{rule} (cellularity {_g(cell)} % >= {limit} %)", (), None


def classify_response(a: Assessment, criteria: ELN2022Criteria | None = None) -> ResponseResult:
    """Response category at one assessment, in docs/clinical-rules.md's order: NE, PD, CR
    family, PR, SD (ELN 2022 Table 6 [seen]; SD/PD as ELN 2017 Table 6 [recalled]).

    PD also by absolute blood blasts (> 50 % rise to > 25 x 10^9/L; `notes` says when that path
    cannot be assessed); MLFS needs a non-aplastic marrow (cellularity < 10 % -> NE "aplastic
    marrow, repeat"; cellularity missing -> MLFS with `query`). `cr_level_lineage` (ANC >= 1.0
    or platelets >= 100) feeds the registered CR/CRi responder flag.

    Options (protocol): `auer_rods_block_cr` makes Auer rods block CR/CRh/CRi/MLFS (ELN 2017) ->
    SD; `require_transfusion_independence` demotes CR/CRh/CRi without it to MLFS (the marrow
    criteria of the CR family still hold, the haematological-recovery criterion does not).
    """
    c = criteria if criteria is not None else _default_criteria()
    d = c.rounding_decimals
    notes = _blood_path_note(a, c)
    cr_level = (a.anc_per_nl is not None and at_least(a.anc_per_nl, c.cr_anc_min, d)) or (
        a.platelets_per_nl is not None and at_least(a.platelets_per_nl, c.cr_platelets_min, d)
    )

    def result(
        cat: Category, rule: str, missing: Iterable[str] = (), query: str | None = None
    ) -> ResponseResult:
        return ResponseResult(
            cat, rule, tuple(missing), a.assessment_date, cr_level, notes, query
        )  # fmt: skip

    # 1. NE
    if a.bm_blasts_pct is None:
        return result("NE", f"{ELN2022}: NE — marrow blasts missing", ["bm_blasts_pct"])
    bm = a.bm_blasts_pct
    marrow_clear = below(bm, c.cr_bm_blasts_below_pct, d)
    if marrow_clear:
        missing = [
            f for f in ("pb_blasts_pct", "anc_per_nl", "platelets_per_nl") if getattr(a, f) is None
        ]
        if missing:
            return result(
                "NE",
                f"{ELN2022}: NE — marrow blasts < {_g(c.cr_bm_blasts_below_pct)} % but "
                f"{', '.join(missing)} missing",
                missing,
            )
    # 2. PD
    pd_rule = _progression(a, c)
    if pd_rule is not None:
        return result("PD", pd_rule)
    # 3. CR family
    emd = a.extramedullary_disease is True
    pb_clear = a.pb_blasts_pct is not None and equals(a.pb_blasts_pct, 0.0, d)
    if marrow_clear and pb_clear and not emd:
        if c.auer_rods_block_cr and a.auer_rods is True:
            return result(
                "SD",
                f"{ELN2017}: SD — marrow blasts < {_g(c.cr_bm_blasts_below_pct)} % but Auer rods "
                "present, which block CR/CRh/CRi/MLFS under this protocol (ELN 2017)",
            )
        cat, rule, missing = _cr_family(a, c)
        if cat != "MLFS":
            return result(cat, rule, missing)
        cat, rule, more, query = _aplastic_check(a, c, rule)
        return result(cat, rule, [*missing, *more], query)
    # 4. PR
    base = a.baseline_bm_blasts_pct
    in_window = at_least(bm, c.pr_bm_blasts_min_pct, d) and at_most(bm, c.pr_bm_blasts_max_pct, d)
    reasons: list[str] = []
    missing_sd: list[str] = []
    if in_window:
        halved = base is not None and at_most(bm, base * (1.0 - c.pr_min_relative_decrease), d)
        counts = [f for f in ("anc_per_nl", "platelets_per_nl") if getattr(a, f) is None]
        recovered = (
            not counts
            and at_least(a.anc_per_nl or 0.0, c.cr_anc_min, d)
            and at_least(a.platelets_per_nl or 0.0, c.cr_platelets_min, d)
        )
        if halved and recovered:
            return result(
                "PR",
                f"{ELN2022}: PR — marrow blasts {_g(c.pr_bm_blasts_min_pct)}-"
                f"{_g(c.pr_bm_blasts_max_pct)} % and decreased by >= "
                f"{_g(100 * c.pr_min_relative_decrease)} % from baseline, ANC >= "
                f"{_g(c.cr_anc_min)}, platelets >= {_g(c.cr_platelets_min)}",
            )
        if base is None:
            reasons.append("no baseline marrow blasts, so PR cannot be assessed")
            missing_sd.append("baseline_bm_blasts_pct")
        elif not halved:
            reasons.append(
                f"marrow blasts not decreased by >= {_g(100 * c.pr_min_relative_decrease)} % "
                f"from baseline ({_g(base)} -> {_g(bm)} %)"
            )
        if not halved:
            pass  # counts cannot change the outcome, so their absence is not reported
        elif counts:
            reasons.append(f"{', '.join(counts)} missing for PR")
            missing_sd.extend(counts)
        elif not recovered:
            reasons.append(
                f"counts below PR level (ANC >= {_g(c.cr_anc_min)} and platelets >= "
                f"{_g(c.cr_platelets_min)})"
            )
    elif marrow_clear:
        if not pb_clear:
            reasons.append(
                f"marrow blasts < {_g(c.cr_bm_blasts_below_pct)} % but blood blasts present"
            )
        if emd:
            reasons.append(f"marrow blasts < {_g(c.cr_bm_blasts_below_pct)} % but EMD present")
    else:
        reasons.append(f"marrow blasts {_g(bm)} % above the PR window")
        if base is None:
            missing_sd.append("baseline_bm_blasts_pct")
    rise = _blast_rise(a, c)
    if rise is not None:  # reached SD only because the count-recovery exemption applied
        reasons.append(f"{rise}, but exempt from PD: {_count_recovery(a, c)}")
    return result("SD", f"{ELN2017}: SD — " + "; ".join(reasons), missing_sd)
