"""A day at the site, end to end in a real browser, as the people of one site click it.

The investigator screens and enrols an overt-cohort patient; the study nurse enters the baseline,
lymphodepletion and the NK infusion with its product release data; the investigator records a
serious lung infection from the CTCAE v5.0 term list, files the 24-hour SAE notice and a
follow-up, sees the ELN 2022 response of the first response visit and records a protocol
deviation; the completeness check lists what is missing before the investigator signs (password
re-entered); the data manager locks with an override reason; locked pages are read-only and the
casebook PDF downloads. Dates run relative to today, so the patient is always at the first
response visit (day 29) and the picture is the same on any day.

Screenshots of each key step go to docs/screenshots/walk-NN-name.png with NAKIP_SCREENSHOTS=1
(1280 x 800 viewport), otherwise to the test's temporary folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from nakip.edc.models import FormRecord, Lock, Signature, Subject
from tests.edc.browser.conftest import SCREENSHOT_DIR
from tests.edc.browser.test_workflows import fill_protocol_form, login, text
from tests.edc.conftest import PASSWORD, screening_values

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WALK_VIEWPORT = {"width": 1280, "height": 800}
SAE_NOTICE = timedelta(hours=24)  # protocol safety.sae_notice_hours (ICH E6(R2) 4.11.1)


@dataclass(frozen=True)
class Course:
    """The patient's dates: day 1 is 28 days ago, so today is the C2D1 response visit (day 29)."""

    today: date

    def day(self, n: int) -> str:
        """Study day n (day 1 = enrolment) as an ISO date."""
        return (self.today - timedelta(days=28) + timedelta(days=n - 1)).isoformat()

    @property
    def consent(self) -> str:
        return self.day(-6)


def at(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}")


@pytest.fixture
def walk_shot(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Save the viewport as walk-NN-name.png (docs/screenshots/ with NAKIP_SCREENSHOTS=1),
    after scrolling `focus` (a selector) to the top of the page below the top bar."""
    folder = SCREENSHOT_DIR if os.environ.get("NAKIP_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []

    def save(page: Any, name: str, focus: str | None = None) -> Path:
        page.evaluate("document.activeElement && document.activeElement.blur()")
        if focus:  # below the sticky top bar, whose height depends on the role's menu
            page.locator(focus).first.evaluate(
                "el => { el.scrollIntoView({block: 'start'});"
                " window.scrollBy(0, -document.querySelector('.topbar').offsetHeight - 12); }"
            )
        else:
            page.evaluate("window.scrollTo(0, 0)")
        path = folder / f"walk-{len(saved) + 1:02d}-{name}.png"
        page.screenshot(path=str(path))
        saved.append(path)
        return path

    yield save
    for path in saved:  # every step's picture was written and is a PNG
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path


def save_form(page: Any, saved: str) -> int:
    """Click Save on a form page; wait for the record page and return the record id."""
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r"/records/\d+/$"))
    assert f"{saved} saved." in text(page, ".messages")
    return int(re.search(r"/records/(\d+)/$", page.url).group(1))


def open_visit_form(page: Any, number: str, visit: str, form: str) -> None:
    """From the casebook's visit schedule, click '+ form' in the row of `visit`."""
    page.goto(f"/subjects/{number}/")
    row = page.locator("tr", has=page.locator("strong", has_text=re.compile(rf"^{visit}$")))
    row.locator(f"a.chip-new:has-text('+ {form}')").click()
    page.wait_for_url(re.compile(rf"/forms/{form.replace(' ', '_')}/new/\?visit={visit}$"))


def marrow_and_counts(
    page: Any, number: str, visit: str, day: str, blasts: float, counts: dict[str, str]
) -> None:
    """The marrow aspirate and the blood counts of one visit, as the nurse enters them."""
    open_visit_form(page, number, visit, "marrow")
    fill_protocol_form(
        page, "marrow", {"aspirate_date": day, "evaluable": True, "bm_blasts_pct": blasts}
    )
    save_form(page, "Bone-marrow assessment")
    open_visit_form(page, number, visit, "haematology")
    fill_protocol_form(page, "haematology", {"sample_date": day, **counts})
    save_form(page, "Haematology (blood counts)")


def file_sae_report(
    page: Any, kind: str, aware: datetime, notified: datetime, ongoing: bool, narrative: str
) -> None:
    """Fill and save the open SAE report form (initial notice or follow-up)."""
    fill_protocol_form(page, "sae_report", {
        "report_type": kind, "site_aware_at": aware.isoformat()[:16],
        "sponsor_notified_at": notified.isoformat()[:16], "event_ongoing": ongoing,
        "narrative": narrative})  # fmt: skip
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r"/records/\d+/$"))
    assert "SAE report saved." in text(page, ".messages")


