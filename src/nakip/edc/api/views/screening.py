"""Screening API: screened patients, eligibility, enrolment and screen failure."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from nakip.edc import permissions, services
from nakip.edc.api import serializers as s
from nakip.edc.api.base import EDCAPIView
from nakip.edc.api.pagination import PAGE_PARAMETERS, paginated
from nakip.edc.api.views.common import (
    ERRORS,
    SITE_PARAM,
    choice_param,
    site_param,
    valid_input,
)
from nakip.edc.exceptions import FormValidationError
from nakip.edc.models import ScreeningOutcome, Site
from nakip.edc.visibility import (
    visible_screening,
)


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
        site = site_param(request)
        if site:
            qs = qs.filter(site__code=site)
        outcome = choice_param(request, "outcome", list(ScreeningOutcome.values))
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
        data = valid_input(s.ScreeningCreateIn, request)
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
        return Response(s.ScreeningOut(visible_screening(request.user, pk=pk)).data)

    @extend_schema(
        summary="Correct screening data (reason and the version you read are required)",
        request=s.ScreeningUpdateIn,
        responses={200: s.ScreeningOut, **ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        scr = visible_screening(request.user, pk=pk)
        data = valid_input(s.ScreeningUpdateIn, request)
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
        scr = visible_screening(request.user, pk=pk)
        data = valid_input(s.EnrolIn, request)
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
        scr = visible_screening(request.user, pk=pk)
        data = valid_input(s.ScreenFailureIn, request)
        scr = services.record_screen_failure(
            request.user, scr, data["reasons"] or None, data.get("failure_date")
        )
        return Response(s.ScreeningOut(scr).data)
