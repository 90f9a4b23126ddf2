"""Screening: a screened patient's data and eligibility verdict, enrolment into a cohort with
its subject number, and screen failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from nakip.edc.checks import CheckResult, SoftFinding
from nakip.edc.criteria_words import verdict_in_words
from nakip.edc.exceptions import FormValidationError, InvalidStateError, NotEligibleError
from nakip.edc.models import (
    EligibilityStatus,
    ScreeningOutcome,
    ScreeningRecord,
    Site,
    Subject,
    SubjectSequence,
)
from nakip.edc.permissions import require
from nakip.edc.protocol_forms import SCREENING_FORM, form_definition, get_protocol
from nakip.edc.services.common import (
    audited_save,
    check_date_input,
    check_version,
    clean_text,
    need_reason,
    refuse_if_locked,
    validated,
)
from nakip.edc.services.queries import sync_soft_queries
from nakip.edc.services.signoff import invalidate_signatures


def _eligibility(values: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    from nakip.clinical.eligibility import evaluate_eligibility

    result = evaluate_eligibility(dict(values), get_protocol())
    return result.status, result.cohort or "", result.to_dict()


#: Eligibility status (nakip.clinical.eligibility) -> words for messages to the site.
STATUS_WORDS = {
    EligibilityStatus.ELIGIBLE: "eligible",
    EligibilityStatus.NOT_ELIGIBLE: "not eligible",
    EligibilityStatus.UNDETERMINED: "eligibility cannot be decided yet",
}


def _closed_text(scr: ScreeningRecord) -> str:
    """Why a closed screening takes no enrolment or screen failure, in words (not the
    `screen_failed` code)."""
    if scr.outcome == ScreeningOutcome.ENROLLED:
        return f"{scr.screening_number} is already enrolled"
    return f"{scr.screening_number} is already closed as a screen failure"


def _reasons_in_words(scr: ScreeningRecord, eligibility: Mapping[str, Any]) -> list[str]:
    """The verdict's reasons as the screening page words them (criterion text, values by label),
    so a site never reads `consent_signed = true (criterion: == true)`."""
    definition = form_definition(SCREENING_FORM, scr.form_version)
    return verdict_in_words(eligibility, get_protocol(), definition, scr.values)


def _eligibility_changed_text(status: str, cohort: str, enrolled_in: str) -> str:
    """The query text when a correction after enrolment changes the verdict, with cohort names
    (not codes) and the status in words."""
    names = {c.code: c.name for c in get_protocol().cohorts}
    now = STATUS_WORDS.get(status, status.replace("_", " "))
    fit = f"cohort {names.get(cohort, cohort)}" if cohort else "no cohort"
    return (
        f"eligibility after the correction: {now} ({fit}); the subject was enrolled in cohort "
        f"{names.get(enrolled_in, enrolled_in)}: please review"
    )


def _validated_screening(values: Mapping[str, Any] | None, version: int) -> CheckResult:
    return validated(form_definition(SCREENING_FORM, version), values)


def _next_screening_number(site: Site) -> str:
    Site.objects.select_for_update().filter(pk=site.pk).first()
    n = ScreeningRecord.objects.filter(site=site).count() + 1
    while ScreeningRecord.objects.filter(screening_number=f"{site.code}-S{n:03d}").exists():
        n += 1
    return f"{site.code}-S{n:03d}"


@transaction.atomic
def create_screening(
    user: Any, site: Site, consent_date: date, values: Mapping[str, Any] | None
) -> ScreeningRecord:
    """Register a screened patient; the eligibility verdict is evaluated and stored at once.

    Partial screening data are allowed (the verdict is then 'undetermined').
    """
    require(user, "enter_data", site)
    if not isinstance(consent_date, date):
        raise FormValidationError({"consent_date": ["expected a date"]})
    check_date_input(consent_date=consent_date)
    version = form_definition(SCREENING_FORM).version
    result = _validated_screening(values, version)
    status, cohort, detail = _eligibility(result.values)
    scr = ScreeningRecord(
        site=site,
        screening_number=_next_screening_number(site),
        consent_date=consent_date,
        form_version=version,
        values=result.values,
        eligibility_status=status,
        eligibility_cohort=cohort,
        eligibility=detail,
        created_by=user,
        updated_by=user,
    )
    audited_save(scr, user, "initial entry")
    sync_soft_queries(user, scr, result.soft)
    return scr


@transaction.atomic
def update_screening(
    user: Any,
    screening: ScreeningRecord,
    values: Mapping[str, Any] | None,
    reason: str,
    expected_version: int | None,
    consent_date: date | None = None,
    partial: bool = False,
) -> ScreeningRecord:
    """Correct screening data (reason required); eligibility is re-evaluated.

    After enrolment a change that alters the verdict opens a query (the cohort stays).
    """
    require(user, "enter_data", screening)
    scr = ScreeningRecord.objects.select_for_update().get(pk=screening.pk)
    if hasattr(scr, "subject"):
        refuse_if_locked(scr.subject)
    if scr.outcome == ScreeningOutcome.SCREEN_FAILED:
        raise InvalidStateError("a screen failure is final; screen the patient again instead")
    check_version(scr, expected_version)
    reason = need_reason(reason)
    check_date_input(consent_date=consent_date)
    submitted = {**scr.values, **(values or {})} if partial else values
    result = _validated_screening(submitted, scr.form_version)
    status, cohort, detail = _eligibility(result.values)
    before = (scr.eligibility_status, scr.eligibility_cohort)
    scr.values = result.values
    if consent_date is not None:
        scr.consent_date = consent_date
    scr.eligibility_status, scr.eligibility_cohort, scr.eligibility = status, cohort, detail
    scr.version += 1
    scr.updated_by = user
    audited_save(scr, user, reason)
    findings = list(result.soft)
    if scr.outcome == ScreeningOutcome.ENROLLED:
        if (status, cohort) != before:
            findings.append(
                SoftFinding(
                    "",
                    "eligibility_changed",
                    _eligibility_changed_text(status, cohort, scr.subject.cohort),
                )
            )
        invalidate_signatures(scr.subject, user, "screening data changed")
    sync_soft_queries(user, scr, findings, keep_codes=("eligibility_changed",))
    return scr


def _subject_number(cohort: str) -> tuple[int, str]:
    prefix = get_protocol().cohort(cohort).subject_prefix
    seq, _ = SubjectSequence.objects.select_for_update().get_or_create(cohort=cohort)
    seq.last += 1
    seq.save()
    return seq.last, f"{prefix}-{seq.last:03d}"


@transaction.atomic
def enrol_subject(user: Any, screening: ScreeningRecord, enrolment_date: date) -> Subject:
    """Enrol an eligible screened patient: cohort from the entry criteria, number "A-001".

    `enrolment_date` is study day 1 (first talazoparib dose); it must fall within the protocol's
    screening window after consent.
    """
    require(user, "enter_data", screening)
    scr = ScreeningRecord.objects.select_for_update().get(pk=screening.pk)
    if scr.outcome != ScreeningOutcome.SCREENING:
        raise InvalidStateError(_closed_text(scr))
    status, cohort, detail = _eligibility(scr.values)
    if status != EligibilityStatus.ELIGIBLE or not cohort:
        verdict = STATUS_WORDS.get(status, status.replace("_", " "))
        reasons = _reasons_in_words(scr, detail) or [f"eligibility: {verdict}"]
        headline = f"{scr.screening_number} cannot be enrolled: {verdict}"
        raise NotEligibleError(f"{headline}: " + " ".join(reasons), reasons, headline=headline)
    if not isinstance(enrolment_date, date):
        raise FormValidationError({"enrolment_date": ["expected a date"]})
    check_date_input(enrolment_date=enrolment_date)
    window = get_protocol().schedule.screening_window_days
    days = (enrolment_date - scr.consent_date).days
    if days < 0:
        raise FormValidationError({"enrolment_date": ["may not be before informed consent"]})
    if days > window:
        raise FormValidationError(
            {
                "enrolment_date": [
                    f"{days} day{'' if days == 1 else 's'} after consent; "
                    f"the screening window is {window}"
                ]
            }
        )
    for attempt in range(3):
        try:
            with transaction.atomic():
                seq, number = _subject_number(cohort)
                subject = Subject(
                    site=scr.site,
                    screening=scr,
                    cohort=cohort,
                    sequence=seq,
                    subject_number=number,
                    enrolment_date=enrolment_date,
                    created_by=user,
                )
                audited_save(subject, user, "enrolled")
            break
        except IntegrityError:
            if attempt == 2:
                raise
    scr.outcome = ScreeningOutcome.ENROLLED
    scr.outcome_date = enrolment_date
    scr.eligibility_status, scr.eligibility_cohort, scr.eligibility = status, cohort, detail
    scr.version += 1
    scr.updated_by = user
    audited_save(scr, user, f"enrolled as {subject.subject_number}")
    return subject


@transaction.atomic
def record_screen_failure(
    user: Any,
    screening: ScreeningRecord,
    reasons: Sequence[str] | None = None,
    failure_date: date | None = None,
) -> ScreeningRecord:
    """Close a screening as a screen failure, with its reasons (kept for the CONSORT diagram).

    Without explicit reasons the eligibility verdict's reasons are used, in words (criterion
    text and the values entered, as on the screening page); an eligible record
    needs explicit reasons (e.g. consent withdrawn).
    """
    require(user, "enter_data", screening)
    check_date_input(failure_date=failure_date)
    scr = ScreeningRecord.objects.select_for_update().get(pk=screening.pk)
    if scr.outcome != ScreeningOutcome.SCREENING:
        raise InvalidStateError(_closed_text(scr))
    given = [clean_text("reasons", r) for r in (reasons or []) if r and r.strip()]
    if not given:
        given = _reasons_in_words(scr, scr.eligibility or {})
    if not given:
        raise FormValidationError({"reasons": ["give the reason for the screen failure"]})
    scr.outcome = ScreeningOutcome.SCREEN_FAILED
    scr.outcome_date = failure_date or timezone.localdate()
    scr.screen_failure_reasons = given
    scr.version += 1
    scr.updated_by = user
    audited_save(scr, user, "screen failure")
    return scr
