"""The SAE list fits a 1280 x 800 screen (NAKIP issue 12): no sideways scrolling in the card and
the "File report" button fully visible, with a notified case (times, hours to notice,
follow-ups) and a case still missing its notice, each with a long term and several criteria.

The screenshot goes to the test's temporary folder, or to docs/screenshots/sae_list.png with
NAKIP_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from nakip.edc import sae, services
from nakip.edc.models import Subject
from tests.edc.browser.conftest import SCREENSHOT_DIR
from tests.edc.browser.test_workflows import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 1280, "height": 800}
AE = {"ctcae_grade": 4, "onset_date": "2026-01-20", "serious": True,
      "sae_hospitalisation": True, "sae_life_threatening": True,
      "sae_medically_important": True, "attribution_talazoparib": "possible",
      "attribution_nk": "unlikely", "category": "nonhematologic", "outcome": "recovering",
      "disease_related": False}  # fmt: skip


def _cases(user: Any, subject: Subject) -> None:
    """A notified SAE with one follow-up, and one still missing its initial notice."""
    notified = services.create_record(
        user, subject, "adverse_event", {**AE, "term": "Febrile neutropenia"}
    ).record
    initial = {"report_type": "initial", "site_aware_at": "2026-01-20T08:00:00",
               "sponsor_notified_at": "2026-01-20T14:15:00", "narrative": "admitted"}  # fmt: skip
    sae.file_report(user, notified, initial)
    follow_up = {"report_type": "follow_up", "site_aware_at": "2026-01-24T09:00:00",
                 "narrative": "resolved", "event_ongoing": False}  # fmt: skip
    sae.file_report(user, notified, follow_up)
    services.create_record(
        user, subject, "adverse_event", {**AE, "term": "Cytokine release syndrome"}
    )


def test_sae_list_fits_1280_without_sideways_scrolling(
    new_page: Any, investigator: Any, subject: Subject, tmp_path: Path
) -> None:
    _cases(investigator, subject)
    page = new_page(SCREEN)
    login(page, investigator.username)
    page.goto("/sae/")
    rows = page.locator("table.sae-table tbody tr")
    assert rows.count() == 2 and "{#" not in page.inner_text("main")
    scroller = page.locator("section.card .table-scroll")
    scroll_width, client_width = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert scroll_width <= client_width, (scroll_width, client_width)
    card = page.locator("section.card").bounding_box()
    for button in page.locator("a:has-text('File report')").all():
        box = button.bounding_box()
        assert box is not None and card is not None
        assert box["x"] >= card["x"] and box["x"] + box["width"] <= card["x"] + card["width"]
        assert box["x"] + box["width"] <= SCREEN["width"]
    notified = rows.filter(has_text="Febrile neutropenia").inner_text()
    assert "2026-01-20 14:15" in notified and "6.25 h after awareness" in notified
    assert re.search(r"notified\s+1 follow-up\s+File report", notified)
    assert "notice missing" in rows.filter(has_text="Cytokine release syndrome").inner_text()
    folder = SCREENSHOT_DIR if os.environ.get("NAKIP_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "sae_list.png"))
