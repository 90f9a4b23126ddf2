"""The EDC's use cases: the one place where data are written.

Every write service takes the acting user first, checks `permissions.can`, refuses locked data,
validates with the edit checks, writes inside one transaction, and leaves a history row with
the user and the reason (mandatory for every change after first entry). Pages, the REST API,
the command line and the virtual patients all call these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Model, OuterRef, QuerySet, Subquery
from django.utils import timezone

from nakip.edc import permissions, reauthentication
from nakip.edc.checks import (
    CheckResult,
    SoftFinding,
    check_dates,
    check_plausible_dates,
    plausible_date_problem,
    validate_values,
)
from nakip.edc.exceptions import (
    FormValidationError,
    InvalidPasswordError,
    InvalidStateError,
    LockedError,
    NotEligibleError,
    NotFoundError,
    OpenQueriesError,
    ReasonRequiredError,
    SigningLockedError,
    StaleRecordError,
)
from nakip.edc.models import (
    EligibilityStatus,
    FormRecord,
    Lock,
    Membership,
    MissedVisit,
    Query,
    QueryStatus,
    RecordStatus,
    Role,
    ScreeningOutcome,
    ScreeningRecord,
    Signature,
    SignatureFailure,
    Site,
    Subject,
    SubjectSequence,
    with_lock_state,
)
from nakip.edc.permissions import require
from nakip.edc.schedule import PlannedVisit, VisitState, find_visit, planned_visits, visit_status
from nakip.edc.text_safety import text_problem
from nakip.protocol import Protocol, load_protocol
from nakip.protocol.model import FormDefinition

SCREENING_FORM = "screening"
#: Roles that only make sense at a particular site (a membership without site is refused).
SITE_BOUND_ROLES = frozenset({Role.INVESTIGATOR, Role.STUDY_NURSE})
#: Forms whose date of death ends the subject's timeline ("nothing after death").
DEATH_DATE_FIELDS = (("follow_up", "death_date"), ("end_of_study", "death_date"))
#: Longest reason for change, query text or answer accepted (longer is refused, never cut).
MAX_REASON_LENGTH = 2000
SIGNATURE_STATEMENT = (
    "I confirm that I have reviewed the data of this casebook and that they are accurate and "
    "complete to the best of my knowledge."
)


# =========================================================================== helpers
def get_protocol() -> Protocol:
    """The protocol the EDC runs: settings.NAKIP_PROTOCOL_FILE or the packaged NAKIP-AML file."""
    return load_protocol(getattr(settings, "NAKIP_PROTOCOL_FILE", None))


def form_definition(code: str, version: int | None = None) -> FormDefinition:
    """A form definition (latest version when None); NotFoundError for an unknown form."""
    try:
        return get_protocol().form(code, version)
    except KeyError:
        raise NotFoundError(
            f"unknown form {code!r}" + (f" version {version}" if version else "")
        ) from None


def _save(obj: Model, user: Any, reason: str) -> None:
    """Save with the history row attributed to `user` and carrying `reason`."""
    obj._history_user = user if getattr(user, "is_authenticated", False) else None
    obj._change_reason = reason or None  # stored whole (a text column in the history)
    obj.save()


def clean_text(field: str, value: Any, max_length: int = MAX_REASON_LENGTH) -> str:
    """`value` stripped; FormValidationError naming `field` for non-text, invalid Unicode (a
    lone surrogate, NUL) or more than `max_length` characters: never cut silently."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FormValidationError({field: ["expected text"]})
    problem = text_problem(value)
    if problem:
        raise FormValidationError({field: [problem]})
    text = value.strip()
    if len(text) > max_length:
        raise FormValidationError({field: [f"at most {max_length} characters ({len(text)} given)"]})
    return text


def _need_reason(reason: str | None, field: str = "reason") -> str:
    text = clean_text(field, reason)
    if not text:
        raise ReasonRequiredError()
    return text


def _check_version(obj: Any, expected_version: int | None) -> None:
    if expected_version is None:
        return
    if int(expected_version) != obj.version:
        raise StaleRecordError(int(expected_version), obj.version)


def _locked_subject(subject: Subject, **facts: Any) -> Subject:
    """Re-read the subject with a row lock (serialises writes to one casebook), annotated in
    the same query with its lock state, whether a valid signature exists (`signed_now`),
    whether a death date may be recorded (`has_death_record`) and any other `facts`
    (expressions over the subject's pk): a save costs one query here instead of one each."""
    death_forms = [form for form, _ in DEATH_DATE_FIELDS]
    qs = with_lock_state(
        Subject.objects.select_for_update(of=("self",)).select_related("site", "screening")
    ).annotate(
        signed_now=Exists(
            Signature.objects.filter(subject=OuterRef("pk"), invalidated_at__isnull=True)
        ),
        has_death_record=Exists(
            FormRecord.objects.filter(
                subject=OuterRef("pk"), withdrawn=False, form_code__in=death_forms
            )
        ),
        **facts,
    )
    return qs.get(pk=subject.pk)


