"""Subject API: the subject list, one subject, its visits and missed visits, derived values
and audit trail."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from nakip.edc import audit, permissions, services
from nakip.edc.api import serializers as s
from nakip.edc.api.base import CSVCapableView, EDCAPIView
from nakip.edc.api.pagination import PAGE_PARAMETERS, paginated
from nakip.edc.api.views.common import (
    CSV_PARAM,
    ERRORS,
    SITE_PARAM,
    code_param,
    csv_response,
    site_param,
    valid_input,
)
from nakip.edc.derivations import derive_subject
from nakip.edc.exceptions import NotFoundError
from nakip.edc.visibility import (
    visible_subject,
)


class SubjectListView(EDCAPIView):
    """GET: the subjects at your sites."""

    @extend_schema(
        summary="Subjects you may view",
        parameters=[SITE_PARAM, OpenApiParameter("cohort", str), *PAGE_PARAMETERS],
        responses={200: s.SubjectOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = (
            permissions.visible_subjects(request.user)
            .with_lock_state()
            .select_related("site", "screening")
        )
        site = site_param(request)
        if site:
            qs = qs.filter(site__code=site)
        cohort = code_param(request, "cohort")
        if cohort:
            qs = qs.filter(cohort=cohort)
        return paginated(
            request, qs.order_by("subject_number"), lambda page: s.SubjectOut(page, many=True).data
        )


class SubjectDetailView(EDCAPIView):
    """GET: one subject with its lock, signature and open-query count."""

    @extend_schema(summary="One subject", responses={200: s.SubjectOut, **ERRORS})
    def get(self, request: Request, subject_number: str) -> Response:
        subject = visible_subject(request.user, subject_number)
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
        subject = visible_subject(request.user, subject_number)
        return Response([v.to_dict() for v in services.subject_visits(subject)])


class MissedVisitView(EDCAPIView):
    """POST: declare a visit missed; DELETE: revoke the mark. A reason is required for both."""

    def _visit(self, request: Request, subject_number: str, visit_code: str) -> Any:
        if not re.fullmatch(r"[A-Z0-9_]{2,12}", visit_code):
            raise NotFoundError(f"unknown visit {visit_code!r}")
        return visible_subject(request.user, subject_number), valid_input(s.ReasonIn, request)

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
        subject = visible_subject(request.user, subject_number)
        return Response(derive_subject(subject).to_dict())


class SubjectAuditView(CSVCapableView):
    """GET: the subject's audit trail (JSON, or CSV with ?format=csv)."""

    @extend_schema(
        summary="The subject's audit trail (CSV export needs the export_dataset right)",
        parameters=[CSV_PARAM, *PAGE_PARAMETERS],
        responses={200: s.AuditEntryOut(many=True), **ERRORS},
    )
    def get(self, request: Request, subject_number: str) -> Any:
        subject = visible_subject(request.user, subject_number)
        entries = audit.subject_history(subject)
        if self.wants_csv(request):
            permissions.require(request.user, "export_dataset", subject)
            return csv_response(audit.audit_csv(entries), f"audit-{subject.subject_number}.csv")
        return paginated(request, entries, lambda page: [e.to_dict() for e in page])
