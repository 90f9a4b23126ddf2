"""The eligibility verdict in words: each criterion as satisfied / not satisfied / cannot decide
*in the direction of eligibility*, with the values entered by label.

The clinical layer already reports an exclusion that does not apply as "met" (eligibility
requirement satisfied); this module only translates codes into words a site can read. It is the
one owner of that wording: the screening page (`edc.web`) and the screening services (screen
failure reasons, a refused enrolment) both use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nakip.protocol.model import Criterion, FormDefinition, FormField, Protocol

#: Criterion status (nakip.clinical.eligibility) -> words, seen from eligibility.
VERDICT_WORDS = {
    "met": "satisfied",
    "failed": "not satisfied",
    "missing": "cannot decide",
    "not_applicable": "does not apply",
}


def value_in_words(f: FormField | None, value: Any) -> str:
    """One entered value as a reader says it: yes/no, choices without underscores, units."""
    if value is None or value == "":
        return "not entered"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("_", " ") if f is not None and f.type == "choice" else str(value)
    unit = f.unit if f is not None and f.unit else ""
    return f"{text} {unit}".strip()


def _fields_read(criterion: Criterion) -> list[str]:
    """The screening fields a criterion reads, in protocol order, once each."""
    names: list[str] = []
    for cond in [*criterion.applies_if, *criterion.check, *criterion.any_of]:
        names += [cond.field] + ([cond.times] if cond.times else [])
    if criterion.confirm_field:
        names.append(criterion.confirm_field)
    return list(dict.fromkeys(names))


def entered_values(
    names: list[str], definition: FormDefinition, values: Mapping[str, Any]
) -> list[str]:
    """ "Label: value" for each field name (labels from the protocol file)."""
    by_name = {f.name: f for f in definition.fields}
    out = []
    for name in names:
        f = by_name.get(name)
        label = f.label if f is not None else name.replace("_", " ")
        out.append(f"{label}: {value_in_words(f, values.get(name))}")
    return out


def criterion_rows(
    eligibility: Mapping[str, Any],
    protocol: Protocol,
    definition: FormDefinition,
    values: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Rows of the criteria table: id, kind, protocol text, verdict in words, values entered."""
    by_id = {c.id: c for c in [*protocol.eligibility.inclusion, *protocol.eligibility.exclusion]}
    rows = []
    for c in eligibility.get("criteria", []):
        criterion = by_id.get(c["id"])
        names = _fields_read(criterion) if criterion else list(c.get("missing_fields", []))
        rows.append(
            {
                "id": c["id"],
                "kind": c["kind"],
                "text": criterion.text if criterion else c["text"],
                "status": c["status"],
                "verdict": VERDICT_WORDS.get(c["status"], c["status"]),
                "entered": entered_values(names, definition, values),
            }
        )
    return rows


#: Screening fields each kind of cohort entry block reads (nakip.clinical.eligibility, cohort fit).
ENTRY_FIELDS = {
    "overt": ("relapsed_or_refractory", "bm_blasts_pct", "pb_blasts_pct"),
    "mrd": (
        "in_haematological_remission",
        "bm_blasts_pct",
        "mrd_assay",
        "mrd_reference_assay",
        "mrd_material",
        "mrd_reference_material",
        "mrd_reference_value",
        "mrd_current_value",
    ),
}


def cohort_rows(
    eligibility: Mapping[str, Any],
    protocol: Protocol,
    definition: FormDefinition,
    values: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Rows of the cohort-entry part: the cohort's protocol description, fits / does not fit /
    cannot decide, and the values entered; a non-fit is a failure only when no cohort fits."""
    cohorts = {c.code: c for c in protocol.cohorts}
    fits = eligibility.get("cohort_fits", [])
    none_fits = not any(f.get("fits") for f in fits)
    rows = []
    for f in fits:
        cohort = cohorts.get(f["cohort"])
        entry = "overt" if cohort is not None and cohort.overt_entry is not None else "mrd"
        state = {True: "met", None: "missing"}.get(f["fits"], "failed" if none_fits else "other")
        rows.append(
            {
                "cohort": f["cohort"],
                "text": cohort.description if cohort else f["cohort"],
                "state": state,
                "verdict": {True: "fits", None: "cannot decide"}.get(f["fits"], "does not fit"),
                "entered": entered_values(list(ENTRY_FIELDS[entry]), definition, values),
            }
        )
    return rows


def _cohort_reason(reason: str) -> bool:
    """True for the verdict's cohort-entry reasons (`nakip.clinical.eligibility`)."""
    return reason.startswith(("fits no cohort", "cohort ", "cannot be decided: conflict"))


def cohort_reasons_in_words(
    eligibility: Mapping[str, Any], cohorts: list[dict[str, Any]], names: Mapping[str, str]
) -> list[str]:
    """The cohort-entry reasons of the verdict in words: each cohort that does not fit (no
    cohort fits) or cannot be decided, with its protocol description and the values entered;
    two fitting cohorts as a conflict the investigator resolves."""
    reasons = [r for r in eligibility.get("reasons", []) if _cohort_reason(r)]
    if not reasons:
        return []
    fitting = [c for c in cohorts if c["state"] == "met"]
    if len(fitting) > 1:
        both = " and ".join(names.get(c["cohort"], c["cohort"]) for c in fitting)
        return [f"The values fit more than one cohort ({both}): the investigator decides which."]
    none_fits = any(r.startswith("fits no cohort") for r in reasons)
    wanted = ("failed",) if none_fits else ("missing",)
    return [
        f"Cohort {names.get(c['cohort'], c['cohort'])} {c['verdict']}: {c['text']} "
        f"Entered: {'; '.join(c['entered'])}."
        for c in cohorts
        if c["state"] in wanted
    ]


def reasons_in_words(
    eligibility: Mapping[str, Any],
    rows: list[dict[str, Any]],
    cohorts: list[dict[str, Any]] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """Why a patient is not (yet) eligible: each criterion not satisfied or undecided in words,
    then the cohort entry in words (`cohort_reasons_in_words`, given the `cohort_rows` and the
    cohort names), then any other reason of the verdict unchanged."""
    ids = {r["id"] for r in rows}
    words = [
        f"{r['id']} {r['verdict']}: {r['text']} Entered: {'; '.join(r['entered'])}."
        for r in rows
        if r["status"] in ("failed", "missing")
    ]
    cohort_words = cohort_reasons_in_words(eligibility, cohorts, names or {}) if cohorts else []
    others = [
        r
        for r in eligibility.get("reasons", [])
        if r.split(":", 1)[0] not in ids and not (cohort_words and _cohort_reason(r))
    ]
    return words + cohort_words + others


def verdict_in_words(
    eligibility: Mapping[str, Any],
    protocol: Protocol,
    definition: FormDefinition,
    values: Mapping[str, Any],
) -> list[str]:
    """The reasons of a stored eligibility verdict in words, from the verdict alone: what the
    screening page, a screen failure without typed reasons and a refused enrolment all say."""
    names = {c.code: c.name for c in protocol.cohorts}
    return reasons_in_words(
        eligibility,
        criterion_rows(eligibility, protocol, definition, values),
        cohort_rows(eligibility, protocol, definition, values),
        names,
    )
