"""Data-quality figures per site for the data manager and the monitor: source-data
verification progress, unresolved queries by age, forms pending at due or overdue visits, and
the time from a form's clinical date to its entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from django.db.models import Q
from django.utils import timezone

from nakip.edc.datasets.snapshot import record_date_fields
from nakip.edc.models import Query, QueryStatus, Site
from nakip.edc.subject_overview import SubjectOverview
from nakip.protocol import Protocol

#: Age bands of unresolved queries in days since raised: (first day, last day or None, label).
AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 7, "up to 7 days"),
    (8, 14, "8 to 14 days"),
    (15, 30, "15 to 30 days"),
    (31, None, "over 30 days"),
)
#: Visit states whose missing forms count as pending.
PENDING_STATES = ("due", "overdue")


def age_band(days: int) -> int:
    """Index of the AGE_BANDS band holding an age of `days` days."""
    for i, (low, high, _) in enumerate(AGE_BANDS):
        if days >= low and (high is None or days <= high):
            return i
    return 0  # a negative age (clock skew) counts as new


@dataclass(frozen=True)
class EntryLag:
    """Days from a form's clinical date to its entry: count, median, 90th percentile, max."""

    n: int
    median: float | None
    p90: float | None
    maximum: int | None

    @classmethod
    def of(cls, days: Sequence[int]) -> EntryLag:
        if not days:
            return cls(0, None, None, None)
        arr = np.asarray(days, dtype=float)
        return cls(len(days), float(np.median(arr)), float(np.percentile(arr, 90)), int(arr.max()))


@dataclass(frozen=True)
class SiteQuality:
    """One site's data-quality figures."""

    code: str
    name: str
    subjects: int
    records: int
    verified: int
    queries_by_age: tuple[int, ...]
    forms_pending: int
    overdue_visits: int
    entry_lag: EntryLag

    @property
    def sdv_percent(self) -> float | None:
        """Share of active records source-data verified, in percent (None without records)."""
        return 100.0 * self.verified / self.records if self.records else None

    @property
    def unresolved_queries(self) -> int:
        return sum(self.queries_by_age)

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.code,
            "subjects": self.subjects,
            "records": self.records,
            "verified": self.verified,
            "sdv_percent": self.sdv_percent,
            "queries_by_age": dict(
                zip((b[2] for b in AGE_BANDS), self.queries_by_age, strict=True)
            ),
            "forms_pending": self.forms_pending,
            "overdue_visits": self.overdue_visits,
            "entry_lag_days": self.entry_lag.__dict__,
        }


def _clinical_date(values: dict[str, Any], fields: list[str]) -> date | None:
    raw = values.get(fields[0]) if fields else None
    if not isinstance(raw, str) or len(raw) < 10:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def _query_ages(site_ids: Iterable[int], today: date) -> dict[int, list[int]]:
    """Unresolved queries per site: their bands (one query for all sites)."""
    ids = list(site_ids)
    rows = Query.objects.filter(~Q(status=QueryStatus.CLOSED)).filter(
        Q(record__subject__site_id__in=ids) | Q(screening__site_id__in=ids)
    )
    out: dict[int, list[int]] = defaultdict(lambda: [0] * len(AGE_BANDS))
    for rec_site, scr_site, raised in rows.values_list(
        "record__subject__site_id", "screening__site_id", "raised_at"
    ):
        age = (today - timezone.localdate(raised)).days
        out[rec_site or scr_site][age_band(age)] += 1
    return out


def site_quality(
    sites: Sequence[Site], overviews: Sequence[SubjectOverview], protocol: Protocol, today: date
) -> list[SiteQuality]:
    """The figures of each site from the overviews of its subjects (plus one query)."""
    by_site: dict[int, list[SubjectOverview]] = defaultdict(list)
    for o in overviews:
        by_site[o.subject.site_id].append(o)
    ages = _query_ages((s.pk for s in sites), today)
    fields: dict[tuple[str, int], list[str]] = {}
    out = []
    for site in sites:
        records = verified = pending = overdue = 0
        lags: list[int] = []
        for o in by_site.get(site.pk, []):
            for r in o.records:
                records += 1
                verified += r.sdv_at is not None
                key = (r.form_code, r.form_version)
                if key not in fields:
                    fields[key] = record_date_fields(protocol, *key)
                when = _clinical_date(r.values, fields[key])
                if when is not None:
                    lags.append((timezone.localdate(r.created_at) - when).days)
            for v in o.visits:
                if v.status in PENDING_STATES:
                    pending += len(v.forms_missing)
                overdue += v.status == "overdue"
        out.append(
            SiteQuality(
                code=site.code,
                name=site.name,
                subjects=len(by_site.get(site.pk, [])),
                records=records,
                verified=verified,
                queries_by_age=tuple(ages.get(site.pk, [0] * len(AGE_BANDS))),
                forms_pending=pending,
                overdue_visits=overdue,
                entry_lag=EntryLag.of(lags),
            )
        )
    return out