def _refuse_if_locked(subject: Subject) -> None:
    if subject.is_locked:
        raise LockedError(f"subject {subject.subject_number} is locked; data are read-only")


def _display(user: Any) -> str:
    return getattr(user, "username", "") or "system"


# =========================================================================== sites and users
@transaction.atomic
def create_site(actor: Any, code: str, name: str) -> Site:
    """Create a site. `actor` None is the command line (system); otherwise needs manage_users
    at every site (a site-level administrator cannot add sites)."""
    if actor is not None:
        permissions.require_at(actor, "manage_users", None)
    code = clean_text("code", code, 16).upper()
    name = clean_text("name", name, 200)
    site = Site(code=code, name=name)
    try:
        site.full_clean()
    except ValidationError as exc:
        raise FormValidationError(exc.message_dict) from None
    _save(site, actor, "site created")
    return site


def get_site(code: str) -> Site:
    """The site with this code; NotFoundError naming it otherwise."""
    try:
        return Site.objects.get(code=(code or "").strip().upper())
    except Site.DoesNotExist:
        raise NotFoundError(f"unknown site {code!r}") from None


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise FormValidationError(
            {"role": [f"unknown role {role!r}; known: {', '.join(Role.values)}"]}
        )
    return role


@transaction.atomic
def add_membership(actor: Any, user: Any, role: str, site: Site | None) -> Membership:
    """Give `user` a role at `site` (None = every site; not allowed for site-bound roles)."""
    if actor is not None:
        permissions.require_at(actor, "manage_users", site)
    _check_role(role)
    if site is None and role in SITE_BOUND_ROLES:
        raise FormValidationError({"site": [f"the role {role} needs a site"]})
    if Membership.objects.filter(user=user, role=role, site=site).exists():
        raise InvalidStateError(f"{user.username} already has role {role} there")
    m = Membership(user=user, role=role, site=site)
    _save(m, actor, "membership granted")
    permissions.forget_memberships(user)
    return m


@transaction.atomic
def create_user(
    actor: Any,
    username: str,
    password: str,
    role: str,
    site: Site | None,
    email: str = "",
    validate_password: bool = True,
) -> Any:
    """Create a user with one membership; duplicate usernames and weak passwords are refused."""
    if actor is not None:
        permissions.require_at(actor, "manage_users", site)
    User = get_user_model()
    username = clean_text("username", username, 150)
    email = clean_text("email", email, 254)
    _check_role(role)
    if not username:
        raise FormValidationError({"username": ["a username is required"]})
    if User.objects.filter(username__iexact=username).exists():
        raise FormValidationError({"username": [f"user {username!r} already exists"]})
    user = User(username=username, email=email or "")
    if validate_password:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise FormValidationError({"password": list(exc.messages)}) from None
    elif not password:
        raise FormValidationError({"password": ["a password is required"]})
    user.set_password(password)
    user.save()
    add_membership(None, user, role, site)
    return user


def api_token(actor: Any, user: Any) -> str:
    """The user's REST API token (created on first request); `actor` None = command line."""
    from rest_framework.authtoken.models import Token

    if actor is not None and actor != user:
        require(actor, "manage_users")
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