# --------------------------------------------------------------------------- the steps
def screen_and_enrol(page: Any, course: Course, shot: Callable[..., Path]) -> str:
    """Investigator: a new screening record, the eligibility verdict, enrolment (overt)."""
    page.click("nav >> text=Screening")
    page.click("text=+ New screening")
    page.fill("[name='_consent_date']", course.consent)
    fill_protocol_form(page, "screening", screening_values("overt"))
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r"/screening/S01-S\d+/$"))
    verdict = text(page, "#eligibility")
    assert "Eligible" in verdict and "Cohort overt" in verdict
    assert re.search(
        r"IN1\s+inclusion\s+Signed informed consent[^\n]*\s+satisfied\s",
        text(page, "table.criteria"),
    )
    page.fill("[name='enrolment_date']", course.day(1))
    shot(page, "eligible")
    page.click("button:has-text('Enrol')")
    page.wait_for_url(re.compile(r"/subjects/A-001/$"))
    assert "Enrolled as subject A-001" in text(page, ".messages")
    assert "Cohort overt" in text(page, ".page-head")
    return "A-001"


def baseline_and_treatment(
    page: Any, number: str, course: Course, shot: Callable[..., Path]
) -> None:
    """Study nurse: baseline counts and marrow, talazoparib, lymphodepletion, NK infusion."""
    marrow_and_counts(page, number, "C1D1", course.day(1), blasts=12,
                      counts={"anc": "0.3", "platelets": "40", "haemoglobin": "8.2",
                              "pb_blasts_pct": "4"})  # fmt: skip
    open_visit_form(page, number, "C1D1", "talazoparib")
    fill_protocol_form(page, "talazoparib", {"period_start": course.day(1),
                                             "daily_dose_mg": "1.0", "interrupted": False,
                                             "reduced": False})  # fmt: skip
    save_form(page, "Talazoparib dosing")

    open_visit_form(page, number, "C1D8", "lymphodepletion")
    fill_protocol_form(page, "lymphodepletion", {
        "body_surface_area_m2": "1.86", "start_date": course.day(3), "end_date": course.day(5),
        "fludarabine_mg_m2": "30", "fludarabine_days": "3", "cyclophosphamide_mg_m2": "500",
        "cyclophosphamide_days": "3", "dose_modified": False})  # fmt: skip
    save_form(page, "Lymphodepletion (fludarabine / cyclophosphamide)")
    assert re.search(r"Fludarabine daily dose\s+30 mg/m²", text(page, "table.values"))

    open_visit_form(page, number, "C1D8", "nk infusion")
    fill_protocol_form(page, "nk_infusion", {
        "infusion_date": course.day(8), "infusion_number": "1", "given": True,
        "product_lot": "NK-2611-07", "cell_dose_per_kg": "5000000", "viability_pct": "91",
        "purity_pct": "94.5", "cd3_per_kg": "40000", "release_passed": True,
        "body_weight_kg": "72", "infusion_reaction_grade": "0"})  # fmt: skip
    shot(page, "nk-infusion-release", focus="#field-product_lot")
    save_form(page, "NK-cell infusion and product release")
    values = text(page, "table.values")
    assert re.search(r"NK purity \(CD56\+CD3-\)\s+94\.5 %", values)
    assert re.search(r"T-cell contamination \(CD3\+ cells per kg\)\s+40000", values)
    assert not page.locator(".messages :text('Query opened')").count()  # within release specs
    page.goto(f"/subjects/{number}/")
    assert re.search(r"NK-product feasibility failure\s+no", text(page, "main"))


