"""Listings across subjects for sites, monitors and data managers: subjects, adverse events,
serious adverse events, DLTs, protocol deviations (recorded and found, by the rule of
`nakip.clinical.deviations`) and the visit calendar.

A listing is columns (labels from the protocol file) and rows of plain values (text, numbers,
dates, flags), so the page, the CSV and the XLSX show the same cells. Rows come from subject
overviews loaded in a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from nakip.clinical.ctcae_terms import reported_term
from nakip.clinical.deviations import (
    CONSENT,
    ELIGIBILITY,
    MISSED_VISIT,
    Deviation,
    VisitWindow,
    subject_deviations,
)
from nakip.edc.datasets.snapshot import date_part, record_date
from nakip.edc.deviations import CATEGORIES, recorded_entries
from nakip.edc.subject_overview import SubjectOverview
from nakip.protocol import Protocol

#: Visit states that need someone's attention (the visit calendar's default filter).
ATTENTION = "attention"
ATTENTION_STATES = ("due", "overdue", "missed")
ADVERSE_EVENT_FORM = "adverse_event"


class ListingFilterError(ValueError):
    """A filter value a listing does not know; the message names the filter."""


@dataclass(frozen=True)
class Column:
    """A listing column: the row key and its heading."""

    key: str
    label: str


@dataclass(frozen=True)
class Listing:
    """One listing: its code, title, columns and rows (dicts keyed by column key)."""

    code: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Any], ...]
    status_key: str = ""
    status_choices: tuple[str, ...] = ()

    def table(self) -> list[list[Any]]:
        """The rows as lists of cells in column order (for CSV and XLSX)."""
        return [[row.get(c.key) for c in self.columns] for row in self.rows]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "columns": [{"key": c.key, "label": c.label} for c in self.columns],
            "rows": [dict(r) for r in self.rows],
        }


def _words(code: Any) -> Any:
    """A protocol choice code as words ("not_recovered" -> "not recovered")."""
    return code.replace("_", " ") if isinstance(code, str) else code


def _base(o: SubjectOverview, cohorts: dict[str, str]) -> dict[str, Any]:
    s = o.subject
    return {
        "subject": s.subject_number,
        "site": s.site.code,
        "cohort": cohorts.get(s.cohort, s.cohort),
    }


_BASE_COLUMNS = (Column("subject", "Subject"), Column("site", "Site"), Column("cohort", "Cohort"))


class _Context:
    """Protocol labels used by every listing."""

    def __init__(self, protocol: Protocol):
        self.protocol = protocol
        self.cohorts = {c.code: c.name for c in protocol.cohorts}
        self.forms = {f.code: f.title for f in protocol.forms}
        ae = protocol.form(ADVERSE_EVENT_FORM)
        self.ae_labels = {f.name: f.label for f in ae.fields}

    def form_title(self, code: str) -> str:
        return self.forms.get(code, _words(code))


def _dlt_word(verdict: bool | None) -> str:
    return {True: "yes", False: "no", None: "not evaluable"}[verdict]


def subjects_listing(overviews: Sequence[SubjectOverview], ctx: _Context) -> Listing:
    """One row per subject: study state, signature, queries, AE/SAE/DLT and overdue counts."""
    rows = []
    for o in overviews:
        aes = [r for r in o.records if r.form_code == ADVERSE_EVENT_FORM]
        dlts = o.derivation.adverse_events if o.derivation else ()
        rows.append(
            {
                **_base(o, ctx.cohorts),
                "day1": o.subject.enrolment_date,
                "status": o.state,
                "signed": o.signed,
                "queries": o.unresolved_queries,
                "aes": len(aes),
                "saes": sum(1 for r in aes if r.values.get("serious") is True),
                "dlts": sum(1 for a in dlts if a.is_dlt),
                "overdue": sum(1 for v in o.visits if v.status == "overdue"),
            }
        )
    columns = (
        *_BASE_COLUMNS,
        Column("day1", "Day 1"),
        Column("status", "Status"),
        Column("signed", "Signed"),
        Column("queries", "Unresolved queries"),
        Column("aes", "Adverse events"),
        Column("saes", "Serious adverse events"),
        Column("dlts", "DLTs"),
        Column("overdue", "Overdue visits"),
    )
    return Listing(
        "subjects",
        "Subjects",
        columns,
        tuple(rows),
        "status",
        ("on study", "off study", "locked"),
    )


def _ae_rows(
    overviews: Sequence[SubjectOverview], ctx: _Context, keep: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    rows = []
    for o in overviews:
        verdicts = {a.record_id: a for a in (o.derivation.adverse_events if o.derivation else ())}
        for r in o.records:
            if r.form_code != ADVERSE_EVENT_FORM:
                continue
            v, a = r.values, verdicts.get(r.pk)
            row = {
                **_base(o, ctx.cohorts),
                "record": r.pk,
                "term": reported_term(v.get("term", ""), v.get("term_other")),
                "ctcae_grade": v.get("ctcae_grade"),
                "onset_date": date_part(v.get("onset_date")),
                "resolution_date": date_part(v.get("resolution_date")),
                "serious": v.get("serious"),
                "attribution_talazoparib": _words(v.get("attribution_talazoparib")),
                "attribution_nk": _words(v.get("attribution_nk")),
                "outcome": _words(v.get("outcome")),
                "dlt": _dlt_word(a.is_dlt if a else None),
                "dlt_rule": a.rule if a else "",
            }
            if keep(row):
                rows.append(row)
    return rows


def _ae_columns(ctx: _Context, *extra: Column) -> tuple[Column, ...]:
    names = (
        "term",
        "ctcae_grade",
        "onset_date",
        "resolution_date",
        "serious",
        "attribution_talazoparib",
        "attribution_nk",
        "outcome",
    )
    return (
        *_BASE_COLUMNS,
        *(Column(n, ctx.ae_labels.get(n, _words(n))) for n in names),
        Column("dlt", "DLT"),
        *extra,
    )


def adverse_events_listing(overviews: Sequence[SubjectOverview], ctx: _Context) -> Listing:
    """Every adverse event with its DLT verdict."""
    rows = _ae_rows(overviews, ctx, lambda row: True)
    return Listing(
        "adverse-events",
        "Adverse events",
        _ae_columns(ctx),
        tuple(rows),
        "dlt",
        ("yes", "no", "not evaluable"),
    )


def serious_listing(overviews: Sequence[SubjectOverview], ctx: _Context) -> Listing:
    """Adverse events marked serious."""
    rows = _ae_rows(overviews, ctx, lambda row: row["serious"] is True)
    return Listing("saes", "Serious adverse events", _ae_columns(ctx), tuple(rows))


def dlt_listing(overviews: Sequence[SubjectOverview], ctx: _Context) -> Listing:
    """Adverse events the DLT rules count as dose-limiting, with the rule that decided."""
    rows = _ae_rows(overviews, ctx, lambda row: row["dlt"] == "yes")
    return Listing(
        "dlts",
        "Dose-limiting toxicities",
        _ae_columns(ctx, Column("dlt_rule", "DLT rule")),
        tuple(rows),
    )


def _visit_label(code: str, name: str) -> str:
    return f"{code} – {name}"


def _eligibility(o: SubjectOverview) -> tuple[bool | None, str]:
    """The screening verdict (None: undetermined) and the failed criteria of a subject."""
    scr = o.subject.screening
    status = scr.eligibility_status
    failed = [c["id"] for c in (scr.eligibility or {}).get("criteria") or []
              if c.get("status") == "failed"]  # fmt: skip
    return (None if status == "undetermined" else status == "eligible"), "; ".join(failed)


def overview_deviations(o: SubjectOverview, protocol: Protocol) -> list[Deviation]:
    """A subject's protocol deviations, recorded and found, by the one rule of
    `nakip.clinical.deviations` (the same rule the DSMB report applies to the datasets)."""
    assessed: dict[str, list[date]] = {}
    for r in o.records:
        when = record_date(protocol, r)
        if when is not None and r.visit_code:
            assessed.setdefault(r.visit_code, []).append(when)
    eligible, failed = _eligibility(o)
    return subject_deviations(
        day1=o.subject.enrolment_date,
        visits=[
            VisitWindow(v.visit.code, v.visit.day, v.visit.window_before, v.visit.window_after)
            for v in o.visits
        ],  # fmt: skip
        assessed=assessed,
        missed={v.visit.code: v.missed_reason for v in o.visits if v.status == "missed"},
        recorded=recorded_entries(o.records),
        eligible=eligible,
        failed_criteria=failed,
        consent=o.subject.screening.consent_date,
        treatment_start=o.derivation.treatment_start_date if o.derivation else None,
    )


DEVIATION_KINDS = (
    "before the visit window",
    "after the visit window",
    MISSED_VISIT,
    ELIGIBILITY,
    CONSENT,
    *(c.replace("_", " ") for c in CATEGORIES),
)


def deviations_listing(overviews: Sequence[SubjectOverview], ctx: _Context) -> Listing:
    """Every protocol deviation of the subjects, recorded on the deviation form or found in the
    data (`overview_deviations`): one row each, with the visit and its window when it has one."""
    rows = []
    for o in overviews:
        names = {v.visit.code: v.visit.name for v in o.visits}
        for d in overview_deviations(o, ctx.protocol):
            code = d.visit_code
            rows.append(
                {
                    **_base(o, ctx.cohorts),
                    "visit": _visit_label(code, names[code]) if code in names else code,
                    "visit_code": code,
                    "category": d.category,
                    "kind": d.kind,
                    "source": d.source,
                    "severity": d.severity,
                    "date": d.when,
                    "window": f"{d.window[0].isoformat()} to {d.window[1].isoformat()}"
                    if d.window
                    else "",
                    "days_outside": abs(d.days_outside) if d.days_outside is not None else None,
                    "detail": d.description,
                }
            )
    columns = (
        *_BASE_COLUMNS,
        Column("visit", "Visit"),
        Column("kind", "Deviation"),
        Column("source", "Source"),
        Column("severity", "Severity"),
        Column("date", "Date"),
        Column("window", "Visit window"),
        Column("days_outside", "Days outside the window"),
        Column("detail", "Description"),
    )
    return Listing(
        "deviations", "Protocol deviations", columns, tuple(rows), "kind", DEVIATION_KINDS
    )


def visit_calendar(overviews: Sequence[SubjectOverview], ctx: _Context) -> Listing:
    """Every scheduled visit of every subject by target date, with its status and the forms
    still missing."""
    rows = []
    for o in overviews:
        for v in o.visits:
            rows.append(
                {
                    **_base(o, ctx.cohorts),
                    "target_date": v.target_date,
                    "visit": _visit_label(v.visit.code, v.visit.name),
                    "window": f"{v.window_start.isoformat()} to {v.window_end.isoformat()}",
                    "status": v.status,
                    "missing": ", ".join(ctx.form_title(f) for f in v.forms_missing)
                    if v.status != "done"
                    else "",
                    "missed_reason": v.missed_reason,
                }
            )
    rows.sort(key=lambda r: (r["target_date"], r["subject"]))
    columns = (
        Column("target_date", "Target date"),
        *_BASE_COLUMNS,
        Column("visit", "Visit"),
        Column("window", "Window"),
        Column("status", "Status"),
        Column("missing", "Forms missing"),
        Column("missed_reason", "Reason missed"),
    )
    return Listing(
        "visits",
        "Visit calendar",
        columns,
        tuple(rows),
        "status",
        (ATTENTION, "overdue", "due", "missed", "expected", "done"),
    )


BUILDERS: dict[str, Callable[[Sequence[SubjectOverview], _Context], Listing]] = {
    "subjects": subjects_listing,
    "adverse-events": adverse_events_listing,
    "saes": serious_listing,
    "dlts": dlt_listing,
    "deviations": deviations_listing,
    "visits": visit_calendar,
}
TITLES = {
    "subjects": "Subjects",
    "adverse-events": "Adverse events",
    "saes": "Serious adverse events",
    "dlts": "DLTs",
    "deviations": "Deviations",
    "visits": "Visit calendar",
}


def build_listing(
    code: str, overviews: Sequence[SubjectOverview], protocol: Protocol, status: str = ""
) -> Listing:
    """The listing `code` over the overviews, rows kept to `status` when given (KeyError for
    an unknown listing, ListingFilterError for a status the listing does not have)."""
    listing = BUILDERS[code](overviews, _Context(protocol))
    if not status:
        return listing
    if status not in listing.status_choices:
        raise ListingFilterError(
            f"status {status!r} is not one of {', '.join(listing.status_choices)}"
        )
    wanted: Iterable[str] = ATTENTION_STATES if status == ATTENTION else (status,)
    rows = tuple(r for r in listing.rows if r.get(listing.status_key) in set(wanted))
    return Listing(
        listing.code,
        listing.title,
        listing.columns,
        rows,
        listing.status_key,
        listing.status_choices,
    )
