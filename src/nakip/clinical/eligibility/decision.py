"""The screening verdict: eligible with one cohort, not eligible, or undetermined, with reasons.

Not eligible when any criterion failed or no cohort fits; undetermined when a criterion or the
cohort cannot be decided or more than one cohort fits (docs/clinical-rules.md, NCT05319249).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nakip.clinical.eligibility.cohorts import fits_mrd, fits_overt
from nakip.clinical.eligibility.criteria import _condition_kind, evaluate_criterion
from nakip.clinical.eligibility.results import (
    COHORT_FIELDS,
    CohortFit,
    EligibilityResult,
    ScreeningField,
)
from nakip.protocol.model import Protocol


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
