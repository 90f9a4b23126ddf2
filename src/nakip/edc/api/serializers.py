"""Serializers of the API: input validation (types only; the clinical edit checks stay in the
services) and the JSON shape of screening records, subjects, form records and queries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from nakip.edc.models import FormRecord, Query, ScreeningRecord, Signature, Subject
from nakip.edc.services import MAX_REASON_LENGTH

#: Magnitude above which a submitted number is refused before the edit checks see it.
MAX_NUMBER = 1e15
MAX_TEXT = 20_000


def _check_json_value(value: Any, path: str, depth: int = 0) -> None:
    if depth > 4:
        raise serializers.ValidationError(f"{path}: nested too deeply")
    if isinstance(value, str):
        if "\x00" in value:
            raise serializers.ValidationError(f"{path}: NUL characters are not allowed")
        if len(value) > MAX_TEXT:
            raise serializers.ValidationError(f"{path}: at most {MAX_TEXT} characters")
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        if abs(value) > MAX_NUMBER:
            raise serializers.ValidationError(f"{path}: number out of range")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _check_json_value(v, f"{path}.{k}", depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_json_value(v, f"{path}[{i}]", depth + 1)


class ValuesField(serializers.DictField):
    """A form's values: a JSON object of field name -> value (types checked by the services)."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("help_text", "field name -> value, as in GET /api/forms/{code}/")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        for k, v in value.items():
            if "\x00" in k:
                raise serializers.ValidationError("field names may not contain NUL characters")
            _check_json_value(v, k)
        return value


class StrictCharField(serializers.CharField):
    """A CharField that takes only JSON strings (DRF would turn `0` or `true` into text)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def Text(**kwargs: Any) -> serializers.CharField:  # noqa: N802 - reads like a field class
    """A string field with the API's length limit (reasons, query texts and answers: the
    services' MAX_REASON_LENGTH, refused above it and never cut)."""
    kwargs.setdefault("max_length", MAX_REASON_LENGTH)
    return StrictCharField(**kwargs)


def Version() -> serializers.IntegerField:  # noqa: N802
    """The version the client last read (optimistic locking)."""
    return serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        help_text="the version you read; a newer version on the server gives 409",
    )


# --------------------------------------------------------------------------- input
class ScreeningCreateIn(serializers.Serializer):
    site = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$",
        required=False,
        help_text="site code; may be left out when you enter data at one site only",
    )
    consent_date = serializers.DateField()
    values = ValuesField(required=False, default=dict)


class ScreeningUpdateIn(serializers.Serializer):
    values = ValuesField(required=False, default=dict)
    consent_date = serializers.DateField(required=False)
    reason = Text(help_text="reason for change (required)")
    version = Version()
    partial = serializers.BooleanField(
        default=True, help_text="true: merge values into the stored ones; false: replace them"
    )


class EnrolIn(serializers.Serializer):
    enrolment_date = serializers.DateField(help_text="study day 1 (first talazoparib dose)")


class ScreenFailureIn(serializers.Serializer):
    reasons = serializers.ListField(
        child=Text(max_length=2000), required=False, default=list, max_length=50
    )
    failure_date = serializers.DateField(required=False)


class RecordCreateIn(serializers.Serializer):
    form_code = serializers.RegexField(r"^[a-z][a-z0-9_]{0,31}$")
    visit_code = serializers.RegexField(
        r"^[A-Za-z0-9_-]{0,16}$", required=False, allow_blank=True, default=""
    )
    values = ValuesField()


class AdverseEventIn(serializers.Serializer):
    visit_code = serializers.RegexField(
        r"^[A-Za-z0-9_-]{0,16}$", required=False, allow_blank=True, default=""
    )
    values = ValuesField()


class RecordUpdateIn(serializers.Serializer):
    values = ValuesField()
    reason = Text(help_text="reason for change (required)")
    version = Version()
    partial = serializers.BooleanField(
        default=True, help_text="true: merge values into the stored ones; false: replace them"
    )


class WithdrawIn(serializers.Serializer):
    reason = Text()
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)


