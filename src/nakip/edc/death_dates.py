"""A subject's date of death, read from the forms that hold one (follow-up, end of study).

Death ends the subject's timeline ("nothing after death"): the write services refuse dates
after it and the derivations stop the schedule there; both read it here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from nakip.edc.models import FormRecord, Subject

#: (form, field) pairs whose value is the date of death.
DEATH_DATE_FIELDS = (("follow_up", "death_date"), ("end_of_study", "death_date"))
#: The forms that may hold a date of death.
DEATH_FORMS = tuple(form for form, _ in DEATH_DATE_FIELDS)


def death_date_in(records: Iterable[FormRecord]) -> date | None:
    """The earliest date of death among already-loaded active records (no query)."""
    found: list[date] = []
    for rec in records:
        if rec.withdrawn:
            continue
        for form_code, name in DEATH_DATE_FIELDS:
            if rec.form_code == form_code and rec.values.get(name):
                found.append(date.fromisoformat(rec.values[name]))
    return min(found) if found else None


def death_date(subject: Subject, exclude_record: FormRecord | None = None) -> date | None:
    """The subject's date of death from follow-up / end-of-study records, or None."""
    if subject.__dict__.get("has_death_record") is False:
        return None  # known from services.common.locked_subject: no record could hold one
    qs = FormRecord.objects.filter(subject=subject, withdrawn=False, form_code__in=DEATH_FORMS)
    if exclude_record is not None and exclude_record.pk:
        qs = qs.exclude(pk=exclude_record.pk)
    return death_date_in(qs)
