"""The screening log: one row per screened patient with eligibility and enrolment."""

from __future__ import annotations

from datetime import date
from typing import Any

from nakip.edc.models import ScreeningRecord


def screening_row(s: ScreeningRecord, cutoff: date | None) -> dict[str, Any]:
    """A screening at the cut-off: enrolled only if enrolled on or before it."""
    subject = getattr(s, "subject", None)
    if subject is not None and cutoff is not None and subject.enrolment_date > cutoff:
        subject = None
    criteria = (s.eligibility or {}).get("criteria") or []
    codes = [c["id"] for c in criteria if c.get("status") == "failed"]
    status = s.eligibility_status
    return {
        "screening_number": s.screening_number,
        "site": s.site.code,
        "cohort": s.eligibility_cohort or None,
        "consent_date": s.consent_date,
        "eligible": None if status == "undetermined" else status == "eligible",
        "failed_criteria": "; ".join(codes) or None,
        "enrolled": subject is not None,
        "subject_number": subject.subject_number if subject else None,
    }
