"""ELN 2022 response of the overt cohort at one assessment, best response, relapse, refractoriness.

Implements docs/clinical-rules.md ("Overt cohort") in its order: NE, PD, CR family
(CR/CRh/CRi/MLFS), PR, SD. Sources: Döhner et al., Blood 2022;140:1345, Table 6 "Response
criteria in AML" [seen] (CR, CRh, CRi, MLFS, PR, relapse, treatment failure); the SD/PD split of
"no response" follows ELN 2017 (Döhner et al., Blood 2017;129:424, Table 6 "Response criteria in
AML" [seen: table and its CR/CRi/MLFS/PR rows]; its PD/SD rows [recalled: verify before
release]). The registered responder (CR/CRi) and its two sensitivity
definitions are `responder_flags`. Thresholds come from the protocol (`ELN2022Criteria`); every
comparison rounds both sides first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from nakip.clinical.thresholds import (
    above,
    at_least,
    at_most,
    below,
    check_flag,
    check_number,
    equals,
    rounded,
)
from nakip.protocol.model import ELN2022Criteria, ResponderDefinition

Category = Literal["CR", "CRh", "CRi", "MLFS", "PR", "SD", "PD", "NE"]

#: The eight categories, best first (docs/clinical-rules.md, "best response over a series").
CATEGORIES: tuple[Category, ...] = ("CR", "CRh", "CRi", "MLFS", "PR", "SD", "PD", "NE")
#: Categories with marrow blasts < 5 %, no blood blasts and no EMD (ELN 2022 Table 6).
CR_FAMILY: frozenset[str] = frozenset({"CR", "CRh", "CRi", "MLFS"})
#: Remissions after which haematological relapse is defined (ELN 2022 Table 6).
REMISSIONS: frozenset[str] = frozenset({"CR", "CRh", "CRi"})

_RANK: dict[str, int] = {c: len(CATEGORIES) - i for i, c in enumerate(CATEGORIES)}

ELN2022 = "ELN 2022 Table 6"
ELN2017 = "ELN 2017 Table 6"


def _default_criteria() -> ELN2022Criteria:
    """The packaged NAKIP-AML protocol's ELN 2022 thresholds."""
    from nakip.protocol import load_protocol

    return load_protocol().response_criteria.eln2022


def _g(x: float) -> str:
    """A threshold printed without float noise (5.0 -> '5', 0.5 -> '0.5')."""
    return f"{x:g}"


