"""The OpenAPI schema and the Swagger UI, both behind login like every other route.

The Swagger UI's JavaScript and CSS come from the `drf-spectacular-sidecar` package when it is
installed (served here, so the docs work without internet); otherwise from drf-spectacular's
default CDN.
"""

from __future__ import annotations

import mimetypes
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView
from rest_framework.request import Request

from nakip.edc.api.base import EDCAPIView
from nakip.edc.exceptions import NotFoundError

ASSETS = (
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
)


def sidecar_dir() -> Path | None:
    """Folder of the bundled Swagger UI files, or None when the sidecar is not installed."""
    spec = find_spec("drf_spectacular_sidecar")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    folder = root / "static" / "drf_spectacular_sidecar" / "swagger-ui-dist"
    return folder if folder.is_dir() else None


class SchemaView(SpectacularJSONAPIView):
    """GET /api/openapi.json — the OpenAPI 3 schema (authenticated users only)."""

    authentication_classes = EDCAPIView.authentication_classes
    permission_classes = EDCAPIView.permission_classes

    def get_exception_handler(self) -> Any:
        return EDCAPIView.get_exception_handler(self)


class DocsView(SpectacularSwaggerView):
    """GET /api/docs — Swagger UI on the schema (authenticated users only)."""

    authentication_classes = EDCAPIView.authentication_classes
    permission_classes = EDCAPIView.permission_classes
    url_name = "api-schema"

    def get_exception_handler(self) -> Any:
        return EDCAPIView.get_exception_handler(self)

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        if sidecar_dir() is not None and filename in ASSETS:
            return reverse("api-docs-asset", args=[filename])
        return SpectacularSwaggerView._swagger_ui_resource(filename)

    @staticmethod
    def _swagger_ui_favicon() -> str:
        if sidecar_dir() is not None:
            return reverse("api-docs-asset", args=["favicon-32x32.png"])
        return SpectacularSwaggerView._swagger_ui_favicon()


class DocsAssetView(EDCAPIView):
    """The Swagger UI's static files from the sidecar package (authenticated users only)."""

    @extend_schema(exclude=True)
    def get(self, request: Request, name: str) -> Any:
        folder = sidecar_dir()
        if folder is None or name not in ASSETS:
            raise NotFoundError(f"no asset {name!r}")
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        response = FileResponse((folder / name).open("rb"), content_type=content_type)
        response["Cache-Control"] = "private, max-age=3600"
        return response


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "fields"],
    "properties": {
        "error": {"type": "string", "description": "what went wrong, for people"},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "field name (or path such as values.term) -> messages",
        },
    },
}
#: Answers any operation can give, beyond those its view declares.
COMMON_ERRORS = {
    "400": "invalid input or query parameter",
    "401": "no or invalid credentials (token or session)",
    "403": "your role does not allow this action (or CSRF failed)",
    "404": "not found, or at a site you cannot see",
    "406": "the Accept header asks for a format the endpoint cannot give",
    "503": "the database is busy; nothing was written, retry after Retry-After seconds",
}
WRITE_ERRORS = {
    "409": "stale version, locked subject, wrong state or a conflicting concurrent change",
    "413": "the request body is too large",
    "415": "the request body is not JSON",
}
SIGN_ERRORS = {"429": "too many wrong passwords: signing and login locked (Retry-After)"}


def document_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every status code the API can answer is declared,
    each error with the `{"error", "fields"}` body (schemathesis checks both)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            codes = dict(COMMON_ERRORS)
            if method in ("post", "put", "patch", "delete"):
                codes.update(WRITE_ERRORS)
                if path.endswith("/sign/"):
                    codes.update(SIGN_ERRORS)
            for code, description in codes.items():
                responses.setdefault(code, {"description": description})
            params = {p.get("name") for p in operation.get("parameters", [])}
            if "format" in params and "200" in responses:  # ?format=csv: a CSV download
                content = responses["200"].setdefault("content", {})
                content["text/csv"] = {"schema": {"type": "string"}}
            for code, response in responses.items():
                if code[0] in "45":
                    response["content"] = ref
    return result
