"""Raw per-form tables: every active record of a form at the cut-off, one column per field, as
entered (the screening form from the screening records)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from nakip.edc.datasets.snapshot import EDCSnapshot
from nakip.edc.datasets.source import usubjid

RECORD_COLUMNS = ("record_id", "usubjid", "subject_number", "site", "cohort", "visit_code",
                  "form_version", "status")  # fmt: skip
SCREENING_COLUMNS = ("screening_number", "site", "consent_date", "form_version",
                     "eligibility_status", "outcome")  # fmt: skip


def _field_names(snapshot: EDCSnapshot, code: str, seen: set[str]) -> list[str]:
    """The latest form version's fields in form order, then fields only older versions have."""
    names = [f.name for f in snapshot.protocol.form(code).fields]
    return names + sorted(seen - set(names))


def raw_form_tables(snapshot: EDCSnapshot) -> dict[str, pd.DataFrame]:
    """Form code -> table of its records (screening first, then forms in protocol order)."""
    p = snapshot.protocol
    rows: dict[str, list[dict[str, Any]]] = {"screening": []}
    keys: dict[str, set[str]] = {"screening": set()}
    for s in snapshot.screenings:
        rows["screening"].append(
            {
                "screening_number": s.screening_number,
                "site": s.site.code,
                "consent_date": s.consent_date,
                "form_version": s.form_version,
                "eligibility_status": s.eligibility_status,
                "outcome": s.outcome,
                **s.values,
            }
        )
        keys["screening"] |= set(s.values)
    for code in dict.fromkeys(f.code for f in p.forms):
        rows.setdefault(code, [])
        keys.setdefault(code, set())
    for subject in snapshot.subjects:
        base = {
            "usubjid": usubjid(p, subject.subject_number),
            "subject_number": subject.subject_number,
            "site": subject.site.code,
            "cohort": subject.cohort,
        }
        for rec in snapshot.records_of(subject):
            rows.setdefault(rec.form_code, []).append(
                {
                    "record_id": rec.pk,
                    **base,
                    "visit_code": rec.visit_code,
                    "form_version": rec.form_version,
                    "status": rec.status,
                    **rec.values,
                }
            )
            keys.setdefault(rec.form_code, set()).update(rec.values)
    out = {}
    for code, items in rows.items():
        fixed = SCREENING_COLUMNS if code == "screening" else RECORD_COLUMNS
        names = [*fixed, *_field_names(snapshot, code, keys[code])]
        frame = pd.DataFrame(
            [[r.get(n) for n in names] for r in items], columns=names, dtype=object
        )
        out[code] = frame
    return out
