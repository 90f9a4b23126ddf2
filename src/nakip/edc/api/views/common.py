"""What the API views share: error responses for the schema, query-parameter parsing, input
validation and the CSV and saved-record responses."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers as drf_serializers
from rest_framework.request import Request

from nakip.edc.api import serializers as s
from nakip.edc.exceptions import FormValidationError
from nakip.edc.models import FormRecord

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


def valid_input(serializer_class: type[drf_serializers.Serializer], request: Request) -> dict:
    """The request body validated by `serializer_class` (a 400 naming the fields otherwise)."""
    ser = serializer_class(data=request.data)
    ser.is_valid(raise_exception=True)
    return dict(ser.validated_data)


_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def site_param(request: Request) -> str | None:
    """The `site` query parameter, upper-cased; None when absent."""
    code = code_param(request, "site")
    return code.upper() if code else None


def choice_param(request: Request, name: str, choices: list[str]) -> str | None:
    """A query parameter that must be one of `choices`; None when absent."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if value not in choices:
        raise FormValidationError({name: [f"expected one of: {', '.join(choices)}"]})
    return value


def code_param(request: Request, name: str) -> str | None:
    """A code-like query parameter (site, cohort, form, visit, subject); None when absent."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if not _CODE.match(value):
        raise FormValidationError({name: ["not a valid code"]})
    return value


def date_param(request: Request, name: str) -> date | None:
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


def csv_response(text: str, filename: str) -> HttpResponse:
    """`text` as a CSV download named `filename`."""
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def record_out(record: FormRecord, opened: Any = ()) -> dict[str, Any]:
    """A saved record with the queries its save opened."""
    record.opened_queries = list(opened)
    return s.RecordSaveOut(record).data
