"""Cohort fit of a screening record, three-valued: overt or MRD cohort entry blocks.

Overt: relapsed or refractory with marrow and blood blasts < 20 % (exclusive ceilings). MRD: in
haematological remission, marrow blasts < 5 %, an assay among the protocol's and a rise of more
than 3-fold (ELN-MRD 2021, Heuser et al., Blood 2021;138:2753; `nakip.clinical.mrd.mrd_rise`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nakip.clinical.eligibility.criteria import _check_type, _is_missing, _show
from nakip.clinical.eligibility.results import _PERCENT_FIELDS, DECIMALS, CohortFit
from nakip.clinical.mrd import mrd_rise
from nakip.clinical.thresholds import rounded
from nakip.protocol.model import MRDEntry, OvertEntry


def _number(record: Mapping[str, Any], field: str) -> float | None:
    value = record.get(field)
    if _is_missing(value):
        return None
    _check_type(field, value, "number")
    v = float(value)
    if v < 0 or (field in _PERCENT_FIELDS and v > 100):
        raise ValueError(f"{field}: out of range, got {v:g}")
    return v


def _flag(record: Mapping[str, Any], field: str) -> bool | None:
    value = record.get(field)
    if _is_missing(value):
        return None
    _check_type(field, value, "boolean")
    return bool(value)


def _combine(cohort: str, parts: list[tuple[bool | None, str, tuple[str, ...]]]) -> CohortFit:
    false_ = [d for v, d, _ in parts if v is False]
    if false_:
        return CohortFit(cohort, False, f"does not fit cohort {cohort}: " + "; ".join(false_))
    missing = tuple(dict.fromkeys(f for v, _, fs in parts if v is None for f in fs))
    undecided = [d for v, d, _ in parts if v is None]
    if undecided:
        return CohortFit(
            cohort, None, f"cohort {cohort} cannot be decided: " + "; ".join(undecided), missing
        )
    return CohortFit(cohort, True, f"fits cohort {cohort}: " + "; ".join(d for _, d, _ in parts))


def _below(record: Mapping[str, Any], field: str, ceiling: float):
    v = _number(record, field)
    if v is None:
        return None, f"{field} missing", (field,)
    ok = rounded(v, DECIMALS) < rounded(ceiling, DECIMALS)
    return ok, f"{field} = {v:g} ({'<' if ok else '>='} {ceiling:g})", ()


def _is_true(record: Mapping[str, Any], field: str):
    v = _flag(record, field)
    if v is None:
        return None, f"{field} missing", (field,)
    return v, f"{field} = {_show(v)}", ()


def fits_overt(record: Mapping[str, Any], entry: OvertEntry, cohort: str = "overt") -> CohortFit:
    """Overt cohort entry (NCT05319249 cohort A): relapsed/refractory AML with marrow and blood
    blasts below their exclusive ceilings (< 20 %)."""
    parts = []
    if entry.requires_relapsed_or_refractory:
        parts.append(_is_true(record, "relapsed_or_refractory"))
    parts.append(_below(record, "bm_blasts_pct", entry.bm_blasts_below_pct))
    parts.append(_below(record, "pb_blasts_pct", entry.pb_blasts_below_pct))
    return _combine(cohort, parts)


def _mrd_rise(record: Mapping[str, Any], entry: MRDEntry):
    ref = _number(record, "mrd_reference_value")
    cur = _number(record, "mrd_current_value")
    missing = tuple(
        f for f, v in (("mrd_reference_value", ref), ("mrd_current_value", cur)) if v is None
    )
    if missing:
        return None, f"{', '.join(missing)} missing", missing
    assert ref is not None and cur is not None
    if ref == 0:
        return (
            None,
            "mrd_reference_value is 0: a fold rise is undefined (investigator to decide)",
            ("mrd_reference_value",),
        )
    rise = mrd_rise(ref, cur, entry, DECIMALS)
    return rise.rising, rise.rule, ()


def _assay(record: Mapping[str, Any], entry: MRDEntry):
    value = record.get("mrd_assay")
    if _is_missing(value):
        return None, "mrd_assay missing", ("mrd_assay",)
    _check_type("mrd_assay", value, "text")
    known = {a.lower(): a for a in entry.assays}
    ok = value.strip().lower() in known
    return ok, f"mrd_assay = {value!r} ({'in' if ok else 'not in'} {', '.join(entry.assays)})", ()


def _comparable(record: Mapping[str, Any]):
    """The rise compares like with like (Heuser 2021: same assay and tissue [recalled]): the
    current sample's material is recorded, and the reference sample used the same material and
    assay. A different material or assay leaves the rise undetermined (a comparable sample is
    needed), not false."""
    names = ("mrd_material", "mrd_reference_material", "mrd_assay", "mrd_reference_assay")
    values = {}
    for name in names:
        v = record.get(name)
        if not _is_missing(v):
            _check_type(name, v, "text")
        values[name] = None if _is_missing(v) else v.strip()
    missing = tuple(n for n in names if values[n] is None)
    if missing:
        return None, f"{', '.join(missing)} missing (the rise needs comparable samples)", missing
    differ = [
        f"{what} {values[ref]} -> {values[cur]}"
        for what, ref, cur in (
            ("material", "mrd_reference_material", "mrd_material"),
            ("assay", "mrd_reference_assay", "mrd_assay"),
        )
        if values[ref].lower() != values[cur].lower()  # type: ignore[union-attr]
    ]
    if differ:
        return (
            None,
            "MRD rise not comparable (" + "; ".join(differ) + "): a rise is compared only "
            "within the same material and assay",
            ("mrd_reference_material", "mrd_reference_assay"),
        )
    return True, f"same material ({values['mrd_material']}) and assay ({values['mrd_assay']})", ()


def fits_mrd(record: Mapping[str, Any], entry: MRDEntry, cohort: str = "mrd") -> CohortFit:
    """MRD cohort entry (NCT05319249 cohort B; ELN-MRD 2021 rise): haematological remission with
    marrow blasts below the remission ceiling and MRD rising more than `rise_fold_above`-fold by
    an accepted assay (qPCR, NGS, ddPCR = "molecular genetics", or flow), the rise compared
    within the same sample material and assay."""
    parts = [
        _is_true(record, "in_haematological_remission"),
        _below(record, "bm_blasts_pct", entry.remission_bm_blasts_below_pct),
        _assay(record, entry),
        _comparable(record),
        _mrd_rise(record, entry),
    ]
    return _combine(cohort, parts)