class QueryCreateIn(serializers.Serializer):
    record = serializers.IntegerField(min_value=1, max_value=2**62, required=False)
    screening = serializers.IntegerField(min_value=1, max_value=2**62, required=False)
    field_name = serializers.RegexField(
        r"^[a-z][a-z0-9_]{0,63}$", required=False, allow_blank=True, default=""
    )
    text = Text()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("record" in attrs) == ("screening" in attrs):
            raise serializers.ValidationError("give exactly one of record and screening")
        return attrs


class AnswerIn(serializers.Serializer):
    answer = Text()


class CloseIn(serializers.Serializer):
    note = Text(required=False, allow_blank=True, default="")


class ReopenIn(serializers.Serializer):
    text = Text()


class SignIn(serializers.Serializer):
    password = StrictCharField(
        trim_whitespace=False, max_length=4096, style={"input_type": "password"}
    )
    override_reason = Text(required=False, allow_blank=True, default="")


class LockIn(serializers.Serializer):
    reason = Text(required=False, allow_blank=True, default="")
    override_reason = Text(required=False, allow_blank=True, default="")


class UnlockIn(serializers.Serializer):
    reason = Text()


class ReasonIn(serializers.Serializer):
    reason = Text()


class NoBodyIn(serializers.Serializer):
    """An action without arguments: the body, if any, must still be a well-formed JSON object."""


class CohortLockOut(serializers.Serializer):
    cohort = serializers.CharField()
    locked = serializers.ListField(child=serializers.CharField(), required=False)
    unlocked = serializers.ListField(child=serializers.CharField(), required=False)


# --------------------------------------------------------------------------- output
def _username(user: Any) -> str | None:
    return getattr(user, "username", None) if user is not None else None


class ScreeningOut(serializers.ModelSerializer):
    site = serializers.CharField(source="site.code")
    subject_number = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    updated_by = serializers.SerializerMethodField()

    class Meta:
        model = ScreeningRecord
        fields = [
            "id", "screening_number", "site", "consent_date", "form_version", "values",
            "eligibility_status", "eligibility_cohort", "eligibility", "outcome", "outcome_date",
            "screen_failure_reasons", "version", "subject_number", "created_by", "created_at",
            "updated_by", "updated_at",
        ]  # fmt: skip

    def get_subject_number(self, obj: ScreeningRecord) -> str | None:
        subject = getattr(obj, "subject", None) if obj.outcome == "enrolled" else None
        return subject.subject_number if subject is not None else None

    def get_created_by(self, obj: ScreeningRecord) -> str | None:
        return _username(obj.created_by)

    def get_updated_by(self, obj: ScreeningRecord) -> str | None:
        return _username(obj.updated_by)


class SignatureOut(serializers.ModelSerializer):
    signed_by = serializers.CharField(source="signed_by.username")

    class Meta:
        model = Signature
        fields = ["id", "signed_by", "signed_at", "statement", "invalidated_at"]


class SubjectOut(serializers.ModelSerializer):
    site = serializers.CharField(source="site.code")
    screening_id = serializers.IntegerField()
    screening_number = serializers.CharField(source="screening.screening_number")
    locked = serializers.BooleanField(source="is_locked")

    class Meta:
        model = Subject
        fields = [
            "subject_number", "site", "cohort", "enrolment_date", "screening_id",
            "screening_number", "locked", "created_at",
        ]  # fmt: skip


class RecordOut(serializers.ModelSerializer):
    status = serializers.CharField(help_text="entered | signed | locked")
    subject_number = serializers.CharField(source="subject.subject_number")
    created_by = serializers.SerializerMethodField()
    updated_by = serializers.SerializerMethodField()
    sdv_by = serializers.SerializerMethodField()

    class Meta:
        model = FormRecord
        fields = [
            "id", "subject_number", "visit_code", "form_code", "form_version", "values",
            "version", "status", "withdrawn", "withdrawn_reason", "sdv_by", "sdv_at",
            "created_by", "created_at", "updated_by", "updated_at",
        ]  # fmt: skip

    def get_created_by(self, obj: FormRecord) -> str | None:
        return _username(obj.created_by)

    def get_updated_by(self, obj: FormRecord) -> str | None:
        return _username(obj.updated_by)

    def get_sdv_by(self, obj: FormRecord) -> str | None:
        return _username(obj.sdv_by)