# --------------------------------------------------------------------------- inputs and results
@dataclass(frozen=True)
class Assessment:
    """Source data of one response assessment (all optional; blasts in %, counts in 10^9/L = /nL).

    Validated on construction: negative, > 100 % blasts, NaN or infinite values raise ValueError
    naming the field, so bad data can never be classified silently.
    """

    bm_blasts_pct: float | None = None
    pb_blasts_pct: float | None = None
    extramedullary_disease: bool | None = None
    baseline_extramedullary_disease: bool | None = None
    anc_per_nl: float | None = None
    platelets_per_nl: float | None = None
    transfusion_independent: bool | None = None
    baseline_bm_blasts_pct: float | None = None
    auer_rods: bool | None = None
    baseline_anc_per_nl: float | None = None
    baseline_platelets_per_nl: float | None = None
    assessment_date: date | None = None
    wbc_per_nl: float | None = None
    baseline_wbc_per_nl: float | None = None
    baseline_pb_blasts_pct: float | None = None
    bm_cellularity_pct: float | None = None

    def __post_init__(self) -> None:
        for name in ("bm_blasts_pct", "pb_blasts_pct", "baseline_bm_blasts_pct",
                     "baseline_pb_blasts_pct", "bm_cellularity_pct"):  # fmt: skip
            v = check_number(name, getattr(self, name), minimum=0.0, maximum=100.0)
            object.__setattr__(self, name, v)
        for name in ("anc_per_nl", "platelets_per_nl", "baseline_anc_per_nl",
                     "baseline_platelets_per_nl", "wbc_per_nl", "baseline_wbc_per_nl"):  # fmt: skip
            object.__setattr__(self, name, check_number(name, getattr(self, name), minimum=0.0))
        for name in ("extramedullary_disease", "baseline_extramedullary_disease",
                     "transfusion_independent", "auer_rods"):  # fmt: skip
            check_flag(name, getattr(self, name))
        if self.assessment_date is not None and not isinstance(self.assessment_date, date):
            raise ValueError(
                f"assessment_date: expected a date, got {type(self.assessment_date).__name__}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready fields (dates as ISO strings)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        if self.assessment_date is not None:
            out["assessment_date"] = self.assessment_date.isoformat()
        return out


@dataclass(frozen=True)
class ResponseResult:
    """The response category at one assessment, the rule that decided it, and missing fields.

    `missing` names the fields whose absence made the assessment NE, or (for SD/MLFS) kept it
    from a better category it might otherwise have reached (e.g. ANC missing in the PR window).
    """

    category: Category
    rule: str
    missing: tuple[str, ...] = ()
    assessment_date: date | None = None
    cr_level_lineage: bool = False
    notes: tuple[str, ...] = ()
    query: str | None = None

    @property
    def rank(self) -> int:
        """Order used for best response: CR 8 > CRh > CRi > MLFS > PR > SD > PD > NE 1."""
        return _RANK[self.category]

    @property
    def responder_cr(self) -> bool:
        """CR only (the registered endpoint's wording)."""
        return self.category == "CR"

    @property
    def responder_cr_cri(self) -> bool:
        """CR or CRi as registered: CR/CRh/CRi with ANC >= 1.0 or platelets >= 100 (a CRh with
        neither does not meet CRi; docs/clinical-rules.md "Responder")."""
        return self.category in REMISSIONS and self.cr_level_lineage

    @property
    def responder_cr_crh_cri(self) -> bool:
        """The ELN 2022 composite CR/CRh/CRi (Döhner 2022, Table 6)."""
        return self.category in REMISSIONS

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "rule": self.rule,
            "missing": list(self.missing),
            "assessment_date": (
                self.assessment_date.isoformat() if self.assessment_date is not None else None
            ),
            "responder_cr": self.responder_cr,
            "responder_cr_cri": self.responder_cr_cri,
            "responder_cr_crh_cri": self.responder_cr_crh_cri,
            "notes": list(self.notes),
            "query": self.query,
        }


@dataclass(frozen=True)
class ResponderFlags:
    """Whether a series of assessments (or one) reached response under each definition; the
    protocol's `responder_definition` picks the primary one (`responder`)."""

    responder: bool
    responder_cr: bool
    responder_cr_cri: bool
    responder_cr_crh_cri: bool
    definition: ResponderDefinition

    def to_dict(self) -> dict[str, Any]:
        return {
            "responder": self.responder,
            "responder_cr": self.responder_cr,
            "responder_cr_cri": self.responder_cr_cri,
            "responder_cr_crh_cri": self.responder_cr_crh_cri,
            "responder_definition": self.definition,
        }


def responder_flags(
    results: Iterable[ResponseResult], definition: ResponderDefinition
) -> ResponderFlags:
    """Responder under each definition over the given assessments (any assessment qualifying;
    docs/clinical-rules.md "Responder"): `cr_cri_registered` (registry NCT05319249 "CR/CRi":
    CR family with ANC >= 1.0 or platelets >= 100, whatever the ELN 2022 label), `cr_only`,
    `cr_crh_cri` (ELN 2022 Table 6 composite). `definition` names the primary one."""
    items = list(results)
    flags = {
        "cr_only": any(r.responder_cr for r in items),
        "cr_cri_registered": any(r.responder_cr_cri for r in items),
        "cr_crh_cri": any(r.responder_cr_crh_cri for r in items),
    }
    if definition not in flags:
        raise ValueError(
            f"responder_definition: expected one of {', '.join(flags)}, got {definition!r}"
        )
    return ResponderFlags(
        flags[definition],
        flags["cr_only"],
        flags["cr_cri_registered"],
        flags["cr_crh_cri"],
        definition,
    )


