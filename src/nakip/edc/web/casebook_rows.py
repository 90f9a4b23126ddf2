"""The casebook's repeated rows, written once in Python: one link per record and derived row.

The casebook of a subject with 50 records has a few hundred links and badges. Resolving
`{% url %}` and running filters for each of them in the template was about 60 % of the page's
time; here every URL comes from one `reverse` per URL name (the record id or form code put into
it) and each row is one `html_row` call, which escapes every value it is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from nakip.edc.web.escaped import html_row, html_rows
from nakip.edc.web.templatetags.edc_tags import humanize_code, show, signed_number, yesno3

_PK = 987654321  # stands for a record id in a reversed URL, then replaced
_FORM = "form-code-slot"  # stands for a form code


class CasebookUrls:
    """URLs of one subject's casebook links, each name reversed once."""

    def __init__(self, number: str) -> None:
        self._record = reverse("edc-web:record", args=[_PK])
        self._new = reverse("edc-web:record-new", args=[number, _FORM])

    def record(self, pk: int) -> str:
        """The record's page."""
        return self._record.replace(str(_PK), str(pk))

    def new(self, form_code: str) -> str:
        """The entry page of a new record of `form_code` for this subject."""
        return self._new.replace(_FORM, form_code)


def _date(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _grade_badge(grade: int | None) -> str:
    if grade is None:
        return "badge-muted"
    return "badge-bad" if grade >= 3 else "badge-warn" if grade >= 1 else "badge-muted"


def _dlt_cell(is_dlt: bool | None) -> SafeString:
    if is_dlt:
        return mark_safe('<span class="badge badge-bad">DLT</span>')
    if is_dlt is None:
        return mark_safe('<span class="badge badge-muted">n/e</span>')
    return mark_safe("no")


def _join(rows: Iterable[SafeString]) -> SafeString:
    return html_rows(rows)


def _rows(template: str, args: Iterable[Sequence[Any]]) -> SafeString:
    """One `html_row(template, *a)` per argument tuple, joined."""
    return html_rows(html_row(template, *a) for a in args)


def visit_form_chips(
    urls: CasebookUrls, visit_code: str, cells: Sequence[dict[str, Any]], open_for_entry: bool
) -> SafeString:
    """The forms cell of one visit row: a chip per entered record, then an entry link (or an
    empty chip) per form."""
    out = []
    for f in cells:
        label = humanize_code(f["code"])
        for r in f["records"]:
            out.append(
                html_row(
                    '<a class="chip chip-done" href="{}" title="{} #{} ({})">✓ {}</a>',
                    urls.record(r.pk),
                    f["title"],
                    r.pk,
                    r.status,
                    label,
                )  # fmt: skip
            )
        if open_for_entry:
            if not f["records"] or f["repeating"]:
                out.append(
                    html_row(
                        '<a class="chip chip-new" href="{}?visit={}" title="Enter {} at {}">'
                        "+ {}</a>",
                        urls.new(f["code"]),
                        visit_code,
                        f["title"],
                        visit_code,
                        label,
                    )  # fmt: skip
                )
        elif not f["records"]:
            out.append(html_row('<span class="chip chip-empty">{}</span>', label))
    return _join(out)


def other_form_chips(urls: CasebookUrls, records: Sequence[Any]) -> SafeString:
    """A chip per record of a form entered outside the visits (term and date when given)."""
    out = []
    for r in records:
        v = r.values
        when = v.get("onset_date") or v.get("assessment_date") or v.get("end_date")
        out.append(
            html_row(
                '<a class="chip chip-done" href="{}">#{}{}{}</a>',
                urls.record(r.pk),
                r.pk,
                f" {v['term']}" if v.get("term") else "",
                f" · {when}" if when else "",
            )
        )
    return _join(out)


def lab_grade_rows(urls: CasebookUrls, rows: Iterable[Any]) -> SafeString:
    """CTCAE blood-count grade rows."""
    return _rows(
        '<tr><td><a href="{}">{}</a></td><td title="{}">{}</td><td class="num">{}</td>'
        '<td class="num"><span class="badge {}">{}</span></td><td>{}</td></tr>',
        (
            (
                urls.record(g.record_id),
                g.visit_code or "–",
                g.rule,
                humanize_code(g.term),
                show(g.value),
                _grade_badge(g.grade),
                "–" if g.grade is None else g.grade,
                yesno3(g.worsened),
            )  # fmt: skip
            for g in rows
        ),
    )


def chemistry_grade_rows(urls: CasebookUrls, rows: Iterable[Any]) -> SafeString:
    """CTCAE liver and renal grade rows (value and multiple of the ULN)."""
    return _rows(
        '<tr><td><a href="{}">{}</a></td><td title="{}">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td><td class="num"><span class="badge {}" title="{}">{}</span></td>'
        "</tr>",
        (
            (
                urls.record(g.record_id),
                g.visit_code or "–",
                g.rule,
                g.term,
                show(g.value),
                show(g.x_uln),
                _grade_badge(g.grade),
                g.rule,
                g.grade,
            )  # fmt: skip
            for g in rows
        ),
    )


def derived_dlt_rows(urls: CasebookUrls, rows: Iterable[Any]) -> SafeString:
    """MAGIC acute GVHD and hepatic DLT verdict rows."""
    out = []
    for r in rows:
        stages = ""
        if r.stages:
            s = r.stages
            stages = html_row(
                '<div class="small muted">skin {} · liver {} · upper GI {} · lower GI {}</div>',
                s.get("skin"), s.get("liver"), s.get("upper_gi"), s.get("lower_gi"),
            )  # fmt: skip
        out.append(
            html_row(
                '<tr><td><a href="{}">{}</a></td><td>{}{}</td><td>{}</td><td>{}</td>'
                '<td class="small">{}</td></tr>',
                urls.record(r.record_id),
                r.source,
                r.term,
                stages,
                _date(r.event_date),
                _dlt_cell(r.is_dlt),
                r.rule,
            )  # fmt: skip
        )
    return _join(out)


def adverse_event_rows(urls: CasebookUrls, rows: Iterable[Any]) -> SafeString:
    """Adverse-event rows with grade, SAE flag and DLT verdict."""
    sae = mark_safe('<span class="badge badge-bad">SAE</span>')
    return _rows(
        '<tr><td><a href="{}">{}</a></td><td class="num">{}</td><td>{}</td><td>{}</td>'
        '<td>{}</td><td class="small">{}</td></tr>',
        (
            (
                urls.record(a.record_id),
                a.term,
                a.ctcae_grade,
                _date(a.onset_date),
                sae if a.serious else "–",
                _dlt_cell(a.is_dlt),
                a.rule,
            )  # fmt: skip
            for a in rows
        ),
    )


def mrd_rows(urls: CasebookUrls, points: Iterable[Any]) -> SafeString:
    """MRD rows: value, log10 change (a star when bound by the limit of detection)."""
    star = mark_safe('<span class="muted" title="bound: below the limit of detection">*</span>')
    out = []
    for p in points:
        query = html_row('<div class="muted">{}</div>', p.query) if p.query else ""
        out.append(
            html_row(
                '<tr><td><a href="{}">{}</a></td><td class="num">{}</td><td class="num">{}{}</td>'
                '<td>{}</td><td class="small">{}{}</td></tr>',
                urls.record(p.record_id),
                p.visit_code,
                show(p.value),
                signed_number(p.log10_change),
                star if p.is_bound else "",
                yesno3(p.responder),
                p.rule,
                query,
            )  # fmt: skip
        )
    return _join(out)


def astct_rows(urls: CasebookUrls, crs: Iterable[Any], icans: Iterable[Any]) -> SafeString:
    """CRS and ICANS grade rows (ASTCT 2019)."""
    out = [
        html_row(
            '<tr><td><a href="{}">CRS</a></td><td>{}</td><td>{}</td><td class="small">{}</td></tr>',
            urls.record(g.record_id),
            _date(g.assessment_date),
            "cannot grade" if g.grade is None else f"grade {g.grade}",
            g.rule,
        )  # fmt: skip
        for g in crs
    ]
    out += [
        html_row(
            '<tr><td><a href="{}">ICANS</a></td><td>{}</td><td>grade {}</td>'
            '<td class="small">{}</td></tr>',
            urls.record(g.record_id),
            _date(g.assessment_date),
            g.grade,
            g.rule,
        )  # fmt: skip
        for g in icans
    ]
    return _join(out)


def derived_tables(urls: CasebookUrls, derived: Any) -> dict[str, SafeString]:
    """Every derived table's rows of the casebook, by the name the template prints."""
    if derived is None:
        return {}
    return {
        "lab_rows": lab_grade_rows(urls, derived.lab_grades),
        "chemistry_rows": chemistry_grade_rows(urls, derived.chemistry_grades),
        "dlt_rows": derived_dlt_rows(urls, derived.derived_dlts),
        "ae_rows": adverse_event_rows(urls, derived.adverse_events),
        "mrd_rows": mrd_rows(urls, derived.mrd),
        "astct_rows": astct_rows(urls, derived.crs, derived.icans),
    }
