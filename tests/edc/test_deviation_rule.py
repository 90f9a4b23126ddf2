"""One rule of what counts as a protocol deviation (`nakip.clinical.deviations`): the listing,
the deviation page and the DSMB report's deviation log give the same deviations for the same
subject."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from nakip.analysis.deviations import DeviationLog
from nakip.edc import services
from nakip.edc.datasets import build_trial_data
from nakip.edc.listings import build_listing
from nakip.edc.models import Subject
from nakip.edc.subject_overview import load_overviews
from tests.edc.conftest import client_for
from tests.edc.trial_fixture import CRS, HAEM

pytestmark = pytest.mark.django_db

Key = tuple[str, str, Any]


def _record_deviation(user: Any, subject: Subject, category: str, visit: str) -> None:
    values = {"deviation_date": "2026-02-01", "category": category, "severity": "minor",
              "description": "noted by the site", "corrective_action": "reminder",
              "visit_concerned": visit}  # fmt: skip
    services.create_record(user, subject, "deviation", values)


@pytest.fixture
def deviating(staff: dict[str, Any], subject: Subject) -> Subject:
    """Day 1 2026-01-12. C1D8 (window 2026-01-19 to 01-20) sampled on 01-23: found, 3 days
    late. C1D22 sampled early but recorded by the site as a late visit: listed once, as
    recorded. A missed dose recorded on the form. A CRS assessment (neither a response
    assessment nor a lab sample) at C1D15 (window 01-24 to 01-28) dated 01-30: found, 2 days
    late. C2D1 declared missed: found, with its reason."""
    inv = staff["investigator"]
    services.create_record(inv, subject, "haematology", {**HAEM, "sample_date": "2026-01-23"},
                           "C1D8")  # fmt: skip
    services.create_record(inv, subject, "haematology", {**HAEM, "sample_date": "2026-01-31"},
                           "C1D22")  # fmt: skip
    services.create_record(inv, subject, "haematology", HAEM, "C1D1")  # inside its window
    _record_deviation(inv, subject, "late_visit", "C1D22")
    _record_deviation(inv, subject, "missed_dose", "")
    services.create_record(inv, subject, "crs", {**CRS, "onset_date": "2026-01-30",
                           "assessment_date": "2026-01-30"}, "C1D15")  # fmt: skip
    services.mark_visit_missed(inv, subject, "C2D1", "patient in hospital elsewhere")
    return subject


EXPECTED = {
    ("visit window", "C1D8", "2026-01-23"),
    ("late visit", "C1D22", None),
    ("missed dose", "", None),
    ("visit window", "C1D15", "2026-01-30"),
    ("visit missed", "C2D1", None),
}


def _iso(when: Any) -> str | None:
    return when.isoformat() if when is not None else None


def test_listing_page_and_dsmb_log_agree(staff: dict[str, Any], deviating: Subject) -> None:
    protocol = services.get_protocol()
    # the DSMB/final report's log, from the analysis datasets
    data = build_trial_data(protocol)
    usubjid = data.adsl.loc[data.adsl["subject_number"] == deviating.subject_number, "usubjid"]
    log = DeviationLog(protocol).fit(data)
    dsmb = {(d.category, d.visit_code, _iso(d.when)) for d in log.by_subject[usubjid.iloc[0]]}
    # the listing, from the EDC records
    overviews = load_overviews([deviating], protocol, timezone.localdate())
    listing = build_listing("deviations", overviews, protocol)
    listed = {(r["category"], r["visit_code"], _iso(r["date"])) for r in listing.rows}
    # the deviation page: the recorded rows and those found in the data
    page = client_for(staff["monitor"]).get("/deviations/")
    assert page.status_code == 200
    shown = {(r.category.replace("_", " "), r.visit_code, None) for r in page.context["rows"]}
    shown |= {(d.category, d.visit_code, _iso(d.when)) for _, d in page.context["found"]}
    assert dsmb == listed == shown == EXPECTED
    assert 'id="deviations-found"' in page.content.decode()
    window = {r["visit_code"]: r for r in listing.rows if r["category"] == "visit window"}
    assert window["C1D8"]["kind"] == "after the visit window"
    assert window["C1D8"]["days_outside"] == 3 and window["C1D15"]["days_outside"] == 2
    missed = next(d for d in log.by_subject[usubjid.iloc[0]] if d.category == "visit missed")
    assert missed.description == "patient in hospital elsewhere"
