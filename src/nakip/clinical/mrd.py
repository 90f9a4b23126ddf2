"""MRD response, MRD rise (cohort entry), positivity and MRD progression for the MRD cohort.

Implements docs/clinical-rules.md "MRD cohort", after Heuser et al., "2021 update on MRD in
acute myeloid leukemia: a consensus document from the ELN MRD Working Party", Blood
2021;138:2753 (sections "MRD response", "MRD relapse", flow and qPCR technical
recommendations) [recalled: verify the wording against the paper before release].
Thresholds come from the protocol (`MRDCriteria`, `MRDEntry`); every comparison rounds both
sides to `rounding_decimals` first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from nakip.clinical.thresholds import (
    above,
    at_least,
    below,
    check_flag,
    check_number,
    rounded,
)
from nakip.protocol.model import MRDCriteria, MRDEntry
from nakip.wording import count

ELN_MRD = "ELN-MRD 2021 (Heuser, Blood 2021;138:2753)"
#: The two samples of a log10 change (argument name -> words for the data query to the site).
SAMPLE_WORDS = {"mrd_baseline": "baseline MRD value", "mrd_value": "follow-up MRD value"}


def _default_criteria() -> MRDCriteria:
    """The packaged NAKIP-AML protocol's MRD thresholds."""
    from nakip.protocol import load_protocol

    return load_protocol().response_criteria.mrd


def _default_entry() -> MRDEntry:
    """The packaged NAKIP-AML protocol's MRD-cohort entry rule (rise > 3-fold)."""
    from nakip.protocol import load_protocol

    entry = load_protocol().cohort("mrd").mrd_entry
    assert entry is not None  # the protocol model requires it for the mrd cohort
    return entry


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


# --------------------------------------------------------------------------- response
@dataclass(frozen=True)
class MRDResult:
    """MRD response at one assessment: log10 change from baseline (None when undefined), whether
    it is a bound (LOD substituted), responder flag, the deciding rule and any data query."""

    log10_change: float | None
    is_bound: bool
    responder: bool
    rule: str
    query: str | None = None
    value_used: float | None = None
    haematological_relapse: bool = False
    evaluable: bool = True
    not_evaluable_reason: str | None = None
    mrd_negative: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "log10_change": self.log10_change,
            "is_bound": self.is_bound,
            "responder": self.responder,
            "evaluable": self.evaluable,
            "not_evaluable_reason": self.not_evaluable_reason,
            "mrd_negative": self.mrd_negative,
            "rule": self.rule,
            "query": self.query,
            "value_used": self.value_used,
            "haematological_relapse": self.haematological_relapse,
        }


def mrd_negativity(
    value: float | None, lod: float | None, criteria: MRDCriteria | None = None
) -> bool | None:
    """MRD negativity (Heuser 2021 [recalled]): undetectable (0 or below the LOD) at an assay
    sensitivity of at least 1e-3, i.e. an LOD <= `negativity_max_lod_pct` (0.1 % in the forms'
    percent units). True/False when decided; None when undetectable but the LOD is unknown or
    too high to call it negative, or the value is missing."""
    c = criteria if criteria is not None else _default_criteria()
    v = check_number("mrd_value", value, minimum=0.0)
    limit = check_number("mrd_lod", lod, strictly_positive=True)
    if v is None:
        return None
    undetectable = v == 0.0 or (
        limit is not None and below(math.log10(v), math.log10(limit), c.rounding_decimals)
    )
    if not undetectable:
        return False
    if limit is None or above(limit, c.negativity_max_lod_pct, c.rounding_decimals):
        return None
    return True