class QueryOut(serializers.ModelSerializer):
    status = serializers.CharField(help_text="open | answered | closed")
    site = serializers.SerializerMethodField()
    subject_number = serializers.SerializerMethodField()
    form_code = serializers.SerializerMethodField()
    raised_by = serializers.SerializerMethodField(help_text="null: raised by an edit check")
    answered_by = serializers.SerializerMethodField()
    closed_by = serializers.SerializerMethodField(help_text="null when closed automatically")

    class Meta:
        model = Query
        fields = [
            "id", "record", "screening", "site", "subject_number", "form_code", "field_name",
            "text", "status", "check_code", "raised_by", "raised_at", "answer", "answered_by",
            "answered_at", "closed_by", "closed_at", "close_note",
        ]  # fmt: skip

    def get_site(self, obj: Query) -> str:
        return obj.record.subject.site.code if obj.record_id else obj.screening.site.code

    def get_subject_number(self, obj: Query) -> str | None:
        if obj.record_id:
            return obj.record.subject.subject_number
        subject = getattr(obj.screening, "subject", None)
        return subject.subject_number if subject is not None else None

    def get_form_code(self, obj: Query) -> str:
        return obj.record.form_code if obj.record_id else "screening"

    def get_raised_by(self, obj: Query) -> str | None:
        return _username(obj.raised_by)

    def get_answered_by(self, obj: Query) -> str | None:
        return _username(obj.answered_by)

    def get_closed_by(self, obj: Query) -> str | None:
        return _username(obj.closed_by)


class RecordSaveOut(RecordOut):
    """A saved record with the queries the soft edit checks opened on this save."""

    opened_queries = QueryOut(many=True, read_only=True)

    class Meta(RecordOut.Meta):
        fields = [*RecordOut.Meta.fields, "opened_queries"]


class RecordDetailOut(RecordOut):
    queries = QueryOut(many=True, read_only=True)

    class Meta(RecordOut.Meta):
        fields = [*RecordOut.Meta.fields, "queries"]


class DLTOut(serializers.Serializer):
    is_dlt = serializers.BooleanField(allow_null=True)
    in_window = serializers.BooleanField(allow_null=True)
    rule = serializers.CharField()


class AdverseEventOut(RecordOut):
    """An adverse-event record with its derived DLT verdict (None before the DLT window)."""

    dlt = serializers.SerializerMethodField()

    class Meta(RecordOut.Meta):
        fields = [*RecordOut.Meta.fields, "dlt"]

    def get_dlt(self, obj: FormRecord) -> dict[str, Any] | None:
        by_id = self.context.get("dlt", {})
        return by_id.get(obj.pk)


class VisitStateOut(serializers.Serializer):
    """A visit of the subject's schedule with its dates and computed status."""

    code = serializers.CharField()
    name = serializers.CharField()
    day = serializers.IntegerField()
    window_before = serializers.IntegerField()
    window_after = serializers.IntegerField()
    forms = serializers.ListField(child=serializers.CharField())
    response_assessment = serializers.BooleanField()
    follow_up = serializers.BooleanField()
    expected_forms = serializers.ListField(child=serializers.CharField())
    target_date = serializers.DateField()
    window_start = serializers.DateField()
    window_end = serializers.DateField()
    status = serializers.CharField()
    forms_entered = serializers.ListField(child=serializers.CharField())
    forms_missing = serializers.ListField(child=serializers.CharField())
    missed_reason = serializers.CharField(allow_blank=True)


class FieldChangeOut(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class AuditEntryOut(serializers.Serializer):
    """One history row of the audit trail with its field-level changes."""

    model = serializers.CharField()
    object_id = serializers.IntegerField()
    object = serializers.CharField()
    when = serializers.DateTimeField()
    user = serializers.CharField()
    action = serializers.CharField(help_text="created | changed | deleted")
    reason = serializers.CharField(allow_blank=True)
    changes = FieldChangeOut(many=True)


#: OpenAPI shape of a form definition (the protocol's pydantic model, dumped as JSON).
FORM_SCHEMA = {
    "type": "object",
    "required": ["code", "version", "title", "fields"],
    "properties": {
        "code": {"type": "string"},
        "version": {"type": "integer"},
        "title": {"type": "string"},
        "repeating": {"type": "boolean"},
        "fields": {"type": "array", "items": {"type": "object"}},
    },
}
FORM_LIST_SCHEMA = {"type": "array", "items": FORM_SCHEMA}
