"""Database models of the EDC: sites, roles, screening, subjects, form records, queries,
signatures, locks and missed visits. Every model keeps a full history (django-simple-history);
nothing is ever deleted (withdrawal marks a record). Write through `nakip.edc.services` only.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from simple_history.models import HistoricalRecords

from nakip.edc.text_safety import RepairingJSONDecoder

USER = settings.AUTH_USER_MODEL
#: The fields of the abstract audit bases below, in their order.
AUDIT_FIELDS = ("created_by", "created_at", "updated_by", "updated_at")


class CreatedAudit(models.Model):
    """Who created a row and when: the audit fields every entered object carries (the
    history rows keep each later change; clinicedc's BaseUuidModel has the same idea)."""

    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class ChangeAudit(CreatedAudit):
    """CreatedAudit plus who changed the row last and when (records corrected in place)."""

    updated_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Role(models.TextChoices):
    """Roles a user holds at a site (or at every site when the membership has no site)."""

    INVESTIGATOR = "investigator", "Investigator"
    STUDY_NURSE = "study_nurse", "Study nurse (data entry)"
    MONITOR = "monitor", "Monitor"
    DATA_MANAGER = "data_manager", "Data manager"
    STATISTICIAN = "statistician", "Statistician"
    DSMB = "dsmb", "DSMB member"
    ADMIN = "admin", "Administrator"


class Site(models.Model):
    """A trial site; subjects belong to the site that screened them."""

    code = models.CharField(
        max_length=16,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9_-]{0,15}$", "upper-case letters, digits")],
    )
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Membership(models.Model):
    """A user's role at one site; `site` empty means the role applies at every site."""

    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="memberships")
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="memberships", null=True, blank=True
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "site", "role"], name="membership_unique_site_role"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(site__isnull=True),
                name="membership_unique_trialwide_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} @ {self.site.code if self.site else 'all sites'}"


class ScreeningOutcome(models.TextChoices):
    SCREENING = "screening", "In screening"
    ENROLLED = "enrolled", "Enrolled"
    SCREEN_FAILED = "screen_failed", "Screen failure"