def mrd_response(
    baseline: float | None,
    value: float | None,
    lod: float | None = None,
    criteria: MRDCriteria | None = None,
    bm_blasts_pct: float | None = None,
    extramedullary_disease: bool | None = None,
) -> MRDResult:
    """MRD response (docs/clinical-rules.md; Heuser 2021, "MRD response" [recalled]): responder
    iff log10(follow-up) - log10(baseline), rounded, is < -1 (exactly -1.0 is not a response).

    A follow-up of 0 or below the LOD is replaced by the LOD and the change is a bound (a value
    equal to the LOD is detected). Not evaluable (`evaluable` False, `not_evaluable_reason`, a
    data `query`; counted as a non-responder in the primary analysis): a missing baseline or
    follow-up, a baseline <= 0, or an undetectable follow-up without an LOD. Haematological
    relapse at the assessment (marrow blasts >= 5 % or EMD) makes it a non-response; the change
    is still reported. `mrd_negative` (`mrd_negativity`) is reported beside the log10 response.
    """
    c = criteria if criteria is not None else _default_criteria()
    d = c.rounding_decimals
    baseline = check_number("mrd_baseline", baseline, minimum=0.0)
    value = check_number("mrd_value", value, minimum=0.0)
    lod = check_number("mrd_lod", lod, strictly_positive=True)
    bm = check_number("bm_blasts_pct", bm_blasts_pct, minimum=0.0, maximum=100.0)
    check_flag("extramedullary_disease", extramedullary_disease)

    relapse_why = []
    if bm is not None and at_least(bm, c.relapse_bm_blasts_min_pct, d):
        relapse_why.append(f"marrow blasts >= {c.relapse_bm_blasts_min_pct:g} %")
    if extramedullary_disease is True:
        relapse_why.append("extramedullary disease")
    relapse = bool(relapse_why)
    relapse_note = (
        f"; haematological relapse ({' and '.join(relapse_why)}) overrides the marker"
        if relapse
        else ""
    )

    negative = mrd_negativity(value, lod, c)

    def null(reason: str, query: str) -> MRDResult:
        return MRDResult(
            None, False, False,
            f"{ELN_MRD}: not evaluable — {reason}{relapse_note}", query, None, relapse,
            False, reason, negative,
        )  # fmt: skip

    if baseline is None or value is None:
        given = zip(SAMPLE_WORDS.items(), (baseline, value), strict=True)
        absent = [(name, words) for (name, words), v in given if v is None]
        why = f"{', '.join(n for n, _ in absent)} missing, log10 change undefined"
        words = " and the ".join(w for _, w in absent)
        return null(
            why,
            f"MRD not evaluable: the {words} {'is' if len(absent) == 1 else 'are'} missing, so "
            "the log10 change is undefined; enter the missing sample.",
        )
    if baseline <= 0.0:
        why = "baseline MRD not > 0, log10 change undefined"
        return null(
            why,
            "MRD not evaluable: the baseline MRD is 0 (not quantifiable), so the log10 change "
            "is undefined; a quantifiable baseline sample is needed.",
        )

    # MRD levels span many decades (1e-7 is a real value), so zero is tested exactly and the
    # LOD comparison is made on the log10 scale, where rounding to `d` decimals is relative.
    undetectable = value == 0.0 or (
        lod is not None and below(math.log10(value), math.log10(lod), d)
    )
    is_bound = False
    used = value
    if undetectable:
        if lod is None:
            return null(
                "follow-up MRD undetectable and no limit of detection reported",
                "Follow-up MRD is 0 (undetectable): report the assay's limit of detection "
                "(LOD) so the log10 change can be bounded.",
            )
        used, is_bound = lod, True

    change = rounded(math.log10(used) - math.log10(baseline), d)
    limit = -c.responder_log10_decrease_above
    decreased = below(change, limit, d)
    responder = decreased and not relapse
    what = f"log10 change {'<=' if is_bound else '='} {change:g}"
    if is_bound:
        what += f" (follow-up below LOD, LOD {lod:g} substituted)"
    verdict = (
        f"decrease of more than {c.responder_log10_decrease_above:g} log10"
        if decreased
        else f"not below {limit:g} (strict)"
    )
    head = "responder" if responder else "no response"
    return MRDResult(
        change, is_bound, responder, f"{ELN_MRD}: {head} — {what}, {verdict}{relapse_note}", None,
        used, relapse, True, None, negative,
    )  # fmt: skip


# --------------------------------------------------------------------------- rise (entry)
@dataclass(frozen=True)
class MRDRiseResult:
    """MRD rise from a reference sample: fold, log10 change (None when undefined), `rising`."""

    fold: float | None
    log10_change: float | None
    rising: bool
    rule: str
    reference: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "fold": self.fold,
            "log10_change": self.log10_change,
            "rising": self.rising,
            "rule": self.rule,
            "reference": self.reference,
        }


