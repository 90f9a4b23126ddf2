"""The base view of the API: authentication, JSON-only parsing with a size limit, renderers
(JSON, and CSV for exports) and the EDC exception handler, set per view so the project's
settings stay untouched."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from rest_framework import exceptions as drf
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.parsers import BaseParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from nakip.analysis.csv_cells import neutralise
from nakip.edc.api.errors import PayloadTooLarge, exception_handler

_TOKEN = re.compile(r"^[0-9a-f]{40}$")


class StrictTokenAuthentication(TokenAuthentication):
    """DRF token authentication that refuses malformed keys before touching the database."""

    def authenticate_credentials(self, key: str) -> Any:
        if not _TOKEN.match(key or ""):
            raise drf.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class LimitedJSONParser(BaseParser):
    """JSON request bodies only, at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (else 413).

    NaN/Infinity and non-UTF-8 bodies are refused (400), and so is pathological nesting.
    """

    media_type = "application/json"

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = int(getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None) or 1024 * 1024)
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        try:
            if length and int(length) > limit:
                raise PayloadTooLarge()
        except ValueError:
            raise drf.ParseError("bad Content-Length header") from None
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge()
        try:
            text = raw.decode("utf-8")
            return json.loads(text, parse_constant=_no_constants)
        except UnicodeDecodeError:
            raise drf.ParseError("the body is not UTF-8 text") from None
        except RecursionError:
            raise drf.ParseError("the JSON body is nested too deeply") from None
        except ValueError as exc:
            raise drf.ParseError(f"malformed JSON: {exc}") from None


class CSVRenderer(BaseRenderer):
    """text/csv for `?format=csv`: a str is sent as is, a list of dicts becomes a table."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if isinstance(data, str):
            return data.encode("utf-8")
        rows = data if isinstance(data, list) else [data]
        buf = io.StringIO()
        columns: list[str] = []
        for row in rows:
            columns += [k for k in row if k not in columns]
        writer = csv.DictWriter(buf, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    k: json.dumps(v) if isinstance(v, dict | list) else neutralise(v)
                    for k, v in row.items()
                }
            )
        return buf.getvalue().encode("utf-8")


class EDCAPIView(APIView):
    """Base of every API view: authenticated users only, JSON in and out, EDC error bodies.

    Token authentication comes first so an anonymous request gets 401 with a
    `WWW-Authenticate: Token` header; session authentication (with CSRF) serves the browser.
    """

    authentication_classes = [StrictTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Any]:
        return exception_handler


class CSVCapableView(EDCAPIView):
    """A view that also answers `?format=csv` (exports)."""

    renderer_classes = [JSONRenderer, CSVRenderer]

    def wants_csv(self, request: Any) -> bool:
        renderer = getattr(request, "accepted_renderer", None)
        return isinstance(renderer, CSVRenderer)
