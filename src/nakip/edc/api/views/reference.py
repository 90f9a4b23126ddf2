"""Reference API: analysis datasets, the protocol's form definitions, and the JSON 404 of
unknown paths."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from nakip.edc import permissions, services
from nakip.edc.api import serializers as s
from nakip.edc.api.base import CSVCapableView, EDCAPIView
from nakip.edc.api.views.common import (
    CSV_PARAM,
    ERRORS,
    csv_response,
    date_param,
)
from nakip.edc.datasets import DATASETS, CutoffError, build_dataset
from nakip.edc.exceptions import FormValidationError, NotFoundError
from nakip.edc.whole_numbers import parse_whole_number


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
        cutoff = date_param(request, "cutoff")
        subjects = permissions.visible_subjects(request.user, "export_dataset").select_related(
            "site", "screening"
        )
        screenings = permissions.visible_screenings(request.user, "export_dataset")
        try:
            dataset = build_dataset(name, subjects, services.get_protocol(), screenings, cutoff)
        except CutoffError as exc:
            raise FormValidationError({"cutoff": [str(exc)]}) from None
        if self.wants_csv(request):
            return csv_response(dataset.to_csv(), f"nakip-{name}.csv")
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