class EligibilityStatus(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"
    UNDETERMINED = "undetermined", "Undetermined"


class ScreeningRecord(ChangeAudit):
    """A screened patient: consent, the `screening` form values and the eligibility verdict."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="screenings")
    screening_number = models.CharField(max_length=32, unique=True)
    consent_date = models.DateField()
    form_version = models.PositiveIntegerField()
    values = models.JSONField(default=dict, blank=True, decoder=RepairingJSONDecoder)
    eligibility_status = models.CharField(
        max_length=16, choices=EligibilityStatus.choices, default=EligibilityStatus.UNDETERMINED
    )
    eligibility_cohort = models.CharField(max_length=16, blank=True, default="")
    eligibility = models.JSONField(default=dict, blank=True, decoder=RepairingJSONDecoder)
    outcome = models.CharField(
        max_length=16, choices=ScreeningOutcome.choices, default=ScreeningOutcome.SCREENING
    )
    outcome_date = models.DateField(null=True, blank=True)
    screen_failure_reasons = models.JSONField(
        default=list, blank=True, decoder=RepairingJSONDecoder
    )
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["screening_number"]

    def __str__(self) -> str:
        return self.screening_number


class SubjectSequence(models.Model):
    """Last subject sequence number used per cohort (row-locked while numbering a subject)."""

    cohort = models.CharField(max_length=16, primary_key=True)
    last = models.PositiveIntegerField(default=0)


#: The form whose active record takes a subject off study.
END_OF_STUDY_FORM = "end_of_study"


def study_state(locked: bool, ended: bool) -> str:
    """A subject's study state for lists and listings: locked, off study (an active
    end-of-study record) or on study; the one rule every page and listing reads."""
    if locked:
        return "locked"
    return "off study" if ended else "on study"


class SubjectQuerySet(models.QuerySet):
    """Subjects with their state computed in the same query (no query per listed subject)."""

    def with_lock_state(self) -> SubjectQuerySet:
        """Annotated with `locked_now` (an active lock exists), read by Subject.is_locked."""
        active = Lock.objects.filter(subject=OuterRef("pk"), unlocked_at__isnull=True)
        return self.annotate(locked_now=Exists(active))

    def with_state(self) -> SubjectQuerySet:
        """Annotated with `locked_now` and `ended_now` (an active end-of-study record), read by
        Subject.is_locked, Subject.is_ended and Subject.state."""
        ended = FormRecord.objects.filter(
            subject=OuterRef("pk"), form_code=END_OF_STUDY_FORM, withdrawn=False
        )
        return self.with_lock_state().annotate(ended_now=Exists(ended))


class Subject(CreatedAudit):
    """An enrolled subject; study day 1 is `enrolment_date` (first talazoparib dose)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="subjects")
    screening = models.OneToOneField(
        ScreeningRecord, on_delete=models.PROTECT, related_name="subject"
    )
    cohort = models.CharField(max_length=16)
    sequence = models.PositiveIntegerField()
    subject_number = models.CharField(max_length=16, unique=True)
    enrolment_date = models.DateField()
    history = HistoricalRecords()
    objects = SubjectQuerySet.as_manager()

    class Meta:
        ordering = ["subject_number"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "sequence"], name="subject_unique_sequence")
        ]

    def __str__(self) -> str:
        return self.subject_number

    @property
    def is_locked(self) -> bool:
        """True while an active lock exists (all writes refused); read from the `locked_now`
        annotation of `with_lock_state` when present, so lists need no query per subject."""
        annotated = self.__dict__.get("locked_now")
        if annotated is not None:
            return bool(annotated)
        return self.locks.filter(unlocked_at__isnull=True).exists()

    @property
    def is_ended(self) -> bool:
        """True once an active end-of-study record exists (read from `with_state` if there)."""
        annotated = self.__dict__.get("ended_now")
        if annotated is not None:
            return bool(annotated)
        return self.records.filter(form_code=END_OF_STUDY_FORM, withdrawn=False).exists()

    @property
    def state(self) -> str:
        """Study state (study_state): locked, off study or on study."""
        return study_state(self.is_locked, self.is_ended)


class RecordStatus(models.TextChoices):
    ENTERED = "entered", "Entered"
    SIGNED = "signed", "Signed"
    LOCKED = "locked", "Locked"


class FormRecord(ChangeAudit):
    """One filled case report form: validated `values` against (form_code, form_version).

    `version` increments on every change (optimistic locking); `visit_code` is "" for forms
    not tied to a visit (adverse events, end of study, unscheduled CRS/ICANS episodes).
    """

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="records")
    visit_code = models.CharField(max_length=16, blank=True, default="")
    form_code = models.CharField(max_length=32)
    form_version = models.PositiveIntegerField()
    values = models.JSONField(default=dict, blank=True, decoder=RepairingJSONDecoder)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=RecordStatus.choices, default=RecordStatus.ENTERED
    )
    withdrawn = models.BooleanField(default=False)
    withdrawn_reason = models.TextField(blank=True, default="")
    sdv_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    sdv_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["subject_id", "id"]
        indexes = [
            models.Index(fields=["subject", "form_code"], name="record_subject_form"),
            models.Index(fields=["subject", "visit_code"], name="record_subject_visit"),
            # trial-wide lists: recent adverse events, datasets by form
            models.Index(fields=["form_code", "withdrawn"], name="record_form_withdrawn"),
        ]

    def __str__(self) -> str:
        where = f" {self.visit_code}" if self.visit_code else ""
        return f"{self.subject_id}{where} {self.form_code} v{self.form_version} #{self.pk}"


