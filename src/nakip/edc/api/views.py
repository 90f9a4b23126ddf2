"""API views: each parses its input, finds the object among those the user may see, calls one
`nakip.edc.services` function (which checks the permission and writes), and serialises."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from django.db.models import Q
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.request import Request
from rest_framework.response import Response

from nakip.edc import audit, completeness, permissions, services
from nakip.edc.api import serializers as s
from nakip.edc.api.base import CSVCapableView, EDCAPIView
from nakip.edc.api.lookups import (
    query_for,
    query_queryset,
    record_for,
    screening_for,
    subject_for,
)
from nakip.edc.api.pagination import PAGE_PARAMETERS, paginated
from nakip.edc.datasets import DATASETS, CutoffError, build_dataset
from nakip.edc.derivations import derive_subject
from nakip.edc.exceptions import FormValidationError, NotFoundError
from nakip.edc.models import FormRecord, QueryStatus, ScreeningOutcome, Site, with_lock_state
from nakip.edc.whole_numbers import parse_whole_number

ERRORS = {
    400: OpenApiResponse(description='invalid input: {"error", "fields"}'),
    403: OpenApiResponse(description="your role does not allow this action"),
    404: OpenApiResponse(description="not found (or at a site you cannot see)"),
    409: OpenApiResponse(description="stale version, locked subject or wrong state"),
}
CSV_PARAM = OpenApiParameter(
    "format", str, enum=["json", "csv"], description="csv for a CSV download"
)
SITE_PARAM = OpenApiParameter("site", str, description="site code")


def _valid(serializer_class: type[drf_serializers.Serializer], request: Request) -> dict:
    ser = serializer_class(data=request.data)
    ser.is_valid(raise_exception=True)
    return dict(ser.validated_data)


_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def _site_param(request: Request) -> str | None:
    code = _code_param(request, "site")
    return code.upper() if code else None


def _choice_param(request: Request, name: str, choices: list[str]) -> str | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if value not in choices:
        raise FormValidationError({name: [f"expected one of: {', '.join(choices)}"]})
    return value


def _code_param(request: Request, name: str) -> str | None:
    """A code-like query parameter (site, cohort, form, visit, subject); None when absent."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if not _CODE.match(value):
        raise FormValidationError({name: ["not a valid code"]})
    return value