def adverse_event_and_sae(page: Any, number: str, course: Course, shot: Callable[..., Path]) -> int:
    """Investigator: a serious lung infection from the CTCAE term list, then the SAE workflow."""
    page.goto(f"/subjects/{number}/")
    page.locator(".other", has_text="Adverse event").locator("a.chip-new").click()
    page.wait_for_url(re.compile(r"/forms/adverse_event/new/$"))
    # the term is typed with the CTCAE v5.0 list as suggestions, each labelled with its SOC
    option = page.locator("#choices-term option[value='Lung infection']")
    assert option.get_attribute("label") == "Lung infection — Infections and infestations"
    page.fill("[name='term']", "Lung infection")
    fill_protocol_form(page, "adverse_event", {
        "ctcae_grade": "3", "onset_date": course.day(21), "serious": True,
        "sae_hospitalisation": True, "attribution_talazoparib": "unlikely",
        "attribution_nk": "possible", "category": "nonhematologic",
        "outcome": "recovering"})  # fmt: skip
    ae_id = save_form(page, "Adverse event")
    term = text(page, "#value-term")
    assert term == "Lung infection SOC: Infections and infestations"  # the SOC stays shown
    shot(page, "adverse-event-ctcae")

    page.click("nav >> text=SAEs")
    page.wait_for_url(re.compile(r"/sae/$"))
    row = page.locator(f"#sae-{ae_id}")
    assert "Infections and infestations" in row.inner_text()  # the SOC beside the term
    assert "notice missing" in row.inner_text()
    entered = timezone.localtime(FormRecord.objects.get(pk=ae_id).created_at)
    due = (entered + SAE_NOTICE).strftime("%Y-%m-%d %H:%M")  # until a report names awareness
    assert due in row.inner_text()
    row.locator("a:has-text('File report')").click()
    page.wait_for_url(re.compile(rf"/sae/{ae_id}/report/$"))
    assert page.input_value("[name='ae_record_id']") == str(ae_id)
    aware, notified = at(course.day(21), "10:30"), at(course.day(21), "16:45")
    admitted = "Admitted: fever, right lower lobe infiltrate; IV antibiotics."
    file_sae_report(page, "initial", aware, notified, ongoing=True, narrative=admitted)

    page.goto(f"/sae/{ae_id}/report/")
    back = at(course.day(27), "09:00")
    discharged = "Afebrile after 5 days; discharged home."
    file_sae_report(page, "follow_up", back, back, ongoing=False, narrative=discharged)
    assert re.search(r"Follow-up number\s+1\b", text(page, "table.values"))  # numbered for us

    page.click("nav >> text=SAEs")
    row = page.locator(f"#sae-{ae_id}").inner_text()
    due = (aware + SAE_NOTICE).strftime("%Y-%m-%d %H:%M")
    assert due in row  # the notice deadline: the site's awareness + 24 h
    assert "requires or prolongs hospitalisation" in row
    assert re.search(r"6\.25 h after awareness\s+notified\s+1 follow-up", row)  # 10:30 -> 16:45
    shot(page, "sae-expedited")
    return ae_id


def response_assessment(page: Any, number: str, course: Course, shot: Callable[..., Path]) -> None:
    """Study nurse: marrow and counts at C2D1; the casebook derives the ELN 2022 response."""
    marrow_and_counts(page, number, "C2D1", course.day(29), blasts=2,
                      counts={"anc": "1.8", "platelets": "160", "haemoglobin": "11.2",
                              "pb_blasts_pct": "0"})  # fmt: skip
    page.goto(f"/subjects/{number}/")
    # ELN 2022 (Döhner 2022, Table 6): marrow blasts < 5 %, ANC >= 1.0, platelets >= 100 -> CR
    assert text(page, "#best-response") == "CR"
    assert text(page, "#responder") == "yes"
    assert text(page, "#responder-definitions").startswith("primary: CR/CRi (registered) · CR yes")
    assert re.search(rf"C2D1\s+{course.day(29)}\s+CR", text(page, "#responses"))
    # CTCAE v5.0 at baseline: ANC 0.3 < 0.5 is grade 4, platelets 40 in [25, 50) grade 3
    grades = text(page, "#ctcae")
    assert re.search(r"C1D1\s+Neutrophil count decreased\s+0\.3\s+4", grades, re.I)
    assert re.search(r"C1D1\s+Platelet count decreased\s+40\s+3", grades, re.I)
    # the lung infection: grade 3, non-haematologic, possibly NK-related, inside the DLT window
    aes = text(page, "#adverse-events")
    assert re.search(r"Lung infection\s+3\s+" + course.day(21) + r"\s+SAE\s+DLT", aes)
    shot(page, "response-eln2022")


def protocol_deviation(page: Any, number: str, course: Course, shot: Callable[..., Path]) -> None:
    """Investigator: the second NK infusion was postponed by the hospital stay."""
    page.goto(f"/subjects/{number}/")
    page.locator(".other", has_text="Protocol deviation").locator("a.chip-new").click()
    page.wait_for_url(re.compile(r"/forms/deviation/new/$"))
    fill_protocol_form(page, "deviation", {
        "deviation_date": course.day(22), "category": "late_visit", "visit_concerned": "C1D22",
        "description": "Second NK infusion postponed: patient in hospital with a lung infection",
        "severity": "major", "corrective_action": "Infusion rescheduled after recovery",
        "reported_to_ethics": False})  # fmt: skip
    save_form(page, "Protocol deviation")
    page.click("nav >> text=Deviations")
    page.wait_for_url(re.compile(r"/deviations/$"))
    counts = text(page, "#deviation-counts")
    assert re.search(r"late visit\s+1\s+0\s+1", counts)
    row = text(page, "#deviations")
    assert re.search(rf"{course.day(22)}\s+{number}\s+S01\s+late visit\s+major\s+C1D22", row)
    shot(page, "deviations")


