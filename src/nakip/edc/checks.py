"""Edit checks: validate a form's values against its protocol definition.

Hard checks (type, required, required_if, min/max, choices, unknown fields, date order) block
the save with messages per field; soft checks (soft_min/soft_max) let it save and open a query.
Pure functions of the form definition and the values: no database access here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from nakip.edc.text_safety import repair_text, text_problem
from nakip.protocol.model import Condition, DateLimits, FormDefinition, FormField

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}

#: Above this many choices an error names the count, not every choice (one-line messages).
LONG_CHOICE_LIST = 20


@dataclass(frozen=True)
class SoftFinding:
    """A soft edit-check finding: saved, but a query is opened on `field` with `check_code`."""

    field: str
    check_code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "check_code": self.check_code, "message": self.message}


@dataclass(frozen=True)
class CheckResult:
    """Cleaned values (JSON-ready), hard errors per field, and soft findings."""

    values: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)
    soft: tuple[SoftFinding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "values": self.values,
            "errors": self.errors,
            "soft": [s.to_dict() for s in self.soft],
        }


#: A condition's operator in words ("required when Prior HSCT is yes").
OP_WORDS = {
    "==": "is",
    "!=": "is not",
    "<": "is below",
    "<=": "is at most",
    ">": "is above",
    ">=": "is at least",
    "in": "is one of",
    "not_in": "is none of",
}


def _value_in_words(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_value_in_words(v) for v in value)
    return str(value).replace("_", " ")


def conditions_in_words(conditions: Sequence[Condition], labels: Mapping[str, str]) -> str:
    """Conditions as a sentence with field labels ("Prior HSCT is yes"), never code."""
    return " and ".join(
        f"{labels.get(c.field, c.field)} {OP_WORDS.get(c.op, c.op)} {_value_in_words(c.value)}"
        for c in conditions
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def coerce(f: FormField, value: Any) -> Any:
    """Convert one submitted value to its stored JSON form; ValueError says why it can't."""
    if f.type == "integer":
        if isinstance(value, bool):
            raise ValueError("expected a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ValueError("expected a whole number")
    if f.type == "decimal":
        if isinstance(value, bool):
            raise ValueError("expected a number")
        if isinstance(value, int | float):
            try:
                number = float(value)
            except OverflowError:  # an integer too large for a float, e.g. 10**400
                raise ValueError("expected a finite number") from None
        elif isinstance(value, str | Decimal):
            try:
                number = float(Decimal(str(value).strip().replace(",", ".")))
            except (InvalidOperation, ValueError):
                raise ValueError("expected a number") from None
        else:
            raise ValueError("expected a number")
        if not math.isfinite(number):
            raise ValueError("expected a finite number")
        return number
    if f.type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError("expected yes or no")
    if f.type == "date":
        if isinstance(value, datetime):
            raise ValueError("expected a date (YYYY-MM-DD)")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        raise ValueError("expected a date (YYYY-MM-DD)")
    if f.type == "datetime":
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        raise ValueError("expected a date and time (ISO 8601)")
    if f.type == "choice":
        text = str(value).strip() if isinstance(value, str | int | float) else None
        if isinstance(value, bool) or text not in f.choices:
            if len(f.choices) > LONG_CHOICE_LIST:
                raise ValueError(f"{text!r} is not one of the {len(f.choices)} listed choices")
            raise ValueError(f"expected one of: {', '.join(f.choices)}")
        return text
    if not isinstance(value, str):
        raise ValueError("expected text")
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    text = value.strip()
    if len(text) > 2000:
        raise ValueError("at most 2000 characters")
    return text


def condition_holds(cond: Condition, values: Mapping[str, Any]) -> bool:
    """True when the condition holds on the (cleaned) values; a missing field never holds."""
    actual = values.get(cond.field)
    if actual is None:
        return False
    expected = cond.value
    try:
        match cond.op:
            case "==":
                return actual == expected
            case "!=":
                return actual != expected
            case "<":
                return actual < expected
            case "<=":
                return actual <= expected
            case ">":
                return actual > expected
            case ">=":
                return actual >= expected
            case "in":
                return actual in expected
            case "not_in":
                return actual not in expected
    except TypeError:
        return False
    return False


def _fmt(x: float) -> str:
    return f"{x:g}"


def validate_values(form: FormDefinition, submitted: Mapping[str, Any] | None) -> CheckResult:
    """Check `submitted` against the form definition; blank values are stored as absent."""
    errors: dict[str, list[str]] = {}
    if submitted is None:
        submitted = {}
    if not isinstance(submitted, Mapping):
        return CheckResult({}, {"__all__": ["values must be a mapping of field names"]})
    by_name = {f.name: f for f in form.fields}
    for key in submitted:
        if key not in by_name:
            errors.setdefault(repair_text(str(key)), []).append(
                f"unknown field of form {form.code!r}"
            )
    clean: dict[str, Any] = {}
    for f in form.fields:
        raw = submitted.get(f.name)
        if _blank(raw):
            continue
        try:
            clean[f.name] = coerce(f, raw)
        except ValueError as exc:
            errors.setdefault(f.name, []).append(str(exc))
    soft: list[SoftFinding] = []
    for f in form.fields:
        value = clean.get(f.name)
        if value is None:
            if f.name in errors:
                continue
            if f.required:
                errors.setdefault(f.name, []).append("this field is required")
            elif f.required_if and all(condition_holds(c, clean) for c in f.required_if):
                why = conditions_in_words(f.required_if, {g.name: g.label for g in form.fields})
                errors.setdefault(f.name, []).append(f"required when {why}")
            continue
        if f.type in ("integer", "decimal"):
            unit = f" {f.unit}" if f.unit else ""
            if f.min is not None and value < f.min:
                errors.setdefault(f.name, []).append(f"must be at least {_fmt(f.min)}{unit}")
            if f.max is not None and value > f.max:
                errors.setdefault(f.name, []).append(f"must be at most {_fmt(f.max)}{unit}")
            if f.name not in errors:
                if f.soft_min is not None and value < f.soft_min:
                    soft.append(
                        SoftFinding(
                            f.name,
                            f"soft_min:{f.name}",
                            f"{_fmt(value)}{unit} is below the expected {_fmt(f.soft_min)}"
                            f"{unit}: please confirm the value and its unit",
                        )
                    )
                if f.soft_max is not None and value > f.soft_max:
                    soft.append(
                        SoftFinding(
                            f.name,
                            f"soft_max:{f.name}",
                            f"{_fmt(value)}{unit} is above the expected {_fmt(f.soft_max)}"
                            f"{unit}: please confirm the value and its unit",
                        )
                    )
        earlier = clean.get(f.not_before) if f.not_before else None
        if earlier is not None and f.name not in errors and str(value) < str(earlier):
            label = by_name[f.not_before].label.lower()
            errors.setdefault(f.name, []).append(f"may not be before the {label}")
    return CheckResult(clean, errors, tuple(soft))


def date_fields(form: FormDefinition, values: Mapping[str, Any]) -> dict[str, date]:
    """The form's filled date (and datetime) fields as dates."""
    out: dict[str, date] = {}
    for f in form.fields:
        v = values.get(f.name)
        if v is None:
            continue
        if f.type == "date":
            out[f.name] = date.fromisoformat(v)
        elif f.type == "datetime":
            out[f.name] = datetime.fromisoformat(v).date()
    return out


def plausible_date_problem(
    d: date, limits: DateLimits, today: date, field: FormField | None = None
) -> str | None:
    """Why a date is implausible (before the earliest date, or too far after `today`), or None.

    The field's own `earliest` / `max_days_ahead` override the protocol's `date_limits`.
    """
    earliest = (field.earliest if field is not None else None) or limits.earliest
    ahead = field.max_days_ahead if field is not None and field.max_days_ahead is not None else None
    latest = today + timedelta(days=limits.max_days_ahead if ahead is None else ahead)
    if d < earliest:
        return f"{d.isoformat()} is not plausible: earlier than {earliest.isoformat()}"
    if d > latest:
        return f"{d.isoformat()} is not plausible: later than {latest.isoformat()}"
    return None


def check_plausible_dates(
    form: FormDefinition, values: Mapping[str, Any], limits: DateLimits, today: date
) -> dict[str, list[str]]:
    """Hard plausibility check of every filled date field (e.g. 9999-12-31 is refused)."""
    by_name = {f.name: f for f in form.fields}
    errors: dict[str, list[str]] = {}
    for name, d in date_fields(form, values).items():
        problem = plausible_date_problem(d, limits, today, by_name[name])
        if problem:
            errors.setdefault(name, []).append(problem)
    return errors


def check_dates(
    form: FormDefinition,
    values: Mapping[str, Any],
    consent_date: date | None,
    death_date: date | None,
    death_fields: frozenset[str] = frozenset(),
) -> dict[str, list[str]]:
    """Hard date logic: no date before consent, nothing after death (`death_fields` exempt)."""
    errors: dict[str, list[str]] = {}
    for name, d in date_fields(form, values).items():
        if consent_date is not None and d < consent_date:
            errors.setdefault(name, []).append(
                f"{d.isoformat()} is before informed consent ({consent_date.isoformat()})"
            )
        if death_date is not None and name not in death_fields and d > death_date:
            errors.setdefault(name, []).append(
                f"{d.isoformat()} is after the subject's death ({death_date.isoformat()})"
            )
    return errors
