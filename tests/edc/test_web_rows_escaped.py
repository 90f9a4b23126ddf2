"""The casebook and audit rows written in Python (`web/casebook_rows.py`, `web/escaped.py`)
escape every stored value exactly as the template did: markup typed into a record is shown as
text, never run."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from django.utils.safestring import mark_safe

from nakip.edc import services
from nakip.edc.models import FormRecord, Subject
from nakip.edc.web.escaped import html_row
from tests.edc.conftest import client_for

MARKUP = '<script>alert("x")</script>'


def test_html_row_escapes_like_django() -> None:
    for value in (MARKUP, "a & b", "'quoted'", 1.5, None):
        assert html_row("<td>{}</td>", value) == f"<td>{escape(value)}</td>"
    assert html_row("<td>{}</td>", mark_safe("<b>kept</b>")) == "<td><b>kept</b></td>"


def test_markup_in_a_record_is_text_on_the_casebook(subject: Subject, investigator: Any) -> None:
    ae = {"term": "Pneumonitis", "ctcae_grade": 2, "onset_date": "2026-01-25", "serious": False,
          "attribution_talazoparib": "unlikely", "attribution_nk": "possible",
          "category": "nonhematologic", "outcome": "recovering"}  # fmt: skip
    rec = services.create_record(investigator, subject, "adverse_event", ae).record
    # a value stored before the controlled list existed (no validation on this path)
    FormRecord.objects.filter(pk=rec.pk).update(values={**ae, "term": MARKUP})
    page = client_for(investigator).get(f"/subjects/{subject.subject_number}/").content.decode()
    assert MARKUP not in page
    assert escape(MARKUP) in page  # in the AE table and the record's chip


def test_markup_in_a_change_is_text_on_the_audit_page(subject: Subject, investigator: Any) -> None:
    marrow = {"aspirate_date": "2026-01-12", "evaluable": True, "bm_blasts_pct": 12,
              "comment": "first"}  # fmt: skip
    rec = services.create_record(investigator, subject, "marrow", marrow, "C1D1").record
    services.update_record(investigator, rec, {"comment": MARKUP}, "typo", 1, partial=True)
    page = client_for(investigator).get(f"/subjects/{subject.subject_number}/audit/")
    text = page.content.decode()
    assert MARKUP not in text
    assert f'<span class="new">{escape(MARKUP)}</span>' in text
    assert '<span class="old">first</span>' in text
