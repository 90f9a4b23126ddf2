"""Form-record API: a subject's records and adverse events, entry, correction, withdrawal
and source-data verification."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from nakip.edc import services
from nakip.edc.api import serializers as s
from nakip.edc.api.base import EDCAPIView
from nakip.edc.api.pagination import PAGE_PARAMETERS, paginated
from nakip.edc.api.views.common import (
    ERRORS,
    code_param,
    record_out,
    valid_input,
)
from nakip.edc.derivations import derive_subject
from nakip.edc.visibility import (
    visible_record,
    visible_subject,
)


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
        subject = visible_subject(request.user, subject_number)
        withdrawn = request.query_params.get("include_withdrawn", "").lower() in {"1", "true"}
        qs = services.records(
            subject,
            form_code=code_param(request, "form_code"),
            visit_code=code_param(request, "visit_code"),
            include_withdrawn=withdrawn,
        ).select_related("subject", "created_by", "updated_by", "sdv_by")
        return paginated(request, qs, lambda page: s.RecordOut(page, many=True).data)

    @extend_schema(
        summary="Enter a form record (edit checks run; soft findings open queries)",
        request=s.RecordCreateIn,
        responses={201: s.RecordSaveOut, **ERRORS},
    )
    def post(self, request: Request, subject_number: str) -> Response:
        subject = visible_subject(request.user, subject_number)
        data = valid_input(s.RecordCreateIn, request)
        result = services.create_record(
            request.user, subject, data["form_code"], data["values"], data["visit_code"]
        )
        return Response(record_out(result.record, result.opened_queries), status=201)


class RecordDetailView(EDCAPIView):
    """GET one form record; PATCH changes it (reason + version)."""

    @extend_schema(summary="One form record with its queries", responses={200: s.RecordDetailOut})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.RecordDetailOut(visible_record(request.user, pk)).data)

    @extend_schema(
        summary="Change a record (reason and the version you read are required; stale -> 409)",
        request=s.RecordUpdateIn,
        responses={200: s.RecordSaveOut, **ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        rec = visible_record(request.user, pk)
        data = valid_input(s.RecordUpdateIn, request)
        result = services.update_record(
            request.user, rec, data["values"], data["reason"], data["version"], data["partial"]
        )
        return Response(record_out(result.record, result.opened_queries))


class WithdrawView(EDCAPIView):
    """POST: withdraw a record entered in error."""

    @extend_schema(
        summary="Withdraw a record entered in error (kept, with its history)",
        request=s.WithdrawIn,
        responses={200: s.RecordOut, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        rec = visible_record(request.user, pk)
        data = valid_input(s.WithdrawIn, request)
        services.withdraw_record(request.user, rec, data["reason"], data.get("version"))
        return Response(s.RecordOut(visible_record(request.user, pk)).data)


class SDVView(EDCAPIView):
    """POST: record source-data verification of a record."""

    @extend_schema(
        summary="Source-data verification of a record (monitor); a later change clears it",
        request=None,
        responses={200: s.RecordOut, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        rec = visible_record(request.user, pk)
        valid_input(s.NoBodyIn, request)
        services.mark_sdv(request.user, rec)
        return Response(s.RecordOut(visible_record(request.user, pk)).data)


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
        subject = visible_subject(request.user, subject_number)
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
        subject = visible_subject(request.user, subject_number)
        data = valid_input(s.AdverseEventIn, request)
        result = services.create_record(
            request.user, subject, "adverse_event", data["values"], data["visit_code"]
        )
        ctx = {"dlt": _dlt_by_record(subject)}
        return Response(s.AdverseEventOut(result.record, context=ctx).data, status=201)
