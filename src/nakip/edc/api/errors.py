"""One JSON shape for every API error: `{"error": message, "fields": {field: [messages]}}`.

EDC service errors keep their own HTTP status (`EDCError.status_code`); DRF errors keep theirs;
an oversized body is 413; anything unexpected is logged and answered with a JSON 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.db import IntegrityError, OperationalError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from nakip.edc.exceptions import (
    BusyError,
    EDCError,
    FormValidationError,
    IncompleteCasebookError,
    NotEligibleError,
    SigningLockedError,
    StaleRecordError,
)
from nakip.edc.write_transactions import CONFLICT_MESSAGE, ROLLBACK_FLAG

log = logging.getLogger("nakip.edc.api")


class SafeJSONRenderer(JSONRenderer):
    """JSON with non-ASCII characters escaped: any text, even one a UTF-8 encoder refuses,
    renders (a stored value can never turn a read into a 500)."""

    ensure_ascii = True


class PayloadTooLarge(drf.APIException):
    """The request body exceeds settings.DATA_UPLOAD_MAX_MEMORY_SIZE (HTTP 413)."""

    status_code = 413
    default_detail = "the request body is too large"
    default_code = "payload_too_large"


def _messages(detail: Any) -> list[str]:
    """Flatten a DRF error detail (string, list or nested dict) to a list of strings."""
    if isinstance(detail, Mapping):
        out = []
        for key, value in detail.items():
            out += [f"{key}: {m}" for m in _messages(value)]
        return out
    if isinstance(detail, list | tuple):
        return [m for item in detail for m in _messages(item)]
    return [str(detail)]


def field_errors(detail: Any) -> dict[str, list[str]]:
    """DRF validation detail as {field: [messages]}; non-field errors go under "__all__"."""
    if isinstance(detail, Mapping):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "__all__" if key in ("non_field_errors", "detail") else str(key)
            out.setdefault(name, []).extend(_messages(value))
        return out
    return {"__all__": _messages(detail)}


def error_body(message: str, fields: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """The JSON error body of the API."""
    return {"error": message, "fields": dict(fields or {})}


def _summary(fields: Mapping[str, list[str]]) -> str:
    parts = [f"{k}: {' '.join(v)}" for k, v in fields.items()]
    return "invalid input: " + "; ".join(parts) if parts else "invalid input"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF exception handler of the EDC API (see the module docstring)."""
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, FormValidationError):
        status, body = exc.status_code, error_body(exc.message, exc.errors)
    elif isinstance(exc, EDCError):
        status, body = exc.status_code, error_body(exc.message)
        if isinstance(exc, StaleRecordError):
            extra = {"expected_version": exc.expected, "current_version": exc.actual}
        elif isinstance(exc, NotEligibleError):
            extra = {"reasons": exc.reasons}
        elif isinstance(exc, IncompleteCasebookError):
            extra = {"findings": exc.findings}
        elif isinstance(exc, SigningLockedError | BusyError):
            headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, drf.ValidationError):
        fields = field_errors(exc.detail)
        status, body = 400, error_body(_summary(fields), fields)
    elif isinstance(exc, drf.APIException):
        status, body = exc.status_code, error_body(" ".join(_messages(exc.detail)))
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
    elif isinstance(exc, Http404):
        status, body = 404, error_body("not found")
    elif isinstance(exc, PermissionDenied):
        message = getattr(exc, "message", "") or str(exc) or "permission denied"
        status, body = 403, error_body(message)
    elif isinstance(exc, OperationalError | IntegrityError):
        busy = BusyError()
        if isinstance(exc, IntegrityError):
            status, body = 409, error_body(CONFLICT_MESSAGE)
        else:
            status, body = 503, error_body(busy.message)
            headers["Retry-After"] = str(busy.retry_after)
        log.warning("database busy or conflicting in %s: %s", context.get("request"), exc)
    elif isinstance(exc, RequestDataTooBig):
        status, body = 413, error_body("the request body is too large")
    elif isinstance(exc, TooManyFieldsSent | SuspiciousOperation):
        status, body = 400, error_body("the request was refused as malformed")
    else:
        request = context.get("request")
        log.exception("unexpected error in %s", getattr(request, "path", "the API"))
        status, body = 500, error_body("internal error; it has been logged")
    body.update(extra)
    request = context.get("request")
    if request is not None and getattr(context.get("view"), "atomic_request", True):
        # roll back the request's transaction (WriteTransactionMiddleware); a view marked
        # otherwise (the e-signature) commits what it wrote on purpose, e.g. a failed attempt
        setattr(getattr(request, "_request", request), ROLLBACK_FLAG, True)
    if request is not None:
        # A CSV request that fails still answers in JSON.
        request.accepted_renderer = SafeJSONRenderer()
        request.accepted_media_type = "application/json"
    return Response(body, status=status, headers=headers)