def _date_param(request: Request, name: str) -> date | None:
    """An ISO date query parameter (YYYY-MM-DD); None when absent."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise FormValidationError({name: ["expected a date as YYYY-MM-DD"]}) from None


def _csv(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _record_out(record: FormRecord, opened: Any = ()) -> dict[str, Any]:
    record.opened_queries = list(opened)
    return s.RecordSaveOut(record).data


# =========================================================================== screening
class ScreeningListView(EDCAPIView):
    """GET: screening records at your sites; POST: register a screened patient."""

    @extend_schema(
        summary="Screening records you may view",
        parameters=[
            SITE_PARAM,
            OpenApiParameter("outcome", str, enum=list(ScreeningOutcome.values)),
            *PAGE_PARAMETERS,
        ],
        responses={200: s.ScreeningOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = permissions.visible_screenings(request.user).select_related(
            "site", "subject", "created_by", "updated_by"
        )
        site = _site_param(request)
        if site:
            qs = qs.filter(site__code=site)
        outcome = _choice_param(request, "outcome", list(ScreeningOutcome.values))
        if outcome:
            qs = qs.filter(outcome=outcome)
        return paginated(
            request,
            qs.order_by("screening_number"),
            lambda page: s.ScreeningOut(page, many=True).data,
        )

    @extend_schema(
        summary="Register a screened patient (eligibility is evaluated at once)",
        request=s.ScreeningCreateIn,
        responses={201: s.ScreeningOut, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.ScreeningCreateIn, request)
        site = self._site(request.user, data.get("site"))
        scr = services.create_screening(request.user, site, data["consent_date"], data["values"])
        return Response(s.ScreeningOut(scr).data, status=201)

    @staticmethod
    def _site(user: Any, code: str | None) -> Site:
        if code:
            return services.get_site(code)
        sites = [
            x for x in Site.objects.filter(active=True) if permissions.can(user, "enter_data", x)
        ]
        if len(sites) == 1:
            return sites[0]
        raise FormValidationError({"site": ["say at which site (site code)"]})


class ScreeningDetailView(EDCAPIView):
    """GET one screening record; PATCH corrects it (reason + version)."""

    @extend_schema(summary="One screening record", responses={200: s.ScreeningOut, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.ScreeningOut(screening_for(request.user, pk)).data)

    @extend_schema(
        summary="Correct screening data (reason and the version you read are required)",
        request=s.ScreeningUpdateIn,
        responses={200: s.ScreeningOut, **ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        scr = screening_for(request.user, pk)
        data = _valid(s.ScreeningUpdateIn, request)
        scr = services.update_screening(
            request.user,
            scr,
            data["values"],
            data["reason"],
            data["version"],
            consent_date=data.get("consent_date"),
            partial=data["partial"],
        )
        return Response(s.ScreeningOut(scr).data)


class EnrolView(EDCAPIView):
    """POST: enrol the screened patient (eligibility re-checked)."""

    @extend_schema(
        summary="Enrol an eligible screened patient (cohort and subject number assigned)",
        request=s.EnrolIn,
        responses={201: s.SubjectOut, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        scr = screening_for(request.user, pk)
        data = _valid(s.EnrolIn, request)
        subject = services.enrol_subject(request.user, scr, data["enrolment_date"])
        return Response(s.SubjectOut(subject).data, status=201)


class ScreenFailureView(EDCAPIView):
    """POST: close the screening as a screen failure."""

    @extend_schema(
        summary="Close a screening as a screen failure (reasons default to eligibility's)",
        request=s.ScreenFailureIn,
        responses={200: s.ScreeningOut, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        scr = screening_for(request.user, pk)
        data = _valid(s.ScreenFailureIn, request)
        scr = services.record_screen_failure(
            request.user, scr, data["reasons"] or None, data.get("failure_date")
        )
        return Response(s.ScreeningOut(scr).data)


# =========================================================================== subjects
class SubjectListView(EDCAPIView):
    """GET: the subjects at your sites."""

    @extend_schema(
        summary="Subjects you may view",
        parameters=[SITE_PARAM, OpenApiParameter("cohort", str), *PAGE_PARAMETERS],
        responses={200: s.SubjectOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = with_lock_state(
            permissions.visible_subjects(request.user).select_related("site", "screening")
        )
        site = _site_param(request)
        if site:
            qs = qs.filter(site__code=site)
        cohort = _code_param(request, "cohort")
        if cohort:
            qs = qs.filter(cohort=cohort)
        return paginated(
            request, qs.order_by("subject_number"), lambda page: s.SubjectOut(page, many=True).data
        )


class SubjectDetailView(EDCAPIView):
    """GET: one subject with its lock, signature and open-query count."""

    @extend_schema(summary="One subject", responses={200: s.SubjectOut, **ERRORS})
    def get(self, request: Request, subject_number: str) -> Response:
        subject = subject_for(request.user, subject_number)
        data = dict(s.SubjectOut(subject).data)
        sig = services.current_signature(subject)
        data["signature"] = s.SignatureOut(sig).data if sig else None
        data["unresolved_queries"] = services.unresolved_queries(subject).count()
        return Response(data)


class SubjectVisitsView(EDCAPIView):
    """GET: the subject's visits with dates, windows and status."""

    @extend_schema(
        summary="The subject's visit schedule with each visit's computed status",
        responses={200: s.VisitStateOut(many=True), **ERRORS},
    )
    def get(self, request: Request, subject_number: str) -> Response:
        subject = subject_for(request.user, subject_number)
        return Response([v.to_dict() for v in services.subject_visits(subject)])


