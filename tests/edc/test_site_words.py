"""Errors and automatic query texts a site user reads speak words, not codes (NAKIP issue 12,
defect 4): no `screen_failed`, no form codes such as `eln_risk`, no function names, no field
codes such as `sae_death` in front of a message, no `mrd_baseline` in a data query."""

from __future__ import annotations

import re
from typing import Any

import pytest

from nakip.clinical.crs_icans import CRSSigns, ICANSSigns, grade_crs, grade_icans
from nakip.clinical.mrd import mrd_response
from nakip.edc import sae, services
from nakip.edc.exceptions import FormValidationError, InvalidStateError
from nakip.edc.models import Subject
from nakip.edc.schedule import planned_visits
from tests.edc.conftest import CONSENT, DAY1, client_for, screening_values

SNAKE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
AE = {"term": "Febrile neutropenia", "ctcae_grade": 3, "onset_date": "2026-01-20",
      "serious": True, "sae_hospitalisation": True, "attribution_talazoparib": "possible",
      "attribution_nk": "unlikely", "category": "nonhematologic", "outcome": "recovering",
      "disease_related": False}  # fmt: skip
INITIAL = {"report_type": "initial", "site_aware_at": "2026-01-20T08:00:00", "narrative": "x"}


def _messages(exc: FormValidationError) -> str:
    return " ".join(m for msgs in exc.errors.values() for m in msgs)


@pytest.mark.django_db
def test_closed_screening_says_how_it_was_closed(site_a: Any, investigator: Any) -> None:
    values = screening_values("overt", age_years=17)
    scr = services.create_screening(investigator, site_a, CONSENT, values)
    services.record_screen_failure(investigator, scr)
    with pytest.raises(InvalidStateError) as exc:
        services.enrol_subject(investigator, scr, DAY1)
    assert exc.value.message == f"{scr.screening_number} is already closed as a screen failure"
    with pytest.raises(InvalidStateError, match="already closed as a screen failure"):
        services.record_screen_failure(investigator, scr)
    ok = services.create_screening(investigator, site_a, CONSENT, screening_values("overt"))
    services.enrol_subject(investigator, ok, DAY1)
    with pytest.raises(InvalidStateError) as exc:
        services.record_screen_failure(investigator, ok, ["consent withdrawn"])
    assert exc.value.message == f"{ok.screening_number} is already enrolled"


@pytest.mark.django_db
def test_form_and_visit_errors_name_the_form_by_its_title(
    investigator: Any, subject: Subject
) -> None:
    visit = planned_visits(subject.cohort)[1]
    form = next(
        f for f in services.get_protocol().forms if "_" in f.code and f.code not in visit.forms
    )
    with pytest.raises(FormValidationError) as exc:
        services.create_record(investigator, subject, form.code, {}, visit.code)
    text = _messages(exc.value)
    assert text == f"the {form.title} form is not part of visit {visit.code}"
    assert not SNAKE.search(text), text
    with pytest.raises(FormValidationError) as exc:
        services.create_record(investigator, subject, "screening", {})
    assert not SNAKE.search(_messages(exc.value)), _messages(exc.value)


@pytest.mark.django_db
def test_sae_refusals_point_at_the_adverse_event_in_words(
    investigator: Any, subject: Subject
) -> None:
    not_serious = services.create_record(
        investigator,
        subject,
        "adverse_event",
        {**AE, "serious": False, "sae_hospitalisation": None},
    ).record
    with pytest.raises(FormValidationError) as exc:
        sae.file_report(investigator, not_serious, INITIAL)
    assert exc.value.errors == {
        "ae_record_id": [f"adverse event #{not_serious.pk} is not marked serious"]
    }
    unticked = services.create_record(
        investigator, subject, "adverse_event", {**AE, "sae_hospitalisation": False}
    ).record
    page = client_for(investigator).post(
        f"/sae/{unticked.pk}/report/", {**INITIAL, "ae_record_id": str(unticked.pk)}
    )
    html = page.content.decode()
    assert page.status_code == 200 and "has no seriousness criterion ticked" in html
    assert "sae death" not in html and "sae_death" not in html


@pytest.mark.parametrize(
    ("baseline", "value", "words"),
    [
        (None, 0.01, "the baseline MRD value is missing"),
        (0.5, None, "the follow-up MRD value is missing"),
        (None, None, "the baseline MRD value and the follow-up MRD value are missing"),
        (0.0, 0.01, "the baseline MRD is 0 (not quantifiable)"),
    ],
)
def test_mrd_not_evaluable_query_in_words(
    baseline: float | None, value: float | None, words: str
) -> None:
    """The data query opened on the MRD record (Heuser 2021: no log10 change without both
    samples and a quantifiable baseline) says which sample in words."""
    query = mrd_response(baseline, value).query
    assert query is not None and words in query
    assert not SNAKE.search(query) and ">" not in query, query


@pytest.mark.parametrize(
    ("signs", "words"),
    [
        (CRSSigns(39.0, False, "one_vasopressor", "none"), "hypotension one vasopressor"),
        (CRSSigns(39.0, False, "none", "high_flow"), "hypoxia high flow"),
    ],
)
def test_crs_rule_shown_in_the_casebook_says_the_level_in_words(
    signs: CRSSigns, words: str
) -> None:
    """ASTCT 2019 (Lee 2019, Table 4): the grade's driver in words, not the stored code."""
    rule = grade_crs(signs).rule
    assert words in rule and not SNAKE.search(rule), rule


def test_icans_rule_says_the_level_in_words() -> None:
    """ASTCT 2019 (Lee 2019, Table 5): consciousness, seizure and raised ICP in words."""
    for signs, words in [
        (ICANSSigns(10, consciousness="wakes_to_voice"), "consciousness wakes to voice"),
        (ICANSSigns(10, seizure="quickly_resolving"), "seizure quickly resolving"),
        (ICANSSigns(10, raised_icp="diffuse_oedema"), "raised ICP diffuse oedema"),
    ]:
        rule = grade_icans(signs).rule
        assert words in rule and not SNAKE.search(rule), rule


@pytest.mark.django_db
def test_record_page_header_names_no_form_code(investigator: Any, subject: Subject) -> None:
    rec = services.create_record(
        investigator,
        subject,
        "adverse_event",
        {**AE, "serious": False, "sae_hospitalisation": None},
    ).record
    html = client_for(investigator).get(f"/records/{rec.pk}/").content.decode()
    head = html[html.index('<div class="page-head') :].split("</div>")[0]
    assert "record version 1 · form version" in head and "adverse_event" not in head