class QueryStatus(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


class Query(models.Model):
    """A data query on a field of a form record or screening record (open/answered/closed).

    `check_code` is set for queries opened automatically by a soft edit check; such a query is
    closed automatically when the data no longer trigger the check.
    """

    record = models.ForeignKey(
        FormRecord, on_delete=models.PROTECT, related_name="queries", null=True, blank=True
    )
    screening = models.ForeignKey(
        ScreeningRecord, on_delete=models.PROTECT, related_name="queries", null=True, blank=True
    )
    field_name = models.CharField(max_length=64, blank=True, default="")
    text = models.TextField()
    status = models.CharField(max_length=10, choices=QueryStatus.choices, default="open")
    check_code = models.CharField(max_length=64, blank=True, default="")
    raised_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(blank=True, default="")
    answered_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_note = models.TextField(blank=True, default="")
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "queries"
        indexes = [models.Index(fields=["status"], name="query_status")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(record__isnull=False) & Q(screening__isnull=True))
                | (Q(record__isnull=True) & Q(screening__isnull=False)),
                name="query_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"query {self.pk} ({self.status}) on {self.field_name or 'record'}"

    @property
    def site_id(self) -> int:
        """The site whose staff may see and answer this query."""
        return self.record.subject.site_id if self.record_id else self.screening.site_id


class Signature(models.Model):
    """An investigator's electronic signature of a subject's casebook (password re-entered).

    A later change to the subject's data invalidates it (`invalidated_at`).
    """

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="signatures")
    signed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)
    statement = models.TextField()
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalidated_reason = models.TextField(blank=True, default="")
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]


class SignatureFailure(models.Model):
    """A refused e-signature attempt (wrong password): kept for the audit trail of the casebook
    and counted, with failed logins, towards the account lockout (21 CFR 11.300(d))."""

    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="signature_failures"
    )
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    attempted_at = models.DateTimeField(auto_now_add=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    locked_out = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]


class Lock(models.Model):
    """A data lock on one subject; `cohort` is set when it came from a cohort-wide lock."""

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="locks")
    cohort = models.CharField(max_length=16, blank=True, default="")
    locked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    locked_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True, default="")
    unlocked_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlock_reason = models.TextField(blank=True, default="")
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject"],
                condition=Q(unlocked_at__isnull=True),
                name="lock_one_active_per_subject",
            )
        ]


class MissedVisit(models.Model):
    """A scheduled visit a user declared missed, with the reason (the only stored visit state)."""

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="missed_visits")
    visit_code = models.CharField(max_length=16)
    reason = models.TextField()
    marked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "visit_code"],
                condition=Q(active=True),
                name="missed_visit_one_active",
            )
        ]


class AccountAction(models.TextChoices):
    CREATED = "created", "Account created"
    ROLE_GRANTED = "role_granted", "Role granted"
    PASSWORD_RESET = "password_reset", "Password reset"
    DEACTIVATED = "deactivated", "Account deactivated"
    REACTIVATED = "reactivated", "Account reactivated"


class AccountEvent(models.Model):
    """One administrative change to a user account: who did what to whom, when and why.

    The auth user table has no history of its own (its password hash must never be copied into
    one), so account administration leaves these rows; memberships keep their own history.
    """

    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="account_events")
    action = models.CharField(max_length=20, choices=AccountAction.choices)
    detail = models.CharField(max_length=200, blank=True, default="")
    reason = models.TextField(blank=True, default="")
    actor = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class ReportStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class GeneratedReport(models.Model):
    """A DSMB report or export bundle generated from the /reports/ page (issue 9 §4): who asked,
    at which cut-off, the data fingerprint and code version, the kept file under the data dir."""

    kind = models.CharField(max_length=16)  # "dsmb" or an export format (csv, xpt, sdtm, odm)
    cutoff = models.DateField(null=True, blank=True)
    fingerprint = models.CharField(max_length=80, blank=True)
    code_version = models.CharField(max_length=80, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=8, choices=ReportStatus.choices, default=ReportStatus.RUNNING
    )
    file_path = models.CharField(max_length=500, blank=True)  # relative to the data dir
    error = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} report #{self.pk} ({self.status})"
