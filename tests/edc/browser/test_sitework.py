"""The site's daily work in a real browser: a data manager opens a listing, filters it,
downloads the CSV, prints a casebook PDF and reads the data-quality dashboard; the trial
administrator creates an account that can then log in. Screenshots with NAKIP_SCREENSHOTS=1."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from nakip.edc import services
from nakip.edc.models import AccountEvent, FormRecord, Subject
from tests.edc.browser.test_workflows import login, logout
from tests.edc.trial_fixture import build_trial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Fresh-Nurse-Pa55word"


def test_listing_filter_csv_and_casebook_pdf(
    page: Any, staff: dict[str, Any], enrol: Callable[..., Subject], shot: Any
) -> None:
    inv = staff["investigator"]
    build_trial(enrol, inv)
    services.mark_visit_missed(inv, Subject.objects.get(subject_number="B-001"), "C1D8", "ill")
    login(page, staff["data_manager"].username)
    page.click("nav.mainnav >> text=Listings")
    page.wait_for_url(re.compile(r"/listings/subjects/$"))
    assert page.locator("table.listing-table tbody tr").count() == 3
    page.select_option("select[name='cohort']", "mrd")
    page.click("button:has-text('Filter')")
    page.wait_for_url(re.compile(r"cohort=mrd"))
    rows = page.locator("table.listing-table tbody tr")
    assert rows.count() == 1 and "B-001" in rows.first.inner_text()
    shot(page, "listing_subjects")

    page.click(".tabs >> text=Visit calendar")
    page.wait_for_url(re.compile(r"/listings/visits/$"))
    assert "ill" in page.locator("table.listing-table").inner_text()
    shot(page, "listing_visit_calendar")

    page.click(".tabs >> text=Adverse events")
    page.select_option("select[name='status']", "yes")
    page.click("button:has-text('Filter')")
    page.wait_for_url(re.compile(r"status=yes"))
    with page.expect_download() as info:
        page.click("text=Download CSV")
    download = info.value
    assert re.fullmatch(
        r"nakip-adverse-events-yes-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename
    )
    with open(download.path(), encoding="utf-8") as fh:
        rows_csv = list(csv.DictReader(io.StringIO(fh.read())))
    assert [(r["Subject"], r["CTCAE v5.0 term"], r["DLT"]) for r in rows_csv] == [
        ("A-001", "Pneumonitis", "yes")
    ]

    page.click("table.listing-table >> text=A-001")
    page.wait_for_url(re.compile(r"/subjects/A-001/$"))
    with page.expect_download() as info:
        page.click("text=Casebook PDF")
    pdf = info.value
    assert pdf.suggested_filename.startswith("casebook-A-001-")
    with open(pdf.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"

    page.click("nav.mainnav >> text=Data quality")
    page.wait_for_url(re.compile(r"/quality/$"))
    n = FormRecord.objects.filter(withdrawn=False).count()
    assert f"0 of {n} forms verified (0 %)" in page.locator("#site-S01").inner_text()
    shot(page, "data_quality")


def test_admin_creates_an_account_that_logs_in(
    page: Any, staff: dict[str, Any], make_user: Callable[..., Any], shot: Any
) -> None:
    admin = make_user("admin", None, "trial_admin")
    login(page, admin.username)
    page.click("nav.mainnav >> text=Administration")
    page.wait_for_url(re.compile(r"/administration/$"))
    form = page.locator("#account-new")
    form.locator("[name='username']").fill("nurse_new")
    form.locator("[name='email']").fill("nurse@example.org")
    form.locator("[name='password']").fill(NEW_PASSWORD)
    form.locator("[name='role']").select_option("study_nurse")
    form.locator("[name='site']").select_option("S01")
    form.locator("button:has-text('Create account')").click()
    page.wait_for_selector("text=Account nurse_new created.")
    shot(page, "administration_accounts")
    page.click("table.accounts-table >> text=nurse_new")
    page.wait_for_url(re.compile(r"/administration/users/nurse_new/$"))
    assert "Study nurse (data entry) @ S01" in page.locator("main").inner_text()
    logout(page)

    login(page, "nurse_new", NEW_PASSWORD)
    assert "Screening" in page.locator("nav.mainnav").inner_text()
    logout(page)

    login(page, admin.username)
    page.goto("/administration/users/nurse_new/")
    history = page.locator("table.logins").inner_text()
    assert "logged in" in history and "127.0.0.1" in history
    shot(page, "administration_account")
    user = get_user_model().objects.get(username="nurse_new")
    assert AccountEvent.objects.filter(user=user, action="created", actor=admin).exists()
