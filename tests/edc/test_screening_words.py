"""Screen failures and refused enrolments speak the screening page's words (one owner,
`nakip.edc.criteria_words`), never the clinical layer's `consent_signed = true (criterion: ...)`;
and the services stay below the web layer (ARCHITECTURE.md: imports point down only)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from nakip.edc import services
from nakip.edc.exceptions import NotEligibleError
from nakip.edc.models import Query
from tests.edc.conftest import CONSENT, DAY1, client_for, screening_values

pytestmark = pytest.mark.django_db

#: snake_case codes, comparison operators, the clinical layer's "(criterion: == true)".
RAW = re.compile(r"\b[a-z]+_[a-z_]+\b|[<>=]=?|\bcriterion:|\b(true|false|True|False)\b")
SERVICES = Path(__file__).parents[2] / "src" / "nakip" / "edc" / "services"


def test_screen_failure_without_typed_reasons_stores_words(site_a: Any, investigator: Any) -> None:
    values = screening_values("overt", age_years=17, consent_signed=False)
    scr = services.create_screening(investigator, site_a, CONSENT, values)
    assert any(RAW.search(r) for r in scr.eligibility["reasons"])  # the raw verdict is code-like
    failed = services.record_screen_failure(investigator, scr)
    reasons = failed.screen_failure_reasons
    assert "IN5 not satisfied: Age 18 years or older. Entered: Age: 17 years." in reasons
    assert any(r.startswith("IN1 not satisfied:") and "Entered:" in r for r in reasons)
    assert not [r for r in reasons if RAW.search(r)], reasons


def test_typed_reasons_are_kept_as_typed(site_a: Any, investigator: Any) -> None:
    values = screening_values("overt", age_years=17)
    scr = services.create_screening(investigator, site_a, CONSENT, values)
    done = services.record_screen_failure(investigator, scr, ["patient moved away"])
    assert done.screen_failure_reasons == ["patient moved away"]


def test_refused_enrolment_reasons_in_words(site_a: Any, investigator: Any) -> None:
    scr = services.create_screening(
        investigator, site_a, CONSENT, screening_values("overt", ecog=3)
    )
    with pytest.raises(NotEligibleError) as exc:
        services.enrol_subject(investigator, scr, DAY1)
    assert exc.value.headline == "S01-S001 cannot be enrolled: not eligible"
    assert exc.value.reasons and exc.value.reasons[0].startswith("IN6 not satisfied: ")
    assert not [r for r in exc.value.reasons if RAW.search(r)], exc.value.reasons
    assert exc.value.message.startswith(exc.value.headline + ": IN6 not satisfied")


def test_undetermined_enrolment_says_so(site_a: Any, investigator: Any) -> None:
    scr = services.create_screening(
        investigator, site_a, CONSENT, screening_values("overt", ecog=None)
    )
    with pytest.raises(NotEligibleError) as exc:
        services.enrol_subject(investigator, scr, DAY1)
    assert exc.value.headline.endswith("eligibility cannot be decided yet")
    assert any(r.startswith("IN6 cannot decide") for r in exc.value.reasons)


def test_enrol_page_shows_headline_once_and_each_reason_in_words(
    site_a: Any, investigator: Any
) -> None:
    scr = services.create_screening(
        investigator, site_a, CONSENT, screening_values("overt", ecog=3)
    )
    c = client_for(investigator)
    r = c.post(f"/screening/{scr.screening_number}/enrol/", {"enrolment_date": "2026-01-12"})
    page = c.get(r["Location"]).content.decode()
    messages = re.findall(r'class="msg msg-[a-z]+"[^>]*>(.*?)</', page, re.S)
    assert "S01-S001 cannot be enrolled: not eligible" in messages
    in6 = [m for m in messages if m.startswith("IN6 not satisfied")]
    assert len(in6) == 1 and not RAW.search(in6[0])


def test_eligibility_change_after_enrolment_query_names_cohorts(
    site_a: Any, investigator: Any
) -> None:
    scr = services.create_screening(investigator, site_a, CONSENT, screening_values("overt"))
    services.enrol_subject(investigator, scr, DAY1)
    scr.refresh_from_db()
    services.update_screening(investigator, scr, {"ecog": 3}, "source", scr.version, partial=True)
    text = Query.objects.get(screening=scr, check_code="eligibility_changed").text
    assert "not eligible (no cohort)" in text
    assert "enrolled in cohort Overt relapsed/refractory AML" in text
    assert "not_eligible" not in text


def test_services_do_not_import_the_web_layer() -> None:
    for path in SERVICES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("nakip.edc.web"), path.name
