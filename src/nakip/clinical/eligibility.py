"""Screening eligibility: the protocol's inclusion/exclusion criteria and cohort entry blocks.

Source: the protocol file (`eligibility`, `cohorts[*].overt_entry` / `mrd_entry`; semantics in the
YAML comment above `eligibility:`), from NCT05319249 inclusion criteria 1-7 (docs/clinical-rules.md)
and the MRD-rise rule of ELN-MRD 2021 (Heuser et al., Blood 2021;138:2753; docs/clinical-rules.md).

Semantics:
- A `data` criterion holds when every `check` condition holds (after `applies_if`). Inclusion:
  holding = "met", not holding = "failed". Exclusion: holding excludes the patient, reported as
  "failed" (the eligibility requirement is failed); not holding = "met".
- `applies_if` false -> "not_applicable"; an `applies_if` field missing -> "missing".
- A condition whose field is absent, None or NaN is unknown: one false condition decides the
  criterion anyway (a conjunction), otherwise the criterion is "missing" and names the field(s).
- `judgement` criteria read the boolean `confirm_field`: True means the criterion applies
  (inclusion met; exclusion excludes), False the opposite, missing -> "missing".
- Values of the wrong type (a string where the protocol compares a number, 1 for a boolean) raise
  ValueError naming the field: bad data must never be classified silently. Numbers are compared
  after rounding both sides to 9 decimals.
- Cohort fit (three-valued): overt = relapsed_or_refractory AND bm blasts < 20 % AND pb blasts
  < 20 % (exclusive ceilings, so 20.0 does not fit and 19.999 does); mrd = in haematological
  remission AND bm blasts < 5 % AND assay among the protocol's AND a rise of more than 3-fold,
  i.e. round(log10(current / reference), 9) > round(log10(3), 9) (exactly 3-fold is not rising;
  computed by `nakip.clinical.mrd.mrd_rise`; the caller supplies the reference chosen by
  `rise_reference`: previous sample or nadir).
  A reference of 0 (MRD-negative before) makes the fold undefined: the fit is undetermined and
  the field is named, for the investigator to decide.
- Result: "not_eligible" when any criterion failed or the record fits no cohort; else
  "undetermined" when any criterion or the cohort cannot be decided, or the record fits more
  than one cohort (a conflict the site must resolve); else "eligible" with the one cohort. A
  cohort that fits while another is undetermined is taken (an overt patient has no MRD data).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any, Literal

from nakip.clinical.mrd import mrd_rise
from nakip.clinical.thresholds import rounded
from nakip.protocol.model import Condition, Criterion, MRDEntry, OvertEntry, Protocol

DECIMALS = 9
Status = Literal["eligible", "not_eligible", "undetermined"]
CriterionStatus = Literal["met", "failed", "missing", "not_applicable"]
STATUSES: tuple[str, ...] = ("eligible", "not_eligible", "undetermined")

# Cohort-entry fields of the screening record (clinical-api.md) and their kinds.
COHORT_FIELDS: dict[str, str] = {
    "relapsed_or_refractory": "boolean",
    "bm_blasts_pct": "number",
    "pb_blasts_pct": "number",
    "in_haematological_remission": "boolean",
    "mrd_assay": "text",
    "mrd_material": "text",
    "mrd_reference_assay": "text",
    "mrd_reference_material": "text",
    "mrd_reference_value": "number",
    "mrd_current_value": "number",
}
_PERCENT_FIELDS = ("bm_blasts_pct", "pb_blasts_pct")


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's outcome; `reason` says why in words a monitor can read."""

    id: str
    text: str
    kind: Literal["inclusion", "exclusion"]
    status: CriterionStatus
    reason: str
    missing_fields: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "status": self.status,
            "reason": self.reason,
            "missing_fields": list(self.missing_fields),
        }


@dataclass(frozen=True)
class CohortFit:
    """Whether the record fits one cohort's entry block: True, False or None (undecided)."""

    cohort: str
    fits: bool | None
    reason: str
    missing_fields: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "cohort": self.cohort,
            "fits": self.fits,
            "reason": self.reason,
            "missing_fields": list(self.missing_fields),
        }


