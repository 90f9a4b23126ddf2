"""Protocol deviations (ICH E3 10.2; ICH E6(R3)): the `deviation` form records as listing rows
and their counts by category and severity, for the listing pages, the analysis dataset and the
DSMB report (one function each, used by all three)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from nakip.clinical.deviations import RecordedEntry
from nakip.edc.models import FormRecord

DEVIATION_FORM = "deviation"
CATEGORIES = ("late_visit", "missed_dose", "eligibility_waiver", "other")
SEVERITIES = ("major", "minor")


@dataclass(frozen=True)
class DeviationRow:
    """One protocol deviation of a subject, as entered on the deviation form."""

    record_id: int
    subject_number: str
    site_code: str
    cohort: str
    deviation_date: date
    category: str
    severity: str
    description: str
    corrective_action: str
    visit_code: str = ""
    reported_to_ethics: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "deviation_date": self.deviation_date.isoformat()}


def deviation_rows(records: Iterable[FormRecord]) -> list[DeviationRow]:
    """Listing rows of the active deviation records among `records` (by date, then subject)."""
    rows = []
    for r in records:
        if r.form_code != DEVIATION_FORM or r.withdrawn:
            continue
        v = r.values
        rows.append(
            DeviationRow(
                r.pk,
                r.subject.subject_number,
                r.subject.site.code,
                r.subject.cohort,
                date.fromisoformat(v["deviation_date"]),
                v["category"],
                v["severity"],
                v.get("description", ""),
                v.get("corrective_action", ""),
                v.get("visit_concerned", ""),
                v.get("reported_to_ethics"),
            )  # fmt: skip
        )
    return sorted(rows, key=lambda d: (d.deviation_date, d.subject_number, d.record_id))


def recorded_entries(records: Iterable[FormRecord]) -> list[RecordedEntry]:
    """The active deviation records among `records` as the deviation rule reads them (from the
    record values only: no query for the subject or site, for listings over many subjects)."""
    return [
        RecordedEntry(
            r.values["category"],
            r.values["severity"],
            r.values.get("description", ""),
            r.values.get("visit_concerned", ""),
        )  # fmt: skip
        for r in records
        if r.form_code == DEVIATION_FORM and not r.withdrawn
    ]


def deviation_counts(rows: Iterable[DeviationRow]) -> dict[str, dict[str, int]]:
    """Counts by category x severity, every category and severity present (0 when none), with
    a `total` row and column."""
    c = Counter((r.category, r.severity) for r in rows)
    out = {cat: {sev: c[(cat, sev)] for sev in SEVERITIES} for cat in CATEGORIES}
    for cat in CATEGORIES:
        out[cat]["total"] = sum(out[cat][s] for s in SEVERITIES)
    out["total"] = {s: sum(out[cat][s] for cat in CATEGORIES) for s in (*SEVERITIES, "total")}
    return out
