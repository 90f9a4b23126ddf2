"""One transaction per writing request, and a retry hint instead of a 500 when the database is
busy.

POST, PUT, PATCH and DELETE run inside one transaction (on SQLite `BEGIN IMMEDIATE`, so
writers queue on the busy timeout instead of failing on a lock upgrade); it is rolled back on
a server error or when the API's exception handler asks for it. Reads run without one: on
SQLite in WAL mode they never wait for a writer.

A database that stays locked past the busy timeout (SQLite) or a deadlock / serialisation
failure (PostgreSQL) answers 503 with Retry-After; a conflicting concurrent insert answers 409.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from nakip.edc.exceptions import BusyError

log = logging.getLogger("nakip.edc.db")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CONFLICT_MESSAGE = "a concurrent change conflicted with this one; reload and try again"
#: Set on a request (by the API's exception handler) to roll its transaction back.
ROLLBACK_FLAG = "edc_rollback"


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "json" in request.headers.get("Accept", "")


def busy_response(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    """503 + Retry-After for a busy database, 409 for a conflicting concurrent insert."""
    if isinstance(exc, IntegrityError):
        status, message, retry = 409, CONFLICT_MESSAGE, None
    else:
        busy = BusyError()
        status, message, retry = 503, busy.message, busy.retry_after
    log.warning("%s %s answered %s: %s", request.method, request.path, status, exc)
    if _wants_json(request):
        response: HttpResponse = JsonResponse({"error": message, "fields": {}}, status=status)
    else:
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    if retry is not None:
        response["Retry-After"] = str(retry)
    return response


class WriteTransactionMiddleware:
    """Wrap each writing request in one transaction (the project's ATOMIC_REQUESTS, for
    writes only); map busy-database errors to 503/409 (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in SAFE_METHODS:
            return self.get_response(request)
        try:
            with transaction.atomic():
                response = self.get_response(request)
                if response.status_code >= 500 or getattr(request, ROLLBACK_FLAG, False):
                    transaction.set_rollback(True)
        except (OperationalError, IntegrityError) as exc:  # on BEGIN IMMEDIATE or COMMIT
            return busy_response(request, exc)
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        """A page view that hit a busy database: 503/409 instead of the 500 page."""
        if isinstance(exc, OperationalError | IntegrityError):
            return busy_response(request, exc)  # Django already marked the block for rollback
        return None