class MissedVisitView(EDCAPIView):
    """POST: declare a visit missed; DELETE: revoke the mark. A reason is required for both."""

    def _visit(self, request: Request, subject_number: str, visit_code: str) -> Any:
        if not re.fullmatch(r"[A-Z0-9_]{2,12}", visit_code):
            raise NotFoundError(f"unknown visit {visit_code!r}")
        return subject_for(request.user, subject_number), _valid(s.ReasonIn, request)

    @extend_schema(
        summary="Declare a scheduled visit missed (site staff; reason required)",
        request=s.ReasonIn,
        responses={200: s.VisitStateOut, **ERRORS},
    )
    def post(self, request: Request, subject_number: str, visit_code: str) -> Response:
        subject, data = self._visit(request, subject_number, visit_code)
        services.mark_visit_missed(request.user, subject, visit_code, data["reason"])
        return self._state(subject, visit_code)

    @extend_schema(
        summary="Revoke a visit's 'missed' mark (site staff; reason required)",
        request=s.ReasonIn,
        responses={200: s.VisitStateOut, **ERRORS},
    )
    def delete(self, request: Request, subject_number: str, visit_code: str) -> Response:
        subject, data = self._visit(request, subject_number, visit_code)
        services.unmark_visit_missed(request.user, subject, visit_code, data["reason"])
        return self._state(subject, visit_code)

    @staticmethod
    def _state(subject: Any, visit_code: str) -> Response:
        states = [v for v in services.subject_visits(subject) if v.visit.code == visit_code]
        return Response(states[0].to_dict())


class SubjectDerivedView(EDCAPIView):
    """GET: every value NAKIP derives for the subject."""

    @extend_schema(
        summary="Derived values: ELN 2022 responses, MRD, CTCAE grades, DLT, EFS/OS",
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request, subject_number: str) -> Response:
        subject = subject_for(request.user, subject_number)
        return Response(derive_subject(subject).to_dict())


class SubjectAuditView(CSVCapableView):
    """GET: the subject's audit trail (JSON, or CSV with ?format=csv)."""

    @extend_schema(
        summary="The subject's audit trail (CSV export needs the export_dataset right)",
        parameters=[CSV_PARAM, *PAGE_PARAMETERS],
        responses={200: s.AuditEntryOut(many=True), **ERRORS},
    )
    def get(self, request: Request, subject_number: str) -> Any:
        subject = subject_for(request.user, subject_number)
        entries = audit.subject_history(subject)
        if self.wants_csv(request):
            permissions.require(request.user, "export_dataset", subject)
            return _csv(audit.audit_csv(entries), f"audit-{subject.subject_number}.csv")
        return paginated(request, entries, lambda page: [e.to_dict() for e in page])


# =========================================================================== records
class SubjectRecordsView(EDCAPIView):
    """GET: the subject's form records; POST: enter a new one."""

    @extend_schema(
        summary="The subject's form records",
        parameters=[
            OpenApiParameter("form_code", str),
            OpenApiParameter("visit_code", str),
            OpenApiParameter("include_withdrawn", bool),
            *PAGE_PARAMETERS,
        ],
        responses={200: s.RecordOut(many=True), **ERRORS},
    )
    def get(self, request: Request, subject_number: str) -> Response:
        subject = subject_for(request.user, subject_number)
        withdrawn = request.query_params.get("include_withdrawn", "").lower() in {"1", "true"}
        qs = services.records(
            subject,
            form_code=_code_param(request, "form_code"),
            visit_code=_code_param(request, "visit_code"),
            include_withdrawn=withdrawn,
        ).select_related("subject", "created_by", "updated_by", "sdv_by")
        return paginated(request, qs, lambda page: s.RecordOut(page, many=True).data)

    @extend_schema(
        summary="Enter a form record (edit checks run; soft findings open queries)",
        request=s.RecordCreateIn,
        responses={201: s.RecordSaveOut, **ERRORS},
    )
    def post(self, request: Request, subject_number: str) -> Response:
        subject = subject_for(request.user, subject_number)
        data = _valid(s.RecordCreateIn, request)
        result = services.create_record(
            request.user, subject, data["form_code"], data["values"], data["visit_code"]
        )
        return Response(_record_out(result.record, result.opened_queries), status=201)


