"""Labels the browser walk (tests/edc/browser/test_site_walk.py) found wanting: the SOC of a
chosen CTCAE v5.0 term after saving, the primary responder definition named in words, the
survival rows saying "censored" once and body-surface-area units printed as m²."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string

from nakip.edc import services
from nakip.edc.models import Subject
from nakip.edc.web.views.casebook_pdf import casebook_context
from tests.edc.conftest import client_for
from tests.edc.trial_fixture import AE

pytestmark = pytest.mark.django_db


def test_adverse_event_page_and_print_show_the_soc_of_the_term(
    staff: dict[str, Any], subject: Subject
) -> None:
    inv = staff["investigator"]
    rec = services.create_record(inv, subject, "adverse_event", AE).record  # Pneumonitis
    html = client_for(inv).get(f"/records/{rec.pk}/").content.decode()
    term_cell = html[html.index('id="value-term"') :].split("</td>")[0]
    # CTCAE v5.0: Pneumonitis sits in "Respiratory, thoracic and mediastinal disorders"
    assert "Pneumonitis" in term_cell
    assert "SOC: Respiratory, thoracic and mediastinal disorders" in term_cell
    category_cell = html[html.index('id="value-category"') :].split("</td>")[0]
    assert "SOC" not in category_cell  # only a CTCAE term has a SOC
    printed = render_to_string("edc/casebook_print.html", casebook_context(subject, inv))
    assert "Pneumonitis (SOC: Respiratory, thoracic and mediastinal disorders)" in printed


def test_other_term_shows_no_soc(staff: dict[str, Any], subject: Subject) -> None:
    inv = staff["investigator"]
    values = {**AE, "term": "Other, specify", "term_other": "Hiccups"}
    rec = services.create_record(inv, subject, "adverse_event", values).record
    html = client_for(inv).get(f"/records/{rec.pk}/").content.decode()
    assert "SOC:" not in html


def test_responder_tile_names_the_primary_definition(
    staff: dict[str, Any], subject: Subject
) -> None:
    html = client_for(staff["investigator"]).get(f"/subjects/{subject.subject_number}/")
    tile = html.content.decode().split('id="responder-definitions">')[1].split("</span>")[0]
    definition = services.get_protocol().cohort("overt").primary_endpoint.responder_definition
    names = {"cr_cri_registered": "CR/CRi (registered)", "cr_only": "CR only",
             "cr_crh_cri": "CR/CRh/CRi (ELN 2022)"}  # fmt: skip
    assert tile.startswith(f"primary: {names[definition]} · CR ")
    assert definition not in tile and "cr cri" not in tile  # no raw protocol code


def test_survival_rows_say_censored_once(staff: dict[str, Any], subject: Subject) -> None:
    html = client_for(staff["investigator"]).get(f"/subjects/{subject.subject_number}/")
    page = html.content.decode()
    os_row = page.split('id="os-row">')[1].split("</tr>")[0]
    efs_row = page.split('id="efs-row">')[1].split("</tr>")[0]
    # a subject enrolled without later data: alive at the last contact; non-evaluable by the
    # EFS landmark, censored at day 1 (docs/clinical-rules.md "EFS")
    assert os_row.endswith("· censored: last known alive</td>")
    assert efs_row.endswith("· censored at day 1: alive and non-evaluable at the landmark</td>")
    assert "censored (censored" not in page and "censored · censored" not in page


def test_censored_filter_adds_the_word_only_when_missing() -> None:
    from nakip.edc.web.templatetags.edc_tags import censored

    assert censored("censored: last known alive") == "censored: last known alive"
    assert censored("administrative cut-off") == "censored (administrative cut-off)"


def test_body_surface_area_units_print_squared() -> None:
    from nakip.edc.web.templatetags.edc_tags import pretty_unit

    assert [pretty_unit(u) for u in ("m2", "mg/m2", "IU/m2")] == ["m²", "mg/m²", "IU/m²"]
    assert pretty_unit("mL/min") == "mL/min" and pretty_unit("10^9/L") == "10⁹/L"
