"""The eligibility "Why" list of the screening page speaks words: cohort-entry reasons with the
cohort's protocol description and the values entered by label, never `bm_blasts_pct < 20`."""

from __future__ import annotations

import re
from typing import Any

import pytest

from nakip.edc.models import ScreeningRecord
from tests.edc.conftest import client_for, screening_values

pytestmark = pytest.mark.django_db

CODE_LIKE = re.compile(r"\b[a-z]+_[a-z_]+\b|[<>]=?|\bcohort (overt|mrd)\b")


def _why(staff: dict[str, Any], **changes: Any) -> tuple[ScreeningRecord, list[str]]:
    c = client_for(staff["study_nurse"])
    values = screening_values("overt", **changes)
    data = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in values.items()}
    r = c.post("/screening/new/", {**data, "_site": "S01", "_consent_date": "2026-01-05"})
    scr = ScreeningRecord.objects.get()
    html = c.get(r["Location"]).content.decode()
    block = re.search(r'<ul class="reasons">(.*?)</ul>', html, re.S)
    assert block is not None, "no Why list on the page"
    return scr, [re.sub(r"\s+", " ", li) for li in re.findall(r"<li>(.*?)</li>", block[1], re.S)]


def _show(scr: ScreeningRecord) -> str:
    return " | ".join(scr.eligibility.get("reasons", []))


def test_no_cohort_fits_in_words(staff: dict[str, Any], site_a: Any) -> None:
    scr, why = _why(staff, bm_blasts_pct=25, in_haematological_remission=False)
    assert scr.eligibility_status == "not_eligible", _show(scr)
    text = " ".join(why)
    assert (
        "Cohort Overt relapsed/refractory AML does not fit: Cohort A: relapsed or refractory"
        in text
    )
    assert "Bone-marrow blasts: 25 %" in text
    assert not CODE_LIKE.search(text.replace("/", " ")), text


def test_undecided_cohort_in_words(staff: dict[str, Any], site_a: Any) -> None:
    scr, why = _why(staff, bm_blasts_pct=None)
    assert scr.eligibility_status == "undetermined", _show(scr)
    text = " ".join(why)
    assert "cannot decide" in text and "Bone-marrow blasts: not entered" in text
    assert not CODE_LIKE.search(text.replace("/", " ")), text