@dataclass(frozen=True)
class EligibilityResult:
    """The screening decision: status, the cohort (only when eligible), every criterion's outcome
    and the reasons behind a non-eligible or undetermined status."""

    status: Status
    cohort: str | None
    criteria: tuple[CriterionResult, ...]
    reasons: tuple[str, ...]
    cohort_fits: tuple[CohortFit, ...] = ()
    missing_fields: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "cohort": self.cohort,
            "criteria": [c.to_dict() for c in self.criteria],
            "reasons": list(self.reasons),
            "cohort_fits": [c.to_dict() for c in self.cohort_fits],
            "missing_fields": list(self.missing_fields),
        }


@dataclass(frozen=True)
class ScreeningField:
    """A field the screening record may carry, its kind and the criteria that read it."""

    name: str
    kind: Literal["boolean", "number", "text"]
    choices: tuple[str, ...] = ()
    used_by: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "choices": list(self.choices),
            "used_by": list(self.used_by),
        }


# --------------------------------------------------------------------------- values
def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _kind_of(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "text"
    raise ValueError(f"unsupported protocol value {value!r}")


def _condition_kind(cond: Condition) -> str:
    values = cond.value if isinstance(cond.value, list) else [cond.value]
    kinds = {_kind_of(v) for v in values}
    if len(kinds) != 1:
        raise ValueError(f"{cond.field}: protocol compares it with values of mixed types")
    return kinds.pop()


def _check_type(field: str, value: object, kind: str) -> None:
    ok = {
        "boolean": isinstance(value, bool),
        "number": _is_number(value) and math.isfinite(float(value)),  # type: ignore[arg-type]
        "text": isinstance(value, str),
    }[kind]
    if not ok:
        raise ValueError(f"{field}: expected a {kind}, got {type(value).__name__} {value!r}")


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return f"{float(value):g}"  # type: ignore[arg-type]
    return repr(value)


def _evaluate_condition(
    cond: Condition, record: Mapping[str, Any]
) -> tuple[bool | None, str, tuple[str, ...]]:
    """(holds, description, missing fields) of one condition; holds is None when a field it
    reads is missing. With `times`, the field is compared with value x that other field."""
    value = record.get(cond.field)
    want = cond.value
    missing = tuple(
        f for f in (cond.field, cond.times) if f is not None and _is_missing(record.get(f))
    )
    if missing:
        return None, f"{', '.join(missing)} missing", missing
    kind = _condition_kind(cond)
    _check_type(cond.field, value, kind)
    if cond.times is not None:
        factor = record[cond.times]
        _check_type(cond.times, factor, "number")
        want = float(want) * float(factor)
        holds, desc, _ = _compare(cond.field, cond.op, value, want, "number")
        return holds, f"{desc} = {_show(cond.value)} x {cond.times} {_show(factor)}", ()
    return _compare(cond.field, cond.op, value, want, kind)


def _compare(
    field: str, op: str, value: Any, want: Any, kind: str
) -> tuple[bool, str, tuple[str, ...]]:
    """One comparison of a present value (numbers rounded to 9 decimals first)."""
    if op in ("in", "not_in"):
        pool = [rounded(v, DECIMALS) if kind == "number" else v for v in want]
        x = rounded(value, DECIMALS) if kind == "number" else value
        holds = (x in pool) if op == "in" else (x not in pool)
        shown = "[" + ", ".join(_show(v) for v in want) + "]"
        return holds, f"{field} = {_show(value)} ({'in' if op == 'in' else 'not in'} {shown})", ()
    if op in ("<", "<=", ">", ">=") and kind != "number":
        raise ValueError(f"{field}: the protocol orders a non-numeric value with {op!r}")
    if kind == "number":
        x, y = rounded(value, DECIMALS), rounded(want, DECIMALS)
    else:
        x, y = value, want
    holds = {
        "<": lambda: x < y,
        "<=": lambda: x <= y,
        ">": lambda: x > y,
        ">=": lambda: x >= y,
        "==": lambda: x == y,
        "!=": lambda: x != y,
    }[op]()
    return holds, f"{field} = {_show(value)} (criterion: {op} {_show(want)})", ()


def _conditions(
    conditions: Sequence[Condition], record: Mapping[str, Any]
) -> tuple[list[str], list[str], list[str]]:
    """(true descriptions, false descriptions, missing fields) of each condition."""
    true_, false_, missing = [], [], []
    for cond in conditions:
        holds, desc, names = _evaluate_condition(cond, record)
        if holds is None:
            missing.extend(names)
        elif holds:
            true_.append(desc)
        else:
            false_.append(desc)
    return true_, false_, list(dict.fromkeys(missing))


def _conjunction(
    conditions: Sequence[Condition], record: Mapping[str, Any]
) -> tuple[bool | None, list[str], list[str], list[str]]:
    """Kleene AND: (value, true descriptions, false descriptions, missing fields)."""
    true_, false_, missing = _conditions(conditions, record)
    value: bool | None = False if false_ else (None if missing else True)
    return value, true_, false_, missing


def _disjunction(
    conditions: Sequence[Condition], record: Mapping[str, Any]
) -> tuple[bool | None, list[str], list[str], list[str]]:
    """Kleene OR: true when one condition holds, false when all are false, else unknown."""
    true_, false_, missing = _conditions(conditions, record)
    value: bool | None = True if true_ else (None if missing else False)
    if value is not False:
        return value, true_, false_, missing
    return value, true_, ["none of: " + "; ".join(false_)], missing


def _data_criterion(
    criterion: Criterion, record: Mapping[str, Any]
) -> tuple[bool | None, list[str], list[str], list[str]]:
    """`check` (all hold) AND `any_of` (one holds), three-valued."""
    holds, true_, false_, missing = _conjunction(criterion.check, record)
    if criterion.any_of:
        h2, t2, f2, m2 = _disjunction(criterion.any_of, record)
        true_, false_ = true_ + t2, false_ + f2
        missing = list(dict.fromkeys(missing + (m2 if h2 is None else [])))
        holds = False if False in (holds, h2) else (None if None in (holds, h2) else True)
    return holds, true_, false_, missing


# --------------------------------------------------------------------------- criteria
def evaluate_criterion(
    criterion: Criterion, kind: Literal["inclusion", "exclusion"], record: Mapping[str, Any]
) -> CriterionResult:
    """Evaluate one inclusion or exclusion criterion against a screening record (module doc)."""
    cid, text = criterion.id, criterion.text

    def res(status: CriterionStatus, reason: str, missing: Sequence[str] = ()) -> CriterionResult:
        return CriterionResult(cid, text, kind, status, f"{cid}: {reason}", tuple(missing))

    if criterion.applies_if:
        applies, _, false_, missing = _conjunction(criterion.applies_if, record)
        if applies is False:
            return res("not_applicable", f"does not apply ({'; '.join(false_)})")
        if applies is None:
            return res("missing", f"cannot be decided: {', '.join(missing)} missing", missing)
    if criterion.kind == "judgement":
        field = criterion.confirm_field
        assert field is not None
        value = record.get(field)
        if _is_missing(value):
            return res("missing", f"cannot be decided: {field} missing", [field])
        _check_type(field, value, "boolean")
        holds: bool | None = bool(value)
        why = f"investigator's judgement {field} = {_show(value)}"
        true_, false_, missing = [why], [why], []
    else:
        holds, true_, false_, missing = _data_criterion(criterion, record)
    if holds is None:
        return res("missing", f"cannot be decided: {', '.join(missing)} missing", missing)
    if kind == "inclusion":
        if holds:
            return res("met", "met (" + "; ".join(true_) + ")")
        return res("failed", "not met (" + "; ".join(false_) + ")")
    if holds:
        return res("failed", "excludes (" + "; ".join(true_) + ")")
    return res("met", "does not exclude (" + "; ".join(false_) + ")")


# --------------------------------------------------------------------------- cohorts
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


# --------------------------------------------------------------------------- decision
def _default_protocol() -> Protocol:
    from nakip.protocol import load_protocol

    return load_protocol()


def evaluate_eligibility(
    record: Mapping[str, Any], protocol: Protocol | None = None
) -> EligibilityResult:
    """Decide eligibility and cohort from a screening record (semantics in the module doc).

    Every criterion is evaluated and reported, so a screening log shows all failures at once.
    """
    if not isinstance(record, Mapping):
        raise ValueError(f"record: expected a mapping, got {type(record).__name__}")
    p = protocol or _default_protocol()
    results = [evaluate_criterion(c, "inclusion", record) for c in p.eligibility.inclusion]
    results += [evaluate_criterion(c, "exclusion", record) for c in p.eligibility.exclusion]
    fits: list[CohortFit] = []
    for cohort in p.cohorts:
        if cohort.overt_entry is not None:
            fits.append(fits_overt(record, cohort.overt_entry, cohort.code))
        elif cohort.mrd_entry is not None:
            fits.append(fits_mrd(record, cohort.mrd_entry, cohort.code))
    failed = [r for r in results if r.status == "failed"]
    undecided = [r for r in results if r.status == "missing"]
    fitting = [f for f in fits if f.fits is True]
    open_fits = [f for f in fits if f.fits is None]
    cohort_missing = [] if fitting else [m for f in open_fits for m in f.missing_fields]
    missing = tuple(
        dict.fromkeys([m for r in undecided for m in r.missing_fields] + cohort_missing)
    )
    reasons = [r.reason for r in failed]
    if not fitting and not open_fits:
        reasons.append("fits no cohort: " + " | ".join(f.reason for f in fits))
    if reasons:
        return EligibilityResult(
            "not_eligible", None, tuple(results), tuple(reasons), tuple(fits), missing
        )
    reasons = [r.reason for r in undecided]
    if len(fitting) > 1:
        names = ", ".join(f.cohort for f in fitting)
        reasons.append(f"cannot be decided: conflict, the record fits cohorts {names}")
    elif not fitting:
        reasons += [f.reason for f in open_fits]
    if reasons:
        return EligibilityResult(
            "undetermined", None, tuple(results), tuple(reasons), tuple(fits), missing
        )
    return EligibilityResult(
        "eligible", fitting[0].cohort, tuple(results), (), tuple(fits), missing
    )


def screening_fields(protocol: Protocol | None = None) -> tuple[ScreeningField, ...]:
    """Every field the eligibility rules read, with its kind (from the protocol's comparison
    values) and the criteria or cohort entries that use it."""
    p = protocol or _default_protocol()
    kinds: dict[str, str] = {}
    choices: dict[str, list[str]] = {}
    users: dict[str, list[str]] = {}
    for crit in [*p.eligibility.inclusion, *p.eligibility.exclusion]:
        conds = [*crit.applies_if, *crit.check, *crit.any_of]
        for cond in conds:
            kinds.setdefault(cond.field, _condition_kind(cond))
            users.setdefault(cond.field, []).append(crit.id)
            if cond.times is not None:
                kinds.setdefault(cond.times, "number")
                users.setdefault(cond.times, []).append(crit.id)
            if isinstance(cond.value, list):
                choices.setdefault(cond.field, []).extend(
                    v for v in cond.value if isinstance(v, str)
                )
        if crit.confirm_field:
            kinds.setdefault(crit.confirm_field, "boolean")
            users.setdefault(crit.confirm_field, []).append(crit.id)
    for cohort in p.cohorts:
        for name, kind in COHORT_FIELDS.items():
            wanted = (
                name in ("relapsed_or_refractory", "bm_blasts_pct", "pb_blasts_pct")
                if cohort.overt_entry
                else name not in ("relapsed_or_refractory", "pb_blasts_pct")
            )
            if wanted:
                kinds.setdefault(name, kind)
                users.setdefault(name, []).append(f"cohort:{cohort.code}")
        if cohort.mrd_entry:
            for name in ("mrd_assay", "mrd_reference_assay"):
                choices.setdefault(name, []).extend(cohort.mrd_entry.assays)
            for name in ("mrd_material", "mrd_reference_material"):
                choices.setdefault(name, []).extend(["bone_marrow", "peripheral_blood"])
    return tuple(
        ScreeningField(
            name,
            kinds[name],  # type: ignore[arg-type]
            tuple(dict.fromkeys(choices.get(name, []))),
            tuple(dict.fromkeys(users[name])),
        )
        for name in kinds
    )