def sign(page: Any, number: str, shot: Callable[..., Path]) -> None:
    """Investigator: the completeness check, then the signature with the password re-entered."""
    page.goto(f"/subjects/{number}/")
    check = text(page, "#sign-check")
    assert "missing forms: C1D1: chemistry, mrd, emd, eln risk" in check
    assert (
        "C1D8: haematology, chemistry, donor, il2; C2D1: chemistry, mrd, emd, talazoparib" in check
    )
    assert "2 overdue visits with nothing entered: C1D15, C1D22" in check
    shot(page, "completeness-before-signing", focus="#signature")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign casebook')")
    assert "is incomplete" in text(page, ".messages")  # no silent signature over gaps
    page.fill("#id_sign_override", "Interim signature for the DSMB data cut")
    page.fill("#id_password", "not my password")
    page.click("button:has-text('Sign casebook')")
    assert "password is not correct" in text(page, ".messages")  # re-authentication
    page.fill("#id_sign_override", "Interim signature for the DSMB data cut")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign casebook')")
    assert f"Casebook {number} signed." in text(page, ".messages")
    assert "signed by investigator_a" in text(page, "#signature")
    assert page.locator("button:has-text('Sign casebook')").count() == 0


def lock(page: Any, number: str, shot: Callable[..., Path]) -> None:
    """Data manager: the lock check lists the gaps; the lock needs an override reason."""
    page.goto(f"/subjects/{number}/")
    check = text(page, "#lock-check")
    assert "end of study form" in check
    n = FormRecord.objects.filter(subject__subject_number=number, withdrawn=False).count()
    assert f"{n} records without source data verification" in check
    assert "has not signed" not in check  # the investigator's signature covers the data
    page.fill("[aria-label='Reason for locking']", "DSMB interim data cut")
    page.click("button:has-text('Lock subject')")
    assert "cannot be locked without an override reason" in text(page, ".messages")
    page.fill("[aria-label='Reason for locking']", "DSMB interim data cut")
    page.fill("[aria-label='Override reason']", "Patient on study: interim cut, SDV follows")
    shot(page, "lock-override", focus="#signature")
    page.click("button:has-text('Lock subject')")
    assert f"Subject {number} locked." in text(page, ".messages")
    assert "locked by data_manager_a" in text(page, "#signature")


def read_only_and_pdf(
    nurse: Any, manager: Any, number: str, ae_id: int, shot: Callable[..., Path]
) -> None:
    """After the lock: no entry links, no Correct button, edit URLs answer read-only; the
    casebook PDF downloads."""
    nurse.goto(f"/subjects/{number}/")
    assert "locked" in text(nurse, "h1")
    assert nurse.locator("a.chip-new").count() == 0  # no "+ form" entry links
    assert "signed" in text(nurse, "h1")
    shot(nurse, "locked-casebook")
    nurse.goto(f"/records/{ae_id}/")
    assert "The subject is locked: data are read-only." in text(nurse, "main")
    assert nurse.locator("a:has-text('Correct')").count() == 0
    nurse.goto(f"/records/{ae_id}/edit/")
    assert f"Subject {number} is locked" in text(nurse, "#read-only")
    assert nurse.locator("form.crf").count() == 0

    with manager.expect_download() as info:
        manager.click("text=Casebook PDF")
    pdf = info.value
    assert re.fullmatch(rf"casebook-{number}-.*\.pdf", pdf.suggested_filename)
    with open(pdf.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"


# --------------------------------------------------------------------------- the walk
def test_a_day_at_the_site(
    new_page: Callable[..., Any], staff: dict[str, Any], walk_shot: Callable[..., Path]
) -> None:
    course = Course(timezone.localdate())
    investigator, nurse, manager = (new_page(WALK_VIEWPORT) for _ in range(3))
    for page, user in ((investigator, "investigator_a"), (nurse, "study_nurse_a"),
                       (manager, "data_manager_a")):  # fmt: skip
        login(page, user)
    number = screen_and_enrol(investigator, course, walk_shot)
    baseline_and_treatment(nurse, number, course, walk_shot)
    ae_id = adverse_event_and_sae(investigator, number, course, walk_shot)
    response_assessment(nurse, number, course, walk_shot)
    protocol_deviation(investigator, number, course, walk_shot)
    sign(investigator, number, walk_shot)
    lock(manager, number, walk_shot)
    read_only_and_pdf(nurse, manager, number, ae_id, walk_shot)

    subject = Subject.objects.get(subject_number=number)
    assert subject.cohort == "overt" and subject.is_locked
    assert Signature.objects.filter(subject=subject, invalidated_at__isnull=True).exists()
    assert "completeness override" in Lock.objects.get(subject=subject).reason