@dataclass(frozen=True)
class RelapseResult:
    """Haematological relapse after CR/CRh/CRi: whether, when (first evidence), and by which rule.

    `confirmed_date` is when the criterion became fulfilled (the second blood sample for the
    blood-blast rule; the same as `date` for the marrow and EMD rules).
    """

    relapsed: bool
    date: date | None
    rule: str
    remission_date: date | None = None
    confirmed_date: date | None = None

    def to_dict(self) -> dict[str, Any]:
        def iso(d: date | None) -> str | None:
            return d.isoformat() if d is not None else None

        return {
            "relapsed": self.relapsed,
            "date": iso(self.date),
            "rule": self.rule,
            "remission_date": iso(self.remission_date),
            "confirmed_date": iso(self.confirmed_date),
        }


# --------------------------------------------------------------------------- one assessment
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


# --------------------------------------------------------------------------- series
def best_response(results: Iterable[ResponseResult]) -> ResponseResult:
    """Best response over a series: CR > CRh > CRi > MLFS > PR > SD > PD; NE only if all are NE
    (docs/clinical-rules.md). Ties go to the earliest dated assessment (first achieved)."""
    items = list(results)
    if not items:
        return ResponseResult("NE", f"{ELN2022}: NE — no response assessment", ())
    top = max(r.rank for r in items)
    best = [r for r in items if r.rank == top]
    dated = [r for r in best if r.assessment_date is not None]
    return min(dated, key=lambda r: r.assessment_date) if dated else best[0]  # type: ignore[arg-type,return-value]


def is_responder(category: str, responder_categories: Iterable[str]) -> bool:
    """Whether a category is among `responder_categories` (category-only definitions; the
    registered CR/CRi also needs the counts: use `responder_flags`)."""
    if category not in _RANK:
        raise ValueError(f"category: unknown response category {category!r}")
    return category in set(responder_categories)


def _require_dates(assessments: Sequence[Assessment]) -> list[Assessment]:
    for i, a in enumerate(assessments):
        if a.assessment_date is None:
            raise ValueError(f"assessment_date: missing in assessment {i}")
    return sorted(assessments, key=lambda a: a.assessment_date)  # type: ignore[arg-type,return-value]