# =========================================================================== screening
def _eligibility(values: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    from nakip.clinical.eligibility import evaluate_eligibility

    result = evaluate_eligibility(dict(values), get_protocol())
    return result.status, result.cohort or "", result.to_dict()


def check_date_input(**dates: date | None) -> None:
    """FormValidationError naming each implausible date argument (consent, enrolment, ...),
    against the protocol's date_limits."""
    limits, today = get_protocol().date_limits, timezone.localdate()
    errors = {}
    for name, d in dates.items():
        problem = plausible_date_problem(d, limits, today) if isinstance(d, date) else None
        if problem:
            errors[name] = [problem]
    if errors:
        raise FormValidationError(errors)


def _validated(form: FormDefinition, values: Mapping[str, Any] | None) -> CheckResult:
    """Edit checks of `values` plus the date plausibility limits; FormValidationError if any."""
    result = validate_values(form, values)
    errors = {k: list(v) for k, v in result.errors.items()}
    dated = check_plausible_dates(
        form, result.values, get_protocol().date_limits, timezone.localdate()
    )
    for k, v in dated.items():
        errors.setdefault(k, []).extend(v)
    if errors:
        raise FormValidationError(errors)
    return result


def _validated_screening(values: Mapping[str, Any] | None, version: int) -> CheckResult:
    return _validated(form_definition(SCREENING_FORM, version), values)


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
    _save(scr, user, "initial entry")
    _sync_soft_queries(user, scr, result.soft)
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
        _refuse_if_locked(scr.subject)
    if scr.outcome == ScreeningOutcome.SCREEN_FAILED:
        raise InvalidStateError("a screen failure is final; screen the patient again instead")
    _check_version(scr, expected_version)
    reason = _need_reason(reason)
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
    _save(scr, user, reason)
    findings = list(result.soft)
    if scr.outcome == ScreeningOutcome.ENROLLED:
        if (status, cohort) != before:
            findings.append(
                SoftFinding(
                    "",
                    "eligibility_changed",
                    f"eligibility after correction is {status} ({cohort or 'no cohort'}); "
                    f"the subject was enrolled as {scr.subject.cohort}: please review",
                )
            )
        _invalidate_signatures(scr.subject, user, "screening data changed")
    _sync_soft_queries(user, scr, findings, keep_codes=("eligibility_changed",))
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
        raise InvalidStateError(f"{scr.screening_number} is already {scr.outcome}")
    status, cohort, detail = _eligibility(scr.values)
    if status != EligibilityStatus.ELIGIBLE or not cohort:
        reasons = detail.get("reasons") or [f"eligibility is {status}"]
        raise NotEligibleError(
            f"{scr.screening_number} is {status.replace('_', ' ')}: " + "; ".join(reasons),
            reasons,
        )
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
                _save(subject, user, "enrolled")
            break
        except IntegrityError:
            if attempt == 2:
                raise
    scr.outcome = ScreeningOutcome.ENROLLED
    scr.outcome_date = enrolment_date
    scr.eligibility_status, scr.eligibility_cohort, scr.eligibility = status, cohort, detail
    scr.version += 1
    scr.updated_by = user
    _save(scr, user, f"enrolled as {subject.subject_number}")
    return subject


@transaction.atomic
def record_screen_failure(
    user: Any,
    screening: ScreeningRecord,
    reasons: Sequence[str] | None = None,
    failure_date: date | None = None,
) -> ScreeningRecord:
    """Close a screening as a screen failure, with its reasons (kept for the CONSORT diagram).

    Without explicit reasons the eligibility verdict's reasons are used; an eligible record
    needs explicit reasons (e.g. consent withdrawn).
    """
    require(user, "enter_data", screening)
    check_date_input(failure_date=failure_date)
    scr = ScreeningRecord.objects.select_for_update().get(pk=screening.pk)
    if scr.outcome != ScreeningOutcome.SCREENING:
        raise InvalidStateError(f"{scr.screening_number} is already {scr.outcome}")
    given = [clean_text("reasons", r) for r in (reasons or []) if r and r.strip()]
    if not given:
        given = list(scr.eligibility.get("reasons") or [])
    if not given:
        raise FormValidationError({"reasons": ["give the reason for the screen failure"]})
    scr.outcome = ScreeningOutcome.SCREEN_FAILED
    scr.outcome_date = failure_date or timezone.localdate()
    scr.screen_failure_reasons = given
    scr.version += 1
    scr.updated_by = user
    _save(scr, user, "screen failure")
    return scr


# =========================================================================== form records
@dataclass(frozen=True)
class SaveResult:
    """A saved record and the queries the soft checks opened on this save."""

    record: FormRecord
    opened_queries: tuple[Query, ...] = ()


def _visit_for(subject: Subject, form: FormDefinition, visit_code: str) -> PlannedVisit | None:
    proto = get_protocol()
    visits = planned_visits(subject.cohort, proto)
    in_some_visit = any(form.code in v.forms for v in visits)
    if not visit_code:
        if in_some_visit and not form.repeating:
            raise FormValidationError(
                {"visit_code": [f"form {form.code} is entered at a visit; say which"]}
            )
        return None
    visit = find_visit(subject.cohort, visit_code, proto)
    if visit is None:
        raise FormValidationError(
            {"visit_code": [f"no visit {visit_code!r} in the {subject.cohort} schedule"]}
        )
    if form.code not in visit.forms:
        raise FormValidationError(
            {"visit_code": [f"form {form.code} is not part of visit {visit_code}"]}
        )
    return visit


def death_date(subject: Subject, exclude_record: FormRecord | None = None) -> date | None:
    """The subject's date of death from follow-up / end-of-study records, or None."""
    if subject.__dict__.get("has_death_record") is False:
        return None  # known from _locked_subject: no record that could hold one
    qs = FormRecord.objects.filter(
        subject=subject, withdrawn=False, form_code__in=[f for f, _ in DEATH_DATE_FIELDS]
    )
    if exclude_record is not None and exclude_record.pk:
        qs = qs.exclude(pk=exclude_record.pk)
    return death_date_in(qs)


def death_date_in(records: Iterable[FormRecord]) -> date | None:
    """The earliest date of death among already-loaded active records (no query)."""
    found: list[date] = []
    for rec in records:
        if rec.withdrawn:
            continue
        for form_code, name in DEATH_DATE_FIELDS:
            if rec.form_code == form_code and rec.values.get(name):
                found.append(date.fromisoformat(rec.values[name]))
    return min(found) if found else None


def _validate_record(
    subject: Subject,
    form: FormDefinition,
    values: Mapping[str, Any] | None,
    record: FormRecord | None,
) -> CheckResult:
    result = _validated(form, values)
    dated = check_dates(
        form, result.values, subject.screening.consent_date, death_date(subject, record)
    )
    if dated:
        raise FormValidationError(dated)
    return result


@transaction.atomic
def create_record(
    user: Any,
    subject: Subject,
    form_code: str,
    values: Mapping[str, Any] | None,
    visit_code: str = "",
) -> SaveResult:
    """Enter a new form record (latest form version) for a subject, at a visit or not."""
    require(user, "enter_data", subject)
    if form_code == SCREENING_FORM:
        raise FormValidationError({"form_code": ["screening data go through create_screening"]})
    form = form_definition(form_code)
    visit_code = (visit_code or "").strip()
    visit = _visit_for(subject, form, visit_code)
    subject = _locked_subject(
        subject,
        duplicate_now=Exists(
            FormRecord.objects.filter(
                subject=OuterRef("pk"), form_code=form.code, visit_code=visit_code, withdrawn=False
            )
        ),
        missed_now=Exists(
            MissedVisit.objects.filter(subject=OuterRef("pk"), visit_code=visit_code, active=True)
        ),
    )
    _refuse_if_locked(subject)
    if not form.repeating and subject.duplicate_now:
        where = f" at visit {visit_code}" if visit_code else ""
        raise InvalidStateError(
            f"{subject.subject_number} already has a {form.code} record{where}; edit it instead"
        )
    if visit is not None and subject.missed_now:
        raise InvalidStateError(f"visit {visit_code} is marked missed; unmark it first")
    result = _validate_record(subject, form, values, None)
    record = FormRecord(
        subject=subject,
        visit_code=visit_code,
        form_code=form.code,
        form_version=form.version,
        values=result.values,
        created_by=user,
        updated_by=user,
    )
    _save(record, user, "initial entry")
    opened = _sync_soft_queries(user, record, result.soft, new=True)
    if form.code in CROSS_FORM_CODES:
        opened += _sync_cross_form_queries(user, subject)
    _invalidate_signatures(subject, user, f"{form.code} entered")
    return SaveResult(record, tuple(opened))


@transaction.atomic
def update_record(
    user: Any,
    record: FormRecord,
    values: Mapping[str, Any] | None,
    reason: str,
    expected_version: int | None,
    partial: bool = False,
) -> SaveResult:
    """Change a record (reason required; `expected_version` guards against stale edits).

    `partial=True` merges `values` into the stored ones (a blank value clears a field).
    """
    require(user, "enter_data", record)
    current = FormRecord.objects.filter(pk=record.pk).values("version")[:1]
    subject = _locked_subject(record.subject, record_version=Subquery(current))
    # The subject's row lock serialises every write to its records: the caller's copy is
    # current unless its version moved since it was read (then read it again).
    rec = record
    if rec.version != subject.record_version:
        rec = FormRecord.objects.select_related("created_by", "sdv_by").get(pk=record.pk)
    rec.subject = subject
    _refuse_if_locked(subject)
    if rec.withdrawn:
        raise InvalidStateError("the record is withdrawn and read-only")
    _check_version(rec, expected_version)
    reason = _need_reason(reason)
    form = form_definition(rec.form_code, rec.form_version)
    submitted = {**rec.values, **(values or {})} if partial else values
    result = _validate_record(subject, form, submitted, rec)
    if result.values == rec.values:
        return SaveResult(rec, ())
    rec.values = result.values
    rec.version += 1
    rec.status = RecordStatus.ENTERED
    rec.sdv_by, rec.sdv_at = None, None
    rec.updated_by = user
    _save(rec, user, reason)
    if rec.form_code in CROSS_FORM_CODES:  # one read of the automatic queries for both syncs
        auto = list(Query.objects.filter(record__subject=subject).exclude(check_code=""))
        cross = [q for q in auto if q.check_code.startswith("cross:")]
        own = [q for q in auto if q.record_id == rec.pk and q not in cross]
        opened = _sync_soft_queries(user, rec, result.soft, existing=own)
        opened += _sync_cross_form_queries(user, subject, existing=cross)
    else:
        opened = _sync_soft_queries(user, rec, result.soft)
    _invalidate_signatures(subject, user, f"{rec.form_code} changed")
    return SaveResult(rec, tuple(opened))


@transaction.atomic
def withdraw_record(
    user: Any, record: FormRecord, reason: str, expected_version: int | None = None
) -> FormRecord:
    """Mark a record withdrawn (entered in error); it stays in the database and its history."""
    require(user, "enter_data", record)
    subject = _locked_subject(record.subject)
    rec = FormRecord.objects.get(pk=record.pk)
    _refuse_if_locked(subject)
    if rec.withdrawn:
        raise InvalidStateError("the record is already withdrawn")
    _check_version(rec, expected_version)
    reason = _need_reason(reason)
    rec.withdrawn = True
    rec.withdrawn_reason = reason
    rec.version += 1
    rec.updated_by = user
    _save(rec, user, f"withdrawn: {reason}")
    for q in rec.queries.exclude(status=QueryStatus.CLOSED):
        _close(q, user, "record withdrawn")
    _sync_cross_form_queries(user, subject)
    _invalidate_signatures(subject, user, f"{rec.form_code} withdrawn")
    return rec


@transaction.atomic
def mark_sdv(user: Any, record: FormRecord) -> FormRecord:
    """Source-data verification by a monitor; a later change of the record clears it."""
    require(user, "sdv", record)
    subject = _locked_subject(record.subject)
    rec = FormRecord.objects.get(pk=record.pk)
    _refuse_if_locked(subject)
    rec.sdv_by, rec.sdv_at = user, timezone.now()
    _save(rec, user, "source data verified")
    return rec


def records(
    subject: Subject,
    form_code: str | None = None,
    visit_code: str | None = None,
    include_withdrawn: bool = False,
) -> QuerySet[FormRecord]:
    """A subject's records, optionally of one form and/or visit (no permission check)."""
    qs = FormRecord.objects.filter(subject=subject)
    if form_code is not None:
        qs = qs.filter(form_code=form_code)
    if visit_code is not None:
        qs = qs.filter(visit_code=visit_code)
    if not include_withdrawn:
        qs = qs.filter(withdrawn=False)
    return qs.order_by("id")


# =========================================================================== visits
def subject_visits(subject: Subject, today: date | None = None) -> list[VisitState]:
    """The subject's schedule with each visit's dates and computed status on `today`."""
    return visits_by_subject([subject], today)[subject.pk]


def visits_by_subject(
    subjects: Sequence[Subject], today: date | None = None
) -> dict[int, list[VisitState]]:
    """`subject_visits` of many subjects in two queries (dashboards list every subject)."""
    today = today or timezone.localdate()
    ids = [s.pk for s in subjects]
    entered: dict[int, dict[str, set[str]]] = {pk: {} for pk in ids}
    rows = FormRecord.objects.filter(subject_id__in=ids, withdrawn=False).values_list(
        "subject_id", "visit_code", "form_code"
    )
    for pk, code, form in rows:
        entered[pk].setdefault(code, set()).add(form)
    missed: dict[int, dict[str, str]] = {pk: {} for pk in ids}
    for m in MissedVisit.objects.filter(subject_id__in=ids, active=True).only(
        "subject_id", "visit_code", "reason"
    ):
        missed[m.subject_id][m.visit_code] = m.reason
    proto = get_protocol()
    out: dict[int, list[VisitState]] = {}
    for subject in subjects:
        have_by_visit, missed_here = entered[subject.pk], missed[subject.pk]
        states = []
        for v in planned_visits(subject.cohort, proto):
            have = have_by_visit.get(v.code, set())
            start, end = v.window(subject.enrolment_date)
            states.append(
                VisitState(
                    visit=v,
                    target_date=v.target_date(subject.enrolment_date),
                    window_start=start,
                    window_end=end,
                    status=visit_status(
                        v, subject.enrolment_date, today, have, v.code in missed_here
                    ),
                    forms_entered=tuple(f for f in v.forms if f in have),
                    forms_missing=tuple(f for f in v.expected_forms if f not in have),
                    missed_reason=missed_here.get(v.code, ""),
                )
            )
        out[subject.pk] = states
    return out


@transaction.atomic
def mark_visit_missed(user: Any, subject: Subject, visit_code: str, reason: str) -> MissedVisit:
    """Declare a scheduled visit missed (reason required); refused once it has data."""
    require(user, "enter_data", subject)
    subject = _locked_subject(subject)
    _refuse_if_locked(subject)
    reason = _need_reason(reason)
    if find_visit(subject.cohort, visit_code, get_protocol()) is None:
        raise NotFoundError(f"no visit {visit_code!r} in the {subject.cohort} schedule")
    if records(subject, visit_code=visit_code).exists():
        raise InvalidStateError(f"visit {visit_code} has data; withdraw them first")
    if MissedVisit.objects.filter(subject=subject, visit_code=visit_code, active=True).exists():
        raise InvalidStateError(f"visit {visit_code} is already marked missed")
    m = MissedVisit(subject=subject, visit_code=visit_code, reason=reason, marked_by=user)
    _save(m, user, reason)
    _invalidate_signatures(subject, user, f"visit {visit_code} marked missed")
    return m


@transaction.atomic
def unmark_visit_missed(user: Any, subject: Subject, visit_code: str, reason: str) -> MissedVisit:
    """Revoke a 'missed' mark (reason required)."""
    require(user, "enter_data", subject)
    subject = _locked_subject(subject)
    _refuse_if_locked(subject)
    reason = _need_reason(reason)
    m = MissedVisit.objects.filter(subject=subject, visit_code=visit_code, active=True).first()
    if m is None:
        raise NotFoundError(f"visit {visit_code} is not marked missed")
    m.active = False
    _save(m, user, reason)
    return m


# =========================================================================== queries
def _query_subject(q: Query) -> Subject | None:
    if q.record_id:
        return q.record.subject
    return getattr(q.screening, "subject", None)


def _field_names(target: FormRecord | ScreeningRecord) -> set[str]:
    if isinstance(target, ScreeningRecord):
        return {f.name for f in form_definition(SCREENING_FORM, target.form_version).fields}
    return {f.name for f in form_definition(target.form_code, target.form_version).fields}


def _new_query(
    target: FormRecord | ScreeningRecord,
    field_name: str,
    text: str,
    raised_by: Any,
    check_code: str = "",
    actor: Any = None,
) -> Query:
    q = Query(field_name=field_name, text=text, raised_by=raised_by, check_code=check_code)
    if isinstance(target, FormRecord):
        q.record = target
    else:
        q.screening = target
    _save(q, actor if actor is not None else raised_by, "query raised")
    return q


def _close(q: Query, user: Any, note: str, by: Any = None) -> None:
    q.status = QueryStatus.CLOSED
    q.closed_by = by
    q.closed_at = timezone.now()
    q.close_note = note
    _save(q, user, note)


@transaction.atomic
def raise_query(
    user: Any, target: FormRecord | ScreeningRecord, field_name: str, text: str
) -> Query:
    """Raise a manual query on a field ("" = the whole record) of a record or screening."""
    require(user, "raise_query", target)
    subject = target.subject if isinstance(target, FormRecord) else getattr(target, "subject", None)
    if subject is not None:
        _refuse_if_locked(subject)
    text = clean_text("text", text)
    if not text:
        raise FormValidationError({"text": ["the query needs a text"]})
    if field_name and field_name not in _field_names(target):
        raise FormValidationError({"field_name": [f"no field {field_name!r} on this form"]})
    if isinstance(target, FormRecord) and target.withdrawn:
        raise InvalidStateError("the record is withdrawn")
    return _new_query(target, field_name or "", text, user)


def _get_query_for_update(query: Query) -> Query:
    q = Query.objects.select_for_update().get(pk=query.pk)
    subject = _query_subject(q)
    if subject is not None:
        _refuse_if_locked(subject)
    return q


@transaction.atomic
def answer_query(user: Any, query: Query, answer: str) -> Query:
    """Answer an open query (site staff)."""
    require(user, "answer_query", query)
    q = _get_query_for_update(query)
    if q.status != QueryStatus.OPEN:
        raise InvalidStateError(f"query {q.pk} is {q.status}; only open queries can be answered")
    answer = clean_text("answer", answer)
    if not answer:
        raise FormValidationError({"answer": ["the answer needs a text"]})
    q.status = QueryStatus.ANSWERED
    q.answer = answer
    q.answered_by = user
    q.answered_at = timezone.now()
    _save(q, user, "query answered")
    return q


@transaction.atomic
def close_query(user: Any, query: Query, note: str = "") -> Query:
    """Close an open or answered query (monitor or data manager)."""
    require(user, "close_query", query)
    q = _get_query_for_update(query)
    if q.status == QueryStatus.CLOSED:
        raise InvalidStateError(f"query {q.pk} is already closed")
    _close(q, user, clean_text("note", note) or "query closed", by=user)
    return q


@transaction.atomic
def reopen_query(user: Any, query: Query, text: str) -> Query:
    """Re-open an answered or closed query with a new question."""
    require(user, "raise_query", query)
    q = _get_query_for_update(query)
    if q.status == QueryStatus.OPEN:
        raise InvalidStateError(f"query {q.pk} is already open")
    text = clean_text("text", text)
    if not text:
        raise FormValidationError({"text": ["say why the query is re-opened"]})
    q.status = QueryStatus.OPEN
    q.text = text
    q.closed_by, q.closed_at, q.close_note = None, None, ""
    _save(q, user, "query re-opened")
    return q


def _sync_soft_queries(
    user: Any,
    target: FormRecord | ScreeningRecord,
    findings: Iterable[SoftFinding],
    keep_codes: Sequence[str] = (),
    new: bool = False,
    existing: list[Query] | None = None,
) -> list[Query]:
    """Open a query per new soft finding; close automatic queries whose finding has gone.

    A finding already queried with the same text (any status) is not raised again, so a value
    confirmed once does not re-open its query on every save.
    """
    findings = list(findings)
    if new and not findings:
        return []  # a record saved just now has no queries to close
    if existing is None:
        existing = (
            []
            if new
            else list(
                target.queries.exclude(check_code="").exclude(check_code__startswith="cross:")
            )
        )
    opened = []
    for f in findings:
        if any(q.check_code == f.check_code and q.text == f.message for q in existing):
            continue
        opened.append(_new_query(target, f.field, f.message, None, f.check_code, actor=user))
    current = {f.check_code for f in findings} | set(keep_codes)
    for q in existing:
        if q.status != QueryStatus.CLOSED and q.check_code not in current:
            _close(q, user, "resolved automatically: the data no longer trigger the check")
    return opened


#: The forms the cross-form checks and the derived-value queries read (marrow missing at a
#: response visit; MLFS cellularity; MRD not evaluable; a hepatic DLT without its AE, which
#: depends on the DLT window set by the treatment forms): saving another form cannot change
#: their findings, so it skips the sync.
CROSS_FORM_CODES = frozenset(
    {"haematology", "marrow", "mrd", "chemistry", "adverse_event", "talazoparib", "nk_infusion"}
)


def cross_form_findings(subject: Subject) -> list[tuple[FormRecord, SoftFinding]]:
    """Cross-form soft checks on a subject's records (e.g. counts without marrow at a
    response-assessment visit) and the data queries the derived values ask for (marrow
    cellularity for MLFS, MRD not evaluable); each finding is attached to the record it
    concerns. The records are read once and shared with the derivation (a save's budget)."""
    proto = get_protocol()
    loaded = list(records(subject))
    out: list[tuple[FormRecord, SoftFinding]] = []
    by_visit: dict[str, dict[str, FormRecord]] = {}
    for rec in loaded:
        by_visit.setdefault(rec.visit_code, {}).setdefault(rec.form_code, rec)
    baseline = proto.schedule.visits[0].code
    for v in planned_visits(subject.cohort, proto):
        if not (v.response_assessment or v.code == baseline):
            continue
        role = "baseline visit" if v.code == baseline else "response-assessment visit"
        forms = by_visit.get(v.code, {})
        if "haematology" in forms and "marrow" in v.forms and "marrow" not in forms:
            out.append(
                (
                    forms["haematology"],
                    SoftFinding(
                        "",
                        "cross:marrow_missing",
                        f"blood counts entered at {role} {v.code} but no "
                        "bone-marrow assessment: enter it or say why it was not done",
                    ),
                )
            )
    from nakip.edc.derivations import derive_subject  # derivations import this module

    by_pk = {rec.pk: rec for rec in loaded}
    # the data queries the clinical rules ask for
    for q in derive_subject(subject, proto, records=loaded).queries:
        if q.record_id in by_pk:
            out.append((by_pk[q.record_id], SoftFinding(q.field, f"cross:{q.code}", q.message)))
    return out


def _sync_cross_form_queries(
    user: Any, subject: Subject, existing: list[Query] | None = None
) -> list[Query]:
    findings = cross_form_findings(subject)
    if existing is None:
        existing = list(
            Query.objects.filter(record__subject=subject, check_code__startswith="cross:")
        )
    opened = []
    for rec, f in findings:
        if any(q.record_id == rec.pk and q.check_code == f.check_code for q in existing):
            continue
        opened.append(_new_query(rec, f.field, f.message, None, f.check_code, actor=user))
    live = {(rec.pk, f.check_code) for rec, f in findings}
    for q in existing:
        if q.status != QueryStatus.CLOSED and (q.record_id, q.check_code) not in live:
            _close(q, user, "resolved automatically: the data no longer trigger the check")
    return opened


def unresolved_queries(subject: Subject) -> QuerySet[Query]:
    """Open or answered queries on a subject's records and its screening record."""
    from django.db.models import Q

    return Query.objects.filter(
        Q(record__subject=subject) | Q(screening=subject.screening)
    ).exclude(status=QueryStatus.CLOSED)


# =========================================================================== signature, lock
def _invalidate_signatures(subject: Subject, user: Any, why: str) -> None:
    if subject.__dict__.get("signed_now") is False:
        return  # known from _locked_subject: nothing to invalidate
    for sig in Signature.objects.filter(subject=subject, invalidated_at__isnull=True):
        sig.invalidated_at = timezone.now()
        sig.invalidated_reason = why
        _save(sig, user, f"signature invalidated: {why}")


def current_signature(subject: Subject) -> Signature | None:
    """The latest signature still valid (no data changed since), or None."""
    return (
        Signature.objects.filter(subject=subject, invalidated_at__isnull=True)
        .order_by("-id")
        .first()
    )


def _set_record_status(subject: Subject, status: str, user: Any, why: str) -> None:
    for rec in FormRecord.objects.filter(subject=subject, withdrawn=False).exclude(status=status):
        rec.status = status
        _save(rec, user, why)


def sign_casebook(
    user: Any,
    subject: Subject,
    password: str,
    statement: str = SIGNATURE_STATEMENT,
    request: Any = None,
    precondition: Callable[[], str] | None = None,
) -> Signature:
    """The investigator signs the subject's casebook, re-entering their password.

    A wrong password is written to the audit trail (SignatureFailure) and, with the `request`,
    counted as a failed login by django-axes: signing locks with login (see reauthentication).
    The failure is committed even though the signature is refused, so callers must not wrap
    this call in a transaction they roll back.
    """
    require(user, "sign", subject)
    reauthentication.refuse_if_locked_out(user, request)
    try:
        reauthentication.verify_password(user, password)
    except InvalidPasswordError:
        locked = reauthentication.count_failure(user, request)
        with transaction.atomic():
            failure = SignatureFailure(
                subject=subject,
                user=user,
                client_ip=reauthentication.client_ip(request),
                locked_out=locked,
            )
            _save(failure, user, "e-signature refused: wrong password")
        if locked:
            raise SigningLockedError(reauthentication.cooloff_seconds()) from None
        raise
    # after the password, so a wrong one is always counted; its note joins the audit trail
    audit_note = precondition() if precondition is not None else ""
    return _sign(user, subject, statement, audit_note)


@transaction.atomic
def _sign(user: Any, subject: Subject, statement: str, audit_note: str = "") -> Signature:
    subject = _locked_subject(subject)
    _refuse_if_locked(subject)
    sig = Signature(subject=subject, signed_by=user, statement=statement)
    _save(sig, user, "; ".join(filter(None, ["casebook signed", audit_note])))
    _set_record_status(subject, RecordStatus.SIGNED, user, f"casebook signed by {_display(user)}")
    return sig


def _lock_one(user: Any, subject: Subject, reason: str, cohort: str = "") -> Lock:
    _refuse_if_locked(subject)
    n = unresolved_queries(subject).count()
    if n:
        raise OpenQueriesError(
            f"subject {subject.subject_number} has {n} unresolved quer"
            + ("y" if n == 1 else "ies")
            + "; close them before locking"
        )
    reason = clean_text("reason", reason)
    lock = Lock(subject=subject, cohort=cohort, locked_by=user, reason=reason)
    _save(lock, user, reason or "locked")
    _set_record_status(subject, RecordStatus.LOCKED, user, "subject locked")
    return lock


@transaction.atomic
def lock_subject(user: Any, subject: Subject, reason: str = "") -> Lock:
    """Lock a subject's data (data manager); refused while queries are unresolved."""
    require(user, "lock", subject)
    subject = _locked_subject(subject)
    return _lock_one(user, subject, reason)


@transaction.atomic
def lock_cohort(user: Any, cohort: str, reason: str = "") -> list[Lock]:
    """Lock every not-yet-locked subject of a cohort the user may lock; all or nothing."""
    try:
        get_protocol().cohort(cohort)
    except KeyError as exc:
        raise NotFoundError(str(exc.args[0])) from None
    subjects = list(
        permissions.visible_subjects(user, "lock")
        .filter(cohort=cohort)
        .select_for_update()
        .order_by("subject_number")
    )
    if not subjects:
        require(user, "lock")  # a clearer 403 for users with no lock right at all
    todo = [s for s in subjects if not s.is_locked]
    blocked = [s.subject_number for s in todo if unresolved_queries(s).exists()]
    if blocked:
        raise OpenQueriesError(
            f"cohort {cohort} cannot be locked: unresolved queries for {', '.join(blocked)}"
        )
    return [_lock_one(user, s, reason or f"cohort {cohort} locked", cohort) for s in todo]


@transaction.atomic
def unlock_subject(user: Any, subject: Subject, reason: str) -> Lock:
    """Lift a subject's lock (reason required); records go back to signed or entered."""
    require(user, "lock", subject)
    subject = _locked_subject(subject)
    reason = _need_reason(reason)
    lock = Lock.objects.filter(subject=subject, unlocked_at__isnull=True).first()
    if lock is None:
        raise InvalidStateError(f"subject {subject.subject_number} is not locked")
    lock.unlocked_by, lock.unlocked_at, lock.unlock_reason = user, timezone.now(), reason
    _save(lock, user, reason)
    status = RecordStatus.SIGNED if current_signature(subject) else RecordStatus.ENTERED
    _set_record_status(subject, status, user, f"subject unlocked: {reason}")
    return lock


@transaction.atomic
def unlock_cohort(user: Any, cohort: str, reason: str) -> list[Lock]:
    """Unlock every locked subject of the cohort the user may lock (reason required).

    The permission is checked before anything else; an unknown cohort is NotFoundError."""
    require(user, "lock")
    try:
        get_protocol().cohort(cohort)
    except KeyError as exc:
        raise NotFoundError(str(exc.args[0])) from None
    reason = _need_reason(reason)
    subjects = permissions.visible_subjects(user, "lock").filter(cohort=cohort)
    return [unlock_subject(user, s, reason) for s in subjects if s.is_locked]