class RecordDetailView(EDCAPIView):
    """GET one form record; PATCH changes it (reason + version)."""

    @extend_schema(summary="One form record with its queries", responses={200: s.RecordDetailOut})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.RecordDetailOut(record_for(request.user, pk)).data)

    @extend_schema(
        summary="Change a record (reason and the version you read are required; stale -> 409)",
        request=s.RecordUpdateIn,
        responses={200: s.RecordSaveOut, **ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        rec = record_for(request.user, pk)
        data = _valid(s.RecordUpdateIn, request)
        result = services.update_record(
            request.user, rec, data["values"], data["reason"], data["version"], data["partial"]
        )
        return Response(_record_out(result.record, result.opened_queries))


class WithdrawView(EDCAPIView):
    """POST: withdraw a record entered in error."""

    @extend_schema(
        summary="Withdraw a record entered in error (kept, with its history)",
        request=s.WithdrawIn,
        responses={200: s.RecordOut, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        rec = record_for(request.user, pk)
        data = _valid(s.WithdrawIn, request)
        services.withdraw_record(request.user, rec, data["reason"], data.get("version"))
        return Response(s.RecordOut(record_for(request.user, pk)).data)


class SDVView(EDCAPIView):
    """POST: record source-data verification of a record."""

    @extend_schema(
        summary="Source-data verification of a record (monitor); a later change clears it",
        request=None,
        responses={200: s.RecordOut, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        rec = record_for(request.user, pk)
        _valid(s.NoBodyIn, request)
        services.mark_sdv(request.user, rec)
        return Response(s.RecordOut(record_for(request.user, pk)).data)


def _dlt_by_record(subject: Any) -> dict[int, dict[str, Any]]:
    derived = derive_subject(subject)
    return {
        a.record_id: {"is_dlt": a.is_dlt, "in_window": a.in_window, "rule": a.rule}
        for a in derived.adverse_events
    }


class AdverseEventsView(EDCAPIView):
    """GET: the subject's adverse events with DLT verdicts; POST: report one."""

    @extend_schema(
        summary="The subject's adverse events with their derived DLT verdict",
        parameters=PAGE_PARAMETERS,
        responses={200: s.AdverseEventOut(many=True), **ERRORS},
    )
    def get(self, request: Request, subject_number: str) -> Response:
        subject = subject_for(request.user, subject_number)
        qs = services.records(subject, form_code="adverse_event").select_related(
            "subject", "created_by", "updated_by", "sdv_by"
        )
        ctx = {"dlt": _dlt_by_record(subject)}
        return paginated(
            request, qs, lambda page: s.AdverseEventOut(page, many=True, context=ctx).data
        )

    @extend_schema(
        summary="Report an adverse event (form adverse_event)",
        request=s.AdverseEventIn,
        responses={201: s.AdverseEventOut, **ERRORS},
    )
    def post(self, request: Request, subject_number: str) -> Response:
        subject = subject_for(request.user, subject_number)
        data = _valid(s.AdverseEventIn, request)
        result = services.create_record(
            request.user, subject, "adverse_event", data["values"], data["visit_code"]
        )
        ctx = {"dlt": _dlt_by_record(subject)}
        return Response(s.AdverseEventOut(result.record, context=ctx).data, status=201)


# =========================================================================== queries
class QueryListView(EDCAPIView):
    """GET: the query inbox; POST: raise a query."""

    @extend_schema(
        summary="Query inbox: queries you may view",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=[*QueryStatus.values, "unresolved"],
                description="unresolved = open or answered",
            ),  # fmt: skip
            SITE_PARAM,
            OpenApiParameter("subject", str, description="subject number"),
            *PAGE_PARAMETERS,
        ],
        responses={200: s.QueryOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = query_queryset(request.user)
        status = _choice_param(request, "status", [*QueryStatus.values, "unresolved"])
        if status == "unresolved":
            qs = qs.exclude(status=QueryStatus.CLOSED)
        elif status:
            qs = qs.filter(status=status)
        site = _site_param(request)
        if site:
            qs = qs.filter(Q(record__subject__site__code=site) | Q(screening__site__code=site))
        number = _code_param(request, "subject")
        if number:
            qs = qs.filter(
                Q(record__subject__subject_number=number)
                | Q(screening__subject__subject_number=number)
            )
        return paginated(request, qs.order_by("id"), lambda page: s.QueryOut(page, many=True).data)

    @extend_schema(
        summary="Raise a query on a record or a screening record (field_name '' = whole record)",
        request=s.QueryCreateIn,
        responses={201: s.QueryOut, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.QueryCreateIn, request)
        if "record" in data:
            target: Any = record_for(request.user, data["record"])
        else:
            target = screening_for(request.user, data["screening"])
        q = services.raise_query(request.user, target, data["field_name"], data["text"])
        return Response(s.QueryOut(query_for(request.user, q.pk)).data, status=201)


class _QueryAction(EDCAPIView):
    """A POST that changes a query's state through one service function."""

    input_class: type[drf_serializers.Serializer]
    act: Callable[[Any, Any, dict[str, Any]], Any]  # the service call, set by each subclass

    def post(self, request: Request, pk: int) -> Response:
        q = query_for(request.user, pk)
        data = _valid(self.input_class, request)
        self.act(request.user, q, data)
        return Response(s.QueryOut(query_for(request.user, pk)).data)


@extend_schema(
    summary="Answer an open query (site staff)",
    request=s.AnswerIn,
    responses={200: s.QueryOut, **ERRORS},
)
class QueryAnswerView(_QueryAction):
    """POST: answer an open query."""

    input_class = s.AnswerIn

    @staticmethod
    def act(user: Any, query: Any, data: dict[str, Any]) -> Any:
        return services.answer_query(user, query, data["answer"])


@extend_schema(
    summary="Close an open or answered query (monitor, data manager)",
    request=s.CloseIn,
    responses={200: s.QueryOut, **ERRORS},
)
class QueryCloseView(_QueryAction):
    """POST: close a query."""

    input_class = s.CloseIn

    @staticmethod
    def act(user: Any, query: Any, data: dict[str, Any]) -> Any:
        return services.close_query(user, query, data["note"])


@extend_schema(
    summary="Re-open an answered or closed query with a new question",
    request=s.ReopenIn,
    responses={200: s.QueryOut, **ERRORS},
)
class QueryReopenView(_QueryAction):
    """POST: re-open a query."""

    input_class = s.ReopenIn

    @staticmethod
    def act(user: Any, query: Any, data: dict[str, Any]) -> Any:
        return services.reopen_query(user, query, data["text"])


# =========================================================================== sign and lock
class SignView(EDCAPIView):
    """POST: the investigator's electronic signature of the casebook.

    A refused signature is not rolled back with the request: it stays in the audit trail and
    counts towards the lockout (see services.sign_casebook).
    """

    atomic_request = False

    @extend_schema(
        summary="Sign the subject's casebook (investigator; password re-entered; 409 with the "
        "completeness findings unless override_reason is given)",
        request=s.SignIn,
        responses={201: s.SignatureOut, **ERRORS},
    )
    def post(self, request: Request, subject_number: str) -> Response:
        subject = subject_for(request.user, subject_number)
        data = _valid(s.SignIn, request)
        sig = services.sign_casebook(
            request.user,
            subject,
            data["password"],
            request=request,
            precondition=lambda: completeness.require_complete(
                request.user, subject, "sign", data["override_reason"]
            ),
        )
        return Response(s.SignatureOut(sig).data, status=201)


class LockView(EDCAPIView):
    """POST: lock the subject's data."""

    @extend_schema(
        summary="Lock the subject's data (data manager; 409 with the completeness findings unless "
        "override_reason is given; refused with unresolved queries)",
        request=s.LockIn,
        responses={200: s.SubjectOut, **ERRORS},
    )
    def post(self, request: Request, subject_number: str) -> Response:
        subject = subject_for(request.user, subject_number)
        data = _valid(s.LockIn, request)
        note = completeness.require_complete(request.user, subject, "lock", data["override_reason"])
        services.lock_subject(
            request.user, subject, "; ".join(filter(None, [data["reason"], note]))
        )
        return Response(s.SubjectOut(subject_for(request.user, subject_number)).data)


class UnlockView(EDCAPIView):
    """POST: unlock the subject's data."""

    @extend_schema(
        summary="Unlock the subject's data (data manager; reason required)",
        request=s.UnlockIn,
        responses={200: s.SubjectOut, **ERRORS},
    )
    def post(self, request: Request, subject_number: str) -> Response:
        subject = subject_for(request.user, subject_number)
        data = _valid(s.UnlockIn, request)
        services.unlock_subject(request.user, subject, data["reason"])
        return Response(s.SubjectOut(subject_for(request.user, subject_number)).data)


class CohortLockView(EDCAPIView):
    """POST: lock every subject of a cohort at the user's sites (all or nothing)."""

    @extend_schema(
        summary="Lock a cohort (data manager; refused while any subject has unresolved queries)",
        request=s.LockIn,
        responses={200: s.CohortLockOut, **ERRORS},
    )
    def post(self, request: Request, cohort: str) -> Response:
        data = _valid(s.LockIn, request)
        locks = services.lock_cohort(request.user, cohort, data["reason"])
        return Response({"cohort": cohort, "locked": [lk.subject.subject_number for lk in locks]})


class CohortUnlockView(EDCAPIView):
    """POST: unlock every locked subject of a cohort at the user's sites."""

    @extend_schema(
        summary="Unlock a cohort (data manager; reason required)",
        request=s.UnlockIn,
        responses={200: s.CohortLockOut, **ERRORS},
    )
    def post(self, request: Request, cohort: str) -> Response:
        data = _valid(s.UnlockIn, request)
        locks = services.unlock_cohort(request.user, cohort, data["reason"])
        return Response({"cohort": cohort, "unlocked": [lk.subject.subject_number for lk in locks]})


# =========================================================================== datasets, forms
class DatasetView(CSVCapableView):
    """GET: an analysis dataset as JSON, or CSV with ?format=csv."""

    @extend_schema(
        summary="Analysis dataset (adsl | adrs | adtte | adae | adlb | screening, or the "
        "first API datasets subjects | responses | adverse_events); JSON or CSV",
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(DATASETS)),
            OpenApiParameter("cutoff", OpenApiTypes.DATE, description="data cut-off date"),
            CSV_PARAM,
        ],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request, name: str) -> Any:
        permissions.require(request.user, "export_dataset")
        if name not in DATASETS:
            raise NotFoundError(f"no dataset {name!r}; known: {', '.join(DATASETS)}")
        cutoff = _date_param(request, "cutoff")
        subjects = permissions.visible_subjects(request.user, "export_dataset").select_related(
            "site", "screening"
        )
        screenings = permissions.visible_screenings(request.user, "export_dataset")
        try:
            dataset = build_dataset(name, subjects, services.get_protocol(), screenings, cutoff)
        except CutoffError as exc:
            raise FormValidationError({"cutoff": [str(exc)]}) from None
        if self.wants_csv(request):
            return _csv(dataset.to_csv(), f"nakip-{name}.csv")
        return Response(dataset.to_dict())


def _form_dict(form: Any) -> dict[str, Any]:
    return form.model_dump(mode="json")


class FormListView(EDCAPIView):
    """GET: the protocol's form definitions."""

    @extend_schema(
        summary="Form definitions of the protocol (latest version of each form)",
        operation_id="forms_list",
        responses={200: s.FORM_LIST_SCHEMA},
    )
    def get(self, request: Request) -> Response:
        proto = services.get_protocol()
        codes = list(dict.fromkeys(f.code for f in proto.forms))
        return Response([_form_dict(proto.form(c)) for c in codes])


class FormDetailView(EDCAPIView):
    """GET: one form definition."""

    @extend_schema(
        summary="One form definition (latest version unless ?version=N)",
        parameters=[OpenApiParameter("version", int, description="1 or more (ASCII digits)")],
        responses={200: s.FORM_SCHEMA, **ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        version = parse_whole_number(request.query_params.get("version"), "version")
        return Response(_form_dict(services.form_definition(code, version)))


class NotFoundView(EDCAPIView):
    """Any other path under /api/: a JSON 404 (after authentication)."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotFoundError("no such API endpoint")

    post = put = patch = delete = get