def detect_relapse(
    assessments: Sequence[Assessment],
    criteria: ELN2022Criteria | None = None,
    remission_date: date | None = None,
) -> RelapseResult:
    """Haematological relapse after CR/CRh/CRi (ELN 2022 Table 6 [recalled wording]): marrow
    blasts >= 5 %, or blood blasts in >= 2 samples >= 7 days apart, or new EMD.

    Remission is the first assessment classified CR/CRh/CRi unless `remission_date` is given;
    only later assessments (blood-only ones too) are examined. Date convention: the date of the
    first evidence (for the blood rule, the earlier sample of the qualifying pair), with the
    confirming sample's date in `confirmed_date` — as for confirmed progression elsewhere
    (e.g. IMWG 2016 [recalled]), since ELN leaves the date of a two-sample relapse open.
    The pair is the earliest confirming sample with the latest blast-positive sample >= 7 days
    before it; ELN does not require the two samples to be consecutive.
    """
    c = criteria if criteria is not None else _default_criteria()
    d = c.rounding_decimals
    ordered = _require_dates(assessments)
    if remission_date is None:
        for a in ordered:
            if classify_response(a, c).category in REMISSIONS:
                remission_date = a.assessment_date
                break
    if remission_date is None:
        return RelapseResult(False, None, f"{ELN2022}: no CR/CRh/CRi, relapse not applicable")
    after = [a for a in ordered if a.assessment_date > remission_date]  # type: ignore[operator]
    candidates: list[tuple[date, date, str]] = []  # (first evidence, confirmed, rule)
    for a in after:
        day = a.assessment_date
        assert day is not None
        if a.bm_blasts_pct is not None and at_least(
            a.bm_blasts_pct, c.relapse_bm_blasts_min_pct, d
        ):
            candidates.append(
                (
                    day,
                    day,
                    f"{ELN2022}: relapse — marrow blasts >= "
                    f"{_g(c.relapse_bm_blasts_min_pct)} % ({_g(a.bm_blasts_pct)} %)",
                )
            )
            break
    for a in after:
        if a.extramedullary_disease is True:
            day = a.assessment_date
            assert day is not None
            candidates.append(
                (day, day, f"{ELN2022}: relapse — extramedullary disease after remission")
            )
            break
    positive = [
        a.assessment_date
        for a in after
        if a.pb_blasts_pct is not None and above(a.pb_blasts_pct, 0.0, d)
    ]
    needed = max(c.relapse_pb_min_samples, 1)
    gap = timedelta(days=c.relapse_pb_min_days_apart if needed > 1 else 0)
    pair: tuple[date, date] | None = None
    for j, confirm in enumerate(positive):
        assert confirm is not None
        for i in range(j - needed + 1, -1, -1):  # latest first sample giving >= n positives
            first = positive[i]
            assert first is not None
            if confirm - first >= gap:
                pair = (first, confirm)
                break
        if pair is not None:
            break
    if pair is not None:
        first, confirm = pair
        candidates.append(
            (
                first,
                confirm,
                f"{ELN2022}: relapse — blood blasts in >= {needed} samples >= "
                f"{c.relapse_pb_min_days_apart} days apart ({first.isoformat()} to "
                f"{confirm.isoformat()})",
            )
        )
    if not candidates:
        return RelapseResult(
            False, None, f"{ELN2022}: no relapse criterion met after remission", remission_date
        )
    first, confirmed, rule = min(candidates, key=lambda t: (t[0], t[1]))
    return RelapseResult(True, first, rule, remission_date, confirmed)


def landmark_date(start_date: date, criteria: ELN2022Criteria | None = None) -> date:
    """The response landmark: `response_landmark_days` days after the start of therapy
    (ELN 2022 Table 9 [seen]: "e.g. ... 180 d for non-intensive therapy")."""
    c = criteria if criteria is not None else _default_criteria()
    return start_date + timedelta(days=c.response_landmark_days)


def is_refractory(
    results: Iterable[ResponseResult],
    start_date: date,
    criteria: ELN2022Criteria | None = None,
    as_of: date | None = None,
) -> bool:
    """Refractory / treatment failure (ELN 2022 Table 9 and response table, "no response" row
    [seen]): no CR, CRh or CRi on or
    before the response landmark. False while the landmark lies after `as_of` (not yet known);
    `as_of=None` means follow-up has passed the landmark. Undated results raise ValueError."""
    c = criteria if criteria is not None else _default_criteria()
    landmark = landmark_date(start_date, c)
    items = list(results)
    for r in items:
        if r.assessment_date is None:
            raise ValueError("assessment_date: needed to place a response before the landmark")
    if any(
        r.category in REMISSIONS and r.assessment_date <= landmark  # type: ignore[operator]
        for r in items
    ):
        return False
    return not (as_of is not None and as_of < landmark)


__all__ = [
    "CATEGORIES",
    "CR_FAMILY",
    "REMISSIONS",
    "Assessment",
    "Category",
    "RelapseResult",
    "ResponderFlags",
    "ResponseResult",
    "best_response",
    "classify_response",
    "detect_relapse",
    "is_refractory",
    "is_responder",
    "landmark_date",
    "responder_flags",
]
