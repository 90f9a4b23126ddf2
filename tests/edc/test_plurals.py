"""Counts on the EDC pages read right at 0, 1 and 2 ("1 event", "2 events"): every count printed
before a noun in a template goes through `pluralize`, and the pages that print them are rendered
at each count."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template.loader import render_to_string

import nakip.edc

TEMPLATES = Path(nakip.edc.__file__).parent / "templates"
NOUNS = (
    "events?|days?|subjects?|patients?|rows?|records?|quer(?:y|ies)|forms?|visits?|responders?"
    "|deviations?|errors?|sites?|users?|DLTs?|infusions?|assessments?|reports?|files?|months?"
    "|weeks?|hours?|minutes?|changes?|signatures?|casebooks?"
)
COUNT_THEN_NOUN = re.compile(
    r"\{\{\s*([\w.|:'\"]+)\s*\}\}\s+(?:failed\s+)?(" + NOUNS + r")\b(\{\{\s*[\w.|]+\|pluralize)?"
)
FIXED = {
    # only shown when there are more than 12 changes
    ("audit.html", "r.changes|length"),
}


def _uses() -> list[tuple[str, int, str, str, bool]]:
    out = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            for m in COUNT_THEN_NOUN.finditer(line):
                out.append((path.name, i, m.group(1), m.group(2), m.group(3) is not None))
    return out


def test_every_count_before_a_noun_is_pluralized() -> None:
    """`{{ n }} day{{ n|pluralize }}` is right; `{{ n }} days` or a bare `{{ n }} day` is not."""
    uses = _uses()
    assert sum(1 for *_, plural in uses if plural) > 5  # the scan sees the right form too
    wrong = [
        f"{name}:{line}: {{{{ {var} }}}} {noun}"
        for name, line, var, noun, pluralized in uses
        if not pluralized and (name, var) not in FIXED
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("events", "patients", "text"),
    [
        (0, 0, "0 events among 0 patients"),
        (1, 1, "1 event among 1 patient"),
        (2, 2, "2 events among 2 patients"),
        (1, 2, "1 event among 2 patients"),
    ],
)
def test_rule_chart_label(events: int, patients: int, text: str) -> None:
    html = render_to_string(
        "edc/_rule_chart.html",
        {"rule": {"code": "TOX", "events": events, "patients": patients}, "chart": {}},
    )
    assert f"TOX: {text} against" in html


@pytest.mark.parametrize(
    ("limit", "minutes", "text"),
    [
        (1, 1, "After 1 failed attempt the account is blocked for 1 minute."),
        (2, 2, "After 2 failed attempts the account is blocked for 2 minutes."),
    ],
)
def test_login_lockout_words(limit: int, minutes: int, text: str) -> None:
    html = render_to_string(
        "registration/login.html", {"lock_limit": limit, "lock_minutes": minutes}
    )
    assert text in " ".join(html.split())


@pytest.mark.parametrize(("hours", "text"), [(1, "within 1 hour of"), (24, "within 24 hours of")])
def test_sae_notice_hours(hours: int, text: str) -> None:
    html = render_to_string("edc/sae_list.html", {"hours": hours, "cases": []})
    assert text in html