def mrd_rise(
    reference: float,
    current: float,
    entry: MRDEntry | None = None,
    decimals: int | None = None,
) -> MRDRiseResult:
    """Cohort-B entry "MRD rising > 3-fold" (NCT05319249 [seen]; docs/clinical-rules.md):
    log10(current / reference) > log10(3) after rounding, so exactly 3-fold is not rising.

    A reference of 0 (undetectable) has no fold change: not rising here (a conversion from
    negative to positive is MRD progression, see `mrd_progression`).
    """
    e = entry if entry is not None else _default_entry()
    d = decimals if decimals is not None else _default_criteria().rounding_decimals
    ref = check_number("mrd_reference_value", reference, minimum=0.0)
    cur = check_number("mrd_current_value", current, minimum=0.0)
    if ref is None or cur is None:
        raise ValueError("mrd_reference_value, mrd_current_value: both are required")
    need = f"> {e.rise_fold_above:g}-fold (log10 > {math.log10(e.rise_fold_above):.4f})"
    if ref == 0.0:
        return MRDRiseResult(
            None, None, False, f"MRD entry: reference undetectable (0), fold undefined; need {need}"
        )
    if cur == 0.0:
        return MRDRiseResult(0.0, None, False, f"MRD entry: current undetectable; need {need}", ref)
    change = rounded(math.log10(cur) - math.log10(ref), d)
    rising = above(change, math.log10(e.rise_fold_above), d)
    fold = rounded(cur / ref, d)
    verb = "rising" if rising else "not rising"
    return MRDRiseResult(
        fold,
        change,
        rising,
        f"MRD entry: {verb} — {fold:g}-fold from the {e.rise_reference} sample; need {need}",
        ref,
    )


def rise_reference(history: Sequence[float], entry: MRDEntry | None = None) -> float:
    """The reference for the rise (protocol option `rise_reference`): the previous sample, or the
    nadir (lowest) of all earlier samples. `history` holds the earlier samples, oldest first."""
    e = entry if entry is not None else _default_entry()
    values = [check_number(f"mrd_history[{i}]", v, minimum=0.0) for i, v in enumerate(history)]
    if not values:
        raise ValueError("mrd_history: at least one earlier sample is needed")
    clean = [v for v in values if v is not None]
    if len(clean) != len(values):
        raise ValueError("mrd_history: contains a missing value")
    return clean[-1] if e.rise_reference == "previous" else min(clean)


def mrd_rise_series(
    values: Sequence[float], entry: MRDEntry | None = None, decimals: int | None = None
) -> MRDRiseResult:
    """`mrd_rise` of the last value against the reference chosen from the earlier ones."""
    if len(values) < 2:
        raise ValueError("mrd_values: at least two samples are needed for a rise")
    ref = rise_reference(values[:-1], entry)
    return mrd_rise(ref, values[-1], entry, decimals)


# --------------------------------------------------------------------------- positivity
def flow_status(
    pct: float, criteria: MRDCriteria | None = None
) -> Literal["positive", "low_level", "negative"]:
    """Flow MRD (Heuser 2021, flow section [recalled]): positive at >= 0.1 % of CD45+ cells;
    detectable below that is "low level"; 0 is negative."""
    c = criteria if criteria is not None else _default_criteria()
    v = check_number("mrd_flow_pct", pct, minimum=0.0, maximum=100.0)
    if v is None:
        raise ValueError("mrd_flow_pct: required")
    if at_least(v, c.flow_positive_min_pct, c.rounding_decimals):
        return "positive"
    return "negative" if v == 0.0 else "low_level"


def flow_positive(pct: float, criteria: MRDCriteria | None = None) -> bool:
    """Flow MRD positive: >= 0.1 % of CD45+ cells (threshold inclusive)."""
    return flow_status(pct, criteria) == "positive"


def qpcr_positive(cq_values: Sequence[float | None], criteria: MRDCriteria | None = None) -> bool:
    """qPCR MRD positive (Heuser 2021, molecular section [recalled]): Cq < 40 in >= 2 replicates
    (of the usual 3). None is a replicate without amplification (undetermined)."""
    c = criteria if criteria is not None else _default_criteria()
    d = c.rounding_decimals
    positives = 0
    for i, cq in enumerate(cq_values):
        v = check_number(f"cq[{i}]", cq, minimum=0.0)
        if v is not None and below(v, c.qpcr_positive_cq_below, d):
            positives += 1
    return positives >= c.qpcr_min_positive_replicates


# --------------------------------------------------------------------------- progression
@dataclass(frozen=True)
class MRDSample:
    """One MRD measurement. `positive` overrides the default "value > 0" (set it from
    `flow_positive` or `qpcr_positive` when the assay's positivity rule differs)."""

    sample_date: date
    value: float
    positive: bool | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.sample_date, date):
            raise ValueError(f"sample_date: expected a date, got {type(self.sample_date).__name__}")
        object.__setattr__(self, "value", check_number("mrd_value", self.value, minimum=0.0))
        if self.value is None:
            raise ValueError("mrd_value: required")
        check_flag("positive", self.positive)

    @property
    def is_positive(self) -> bool:
        return self.positive if self.positive is not None else self.value > 0


