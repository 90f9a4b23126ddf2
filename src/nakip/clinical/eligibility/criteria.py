"""One inclusion or exclusion criterion of the protocol evaluated on a screening record.

Source: the protocol file's `eligibility` list (NCT05319249 inclusion criteria 1-7,
docs/clinical-rules.md). Unknown values are "missing" unless one false condition decides; values of
the wrong type raise ValueError; numbers are compared after rounding both sides to 9 decimals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any, Literal

from nakip.clinical.eligibility.results import DECIMALS, CriterionResult, CriterionStatus
from nakip.clinical.thresholds import rounded
from nakip.protocol.model import Condition, Criterion


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
