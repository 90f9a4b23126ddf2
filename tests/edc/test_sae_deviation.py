"""The expedited SAE workflow (edc.sae) and protocol deviations (edc.deviations): services,
timelines at the 24-hour boundary, audit trail, and their listing pages by role and site."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from nakip.edc import deviations, sae, services
from nakip.edc.exceptions import FormValidationError, InvalidStateError
from nakip.edc.models import FormRecord, Subject
from tests.edc.conftest import client_for

AE = {"term": "Febrile neutropenia", "ctcae_grade": 3, "onset_date": "2026-01-20",
      "serious": True, "sae_hospitalisation": True, "attribution_talazoparib": "possible",
      "attribution_nk": "unlikely", "category": "nonhematologic", "outcome": "recovering",
      "disease_related": False}  # fmt: skip
AWARE = "2026-01-20T08:00:00"


def _ae(user: Any, subject: Subject, **changes: Any) -> FormRecord:
    return services.create_record(user, subject, "adverse_event", {**AE, **changes}).record


def _initial(notified: str | None) -> dict[str, Any]:
    values = {"report_type": "initial", "site_aware_at": AWARE, "narrative": "admitted, IV abx"}
    if notified:
        values["sponsor_notified_at"] = notified
    return values


@pytest.mark.parametrize(
    ("notified", "status", "overdue"),
    [("2026-01-21T08:00:00", "notified", False),  # exactly 24 h: on time
     ("2026-01-21T08:01:00", "notified late", True)],
)  # fmt: skip
def test_notice_at_the_24_hour_boundary(subject, investigator, notified, status, overdue) -> None:
    ae = _ae(investigator, subject)
    sae.file_report(investigator, ae, _initial(notified))
    (case,) = sae.sae_cases([subject])
    assert (case.status, case.overdue) == (status, overdue)
    assert case.criteria == ("requires or prolongs hospitalisation",)
    assert case.soc == "Blood and lymphatic system disorders"


def test_missing_notice_becomes_overdue_after_the_deadline(subject, investigator) -> None:
    ae = _ae(investigator, subject)
    (case,) = sae.sae_cases([subject], now=ae.created_at + timedelta(hours=23))
    assert (case.status, case.overdue) == ("notice missing", False)
    (case,) = sae.sae_cases([subject], now=ae.created_at + timedelta(hours=24, seconds=1))
    assert (case.status, case.overdue) == ("overdue", True)
    sae.file_report(investigator, ae, _initial(None))
    aware = timezone.make_aware(datetime.fromisoformat(AWARE))
    (case,) = sae.sae_cases([subject], now=aware + timedelta(hours=1))
    assert case.status == "awaiting notice"


def test_follow_ups_are_numbered_and_audited(subject, investigator) -> None:
    ae = _ae(investigator, subject)
    with pytest.raises(InvalidStateError, match="initial notice first"):
        sae.file_report(investigator, ae, {"report_type": "follow_up", "site_aware_at": AWARE,
                                           "narrative": "x"})  # fmt: skip
    sae.file_report(investigator, ae, _initial("2026-01-20T12:00:00"))
    with pytest.raises(InvalidStateError, match="already has its initial notice"):
        sae.file_report(investigator, ae, _initial("2026-01-20T12:00:00"))
    fu = {"report_type": "follow_up", "site_aware_at": "2026-01-25T09:00:00",
          "narrative": "resolved", "event_ongoing": False}  # fmt: skip
    first = sae.file_report(investigator, ae, fu).record
    second = sae.file_report(investigator, ae, fu).record
    assert (first.values["follow_up_number"], second.values["follow_up_number"]) == (1, 2)
    assert second.history.first().history_user == investigator
    (case,) = sae.sae_cases([subject])
    assert case.follow_ups == 2 and case.hours_to_notice == 4.0


def test_report_refused_without_seriousness(subject, investigator) -> None:
    not_serious = _ae(investigator, subject, serious=False, sae_hospitalisation=None)
    with pytest.raises(FormValidationError, match="serious"):
        sae.file_report(investigator, not_serious, _initial(None))
    no_criterion = _ae(investigator, subject, sae_hospitalisation=False)
    with pytest.raises(FormValidationError, match="seriousness criterion"):
        sae.file_report(investigator, no_criterion, _initial(None))
    assert not services.records(subject, "sae_report").exists()  # nothing half-written


def _deviation(user: Any, subject: Subject, category: str, severity: str) -> FormRecord:
    values = {
        "deviation_date": "2026-02-12",
        "category": category,
        "severity": severity,
        "description": "C2D1 done on day 33",
        "corrective_action": "scheduling reminder",
    }
    return services.create_record(user, subject, "deviation", values).record  # fmt: skip


def test_deviation_form_validates_and_counts(subject, investigator) -> None:
    with pytest.raises(FormValidationError, match="category"):
        _deviation(investigator, subject, "forgot", "minor")
    _deviation(investigator, subject, "late_visit", "minor")
    _deviation(investigator, subject, "eligibility_waiver", "major")
    rows = deviations.deviation_rows(services.records(subject, "deviation"))
    counts = deviations.deviation_counts(rows)
    assert counts["late_visit"] == {"major": 0, "minor": 1, "total": 1}
    assert counts["total"] == {"major": 1, "minor": 1, "total": 2}


def test_listing_pages_per_site_and_role(
    staff: dict[str, Any], subject: Subject, site_b: Any,
    make_user: Callable[..., Any], enrol: Callable[..., Subject],
) -> None:  # fmt: skip
    inv = staff["investigator"]
    _deviation(inv, subject, "missed_dose", "minor")
    inv_b = make_user("investigator", site_b, "investigator_b")
    other = enrol("mrd", user=inv_b, site=site_b)
    _deviation(inv_b, other, "late_visit", "major")
    _ae(inv, subject)
    page = client_for(inv).get("/deviations/")
    assert page.status_code == 200
    assert subject.subject_number.encode() in page.content
    assert other.subject_number.encode() not in page.content  # another site's deviation
    assert client_for(staff["dsmb"]).get("/deviations/").status_code == 403
    sae_page = client_for(inv).get("/sae/")
    assert sae_page.status_code == 200 and b"Febrile neutropenia" in sae_page.content
    assert b"File report" in sae_page.content
    assert b"File report" not in client_for(staff["monitor"]).get("/sae/").content
    assert (
        client_for(staff["monitor"]).get(f"/sae/{other.records.first().pk}/report/").status_code
        == 404
    )


def test_sae_report_page_files_the_notice(staff: dict[str, Any], subject: Subject) -> None:
    ae = _ae(staff["investigator"], subject)
    c = client_for(staff["study_nurse"])
    assert b"choices-term" not in c.get(f"/sae/{ae.pk}/report/").content
    resp = c.post(f"/sae/{ae.pk}/report/", {"report_type": "initial", "site_aware_at": AWARE,
                                            "sponsor_notified_at": "2026-01-20T09:30",
                                            "narrative": "admitted"})  # fmt: skip
    assert resp.status_code == 302
    (case,) = sae.sae_cases([subject])
    assert case.status == "notified" and case.hours_to_notice == 1.5
    form = client_for(staff["investigator"]).get(
        f"/subjects/{subject.subject_number}/forms/adverse_event/new/"
    )
    assert b'<datalist id="choices-term">' in form.content  # searchable CTCAE term list
    assert b"Blood and lymphatic system disorders" in form.content


def test_deviation_form_rows_reach_addv_and_the_dsmb_log(subject, investigator) -> None:
    from datetime import date

    from nakip.analysis.deviations import DeviationLog
    from nakip.analysis.dictionary import columns
    from nakip.edc.datasets import build_dataset, build_trial_data

    rec = _deviation(investigator, subject, "missed_dose", "major")
    data = build_trial_data()
    assert list(data.addv.columns) == columns("addv")
    (row,) = data.addv.to_dict("records")
    assert (row["record_id"], row["category"], row["severity"]) == (rec.pk, "missed_dose", "major")
    assert row["deviation_date"] == date(2026, 2, 12) and row["study_day"] is not None
    log = DeviationLog(services.get_protocol()).fit(data)
    assert log.counts == {"missed dose": 1} and log.severity_counts == {"major": 1}
    assert build_trial_data(cutoff=date(2026, 2, 11)).addv.empty  # after the cut-off
    assert build_dataset("addv", [subject]).rows[0]["severity"] == "major"


def test_a_report_on_another_subjects_record_does_not_count(enrol, investigator) -> None:
    a, b = enrol("overt"), enrol("overt")
    ae = _ae(investigator, a)
    # the services refuse such a report (next test); rows written before that, or imported,
    # still must not count for the other subject's event
    values = {**_initial("2026-01-20T09:00:00"), "ae_record_id": ae.pk}
    FormRecord.objects.create(subject=b, form_code="sae_report", form_version=1, values=values)
    (case,) = sae.sae_cases([a, b])
    assert case.subject_number == a.subject_number and case.status != "notified"


def test_generic_entry_of_an_sae_report_is_refused(staff: dict[str, Any], subject) -> None:
    """Issue 12 §7a: the record page, the records API and create_record all refuse an
    sae_report (it would skip the seriousness and initial-notice checks of file_report), and a
    correction cannot move a filed report to another event or change its type."""
    from rest_framework.test import APIClient

    investigator = staff["investigator"]
    ae = _ae(investigator, subject)
    not_serious = _ae(investigator, subject, serious=False, sae_hospitalisation=False)
    bypass = {**_initial("2026-01-20T09:00:00"), "ae_record_id": not_serious.pk}
    with pytest.raises(FormValidationError) as exc:
        services.create_record(investigator, subject, "sae_report", bypass)
    assert "SAE workflow" in exc.value.errors["form_code"][0]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {services.api_token(None, investigator)}")
    r = api.post(
        f"/api/subjects/{subject.subject_number}/records/",
        {"form_code": "sae_report", "values": bypass},
        format="json",
    )
    assert r.status_code == 400 and "SAE workflow" in r.json()["fields"]["form_code"][0]
    page = client_for(investigator).post(
        f"/subjects/{subject.subject_number}/forms/sae_report/new/", {"narrative": "x"}
    )
    assert page.status_code == 302 and page.url == "/sae/"
    assert not services.records(subject, "sae_report").exists()
    rec = sae.file_report(investigator, ae, _initial(None)).record
    for change in (
        {"ae_record_id": not_serious.pk},
        {"report_type": "follow_up", "follow_up_number": 1},
    ):
        with pytest.raises(FormValidationError) as exc:
            services.update_record(investigator, rec, change, "moved", rec.version, partial=True)
        assert set(exc.value.errors) == set(change)
    fixed = services.update_record(
        investigator, rec, {"narrative": "discharged day 5"}, "update", rec.version, partial=True
    )
    assert fixed.record.values["narrative"] == "discharged day 5"


def test_serious_events_reach_adsae_with_their_notice_state(enrol, investigator) -> None:
    """ADSAE carries each serious AE with the notice state nakip.edc.sae decides: a notice at
    24 h 1 min is late, an AE entered today without notice is still inside its deadline (judged
    at the end of the cut-off day), a follow-up is counted; a non-serious AE has no row."""
    from datetime import date

    from nakip.analysis.dictionary import columns
    from nakip.edc.datasets import build_trial_data

    subject = enrol("overt")
    late, missing = _ae(investigator, subject), _ae(investigator, subject, term="Pneumonitis")
    _ae(investigator, subject, serious=False, sae_hospitalisation=None)
    sae.file_report(investigator, late, _initial("2026-01-21T08:01:00"))
    sae.file_report(investigator, late, {"report_type": "follow_up", "site_aware_at":
                    "2026-01-27T08:00:00", "narrative": "discharged"})  # fmt: skip
    data = build_trial_data()
    assert list(data.adsae.columns) == columns("adsae")
    rows = {r["record_id"]: r for r in data.adsae.to_dict("records")}
    assert set(rows) == {late.pk, missing.pk}
    assert rows[late.pk]["notice_status"] == "notified late"
    assert rows[late.pk]["notice_on_time"] is False and rows[late.pk]["hours_to_notice"] > 24
    assert rows[late.pk]["follow_ups"] == 1
    assert rows[late.pk]["criteria"] == "requires or prolongs hospitalisation"
    assert rows[missing.pk]["notice_status"] == "notice missing"  # entered today: < 24 h
    assert rows[missing.pk]["notice_on_time"] is None
    assert build_trial_data(cutoff=date(2026, 1, 19)).adsae.empty  # before the onset


def test_casebook_offers_no_generic_entry_of_an_sae_report(
    investigator: Any, subject: Subject
) -> None:
    """Generic entry of an SAE report is refused (a redirect to /sae/): the casebook links to
    the SAE reports page instead of a "+ new" entry link."""
    page = client_for(investigator).get(f"/subjects/{subject.subject_number}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f"/subjects/{subject.subject_number}/forms/adverse_event/new/" in html  # still offered
    assert "/forms/sae_report/new/" not in html
    assert '<a class="small" href="/sae/">filed from the SAE reports page</a>' in html