@dataclass(frozen=True)
class MRDProgressionResult:
    """MRD relapse/progression: whether it occurred, its date (first qualifying sample), whether a
    second sample within the window confirmed it, and the rule."""

    progressed: bool
    date: date | None
    confirmed: bool
    rule: str
    confirmation_date: date | None = None
    kind: Literal["conversion", "log_increase"] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "progressed": self.progressed,
            "date": _iso(self.date),
            "confirmed": self.confirmed,
            "rule": self.rule,
            "confirmation_date": _iso(self.confirmation_date),
            "kind": self.kind,
        }


def _log_increase(ref: MRDSample, cur: MRDSample, c: MRDCriteria) -> float | None:
    if ref.value > 0 and cur.value > 0:
        return rounded(math.log10(cur.value) - math.log10(ref.value), c.rounding_decimals)
    return None


def mrd_progression(
    samples: Sequence[MRDSample], criteria: MRDCriteria | None = None
) -> MRDProgressionResult:
    """MRD relapse (Heuser 2021, "MRD relapse" [recalled]): conversion from negative to positive,
    or a rise of >= 1 log10 (inclusive) between two positive samples, confirmed by the next
    sample if taken within 28 days (inclusive) and meeting the same criterion.

    "Two positive samples" compares each positive sample with the lowest positive sample since
    the last negative one (the largest rise between any two). The first confirmed event is
    reported; without one, the first unconfirmed event (confirmed=False). Pass samples from the
    study baseline on: the cohort's entry rise is not itself progression.
    """
    c = criteria if criteria is not None else _default_criteria()
    d = c.rounding_decimals
    s = sorted(samples, key=lambda x: x.sample_date)
    thr = c.progression_log10_increase_min
    window = c.progression_confirmation_days
    first_unconfirmed: MRDProgressionResult | None = None
    for j in range(1, len(s)):
        cur = s[j]
        if not cur.is_positive:
            continue
        prev = s[j - 1]
        kind: Literal["conversion", "log_increase"]
        ref: MRDSample | None = None
        if not prev.is_positive:
            kind = "conversion"
            what = f"MRD negative -> positive on {cur.sample_date.isoformat()}"
        else:
            k = j - 1
            run: list[MRDSample] = []
            while k >= 0 and s[k].is_positive:
                run.append(s[k])
                k -= 1
            quantified = [x for x in run if x.value > 0]
            if not quantified:
                continue
            ref = min(quantified, key=lambda x: x.value)
            inc = _log_increase(ref, cur, c)
            if inc is None or not at_least(inc, thr, d):
                continue
            kind = "log_increase"
            what = (
                f"MRD rose {inc:g} log10 (>= {thr:g}) from {ref.sample_date.isoformat()} to "
                f"{cur.sample_date.isoformat()}"
            )
        nxt = s[j + 1] if j + 1 < len(s) else None
        gap = (nxt.sample_date - cur.sample_date).days if nxt is not None else None
        confirms = False
        if nxt is not None and gap is not None and 1 <= gap <= window and nxt.is_positive:
            if kind == "conversion":
                confirms = True
            else:
                assert ref is not None
                inc2 = _log_increase(ref, nxt, c)
                confirms = inc2 is not None and at_least(inc2, thr, d)
        if confirms:
            assert nxt is not None
            return MRDProgressionResult(
                True, cur.sample_date, True,
                f"{ELN_MRD}: MRD progression — {what}; confirmed by the next sample "
                f"{count(gap, 'day')} later (<= {window})",
                nxt.sample_date, kind,
            )  # fmt: skip
        if first_unconfirmed is None:
            if nxt is None:
                status = "awaiting a confirming sample"
            elif gap is not None and not 1 <= gap <= window:
                status = f"next sample {count(gap, 'day')} later, outside the {window}-day window"
            else:
                status = "next sample did not confirm"
            first_unconfirmed = MRDProgressionResult(
                True, cur.sample_date, False,
                f"{ELN_MRD}: MRD progression (unconfirmed) — {what}; {status}", None, kind,
            )  # fmt: skip
    if first_unconfirmed is not None:
        return first_unconfirmed
    return MRDProgressionResult(False, None, False, f"{ELN_MRD}: no MRD progression")


__all__ = [
    "MRDProgressionResult",
    "MRDResult",
    "MRDRiseResult",
    "MRDSample",
    "flow_positive",
    "flow_status",
    "mrd_negativity",
    "mrd_progression",
    "mrd_response",
    "mrd_rise",
    "mrd_rise_series",
    "qpcr_positive",
    "rise_reference",
]
