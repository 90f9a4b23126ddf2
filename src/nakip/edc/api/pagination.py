"""Pagination of the API's lists: the body stays a JSON array (what clients already read),
`?limit=` and `?offset=` choose the page, `X-Total-Count` and an RFC 8288 `Link` header
(rel="next"/"prev") say what else there is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response

from nakip.edc.exceptions import FormValidationError
from nakip.edc.whole_numbers import parse_whole_number

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

PAGE_PARAMETERS = [
    OpenApiParameter(
        "limit",
        int,
        description=f"items per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})",
    ),
    OpenApiParameter("offset", int, description="items to skip (default 0)"),
    OpenApiParameter(
        "X-Total-Count",
        int,
        OpenApiParameter.HEADER,
        description="number of items in all pages",
        response=[200],
    ),
    OpenApiParameter(
        "Link",
        str,
        OpenApiParameter.HEADER,
        description='<url>; rel="next" and/or <url>; rel="prev" when there are more pages',
        response=[200],
    ),
]


def page_bounds(request: Request) -> tuple[int, int]:
    """(offset, limit) from the query string; a 400 naming the parameter when invalid."""
    limit = parse_whole_number(request.query_params.get("limit"), "limit") or DEFAULT_LIMIT
    if limit > MAX_LIMIT:
        raise FormValidationError({"limit": [f"at most {MAX_LIMIT}"]})
    offset = parse_whole_number(request.query_params.get("offset"), "offset", minimum=0) or 0
    return offset, limit


def _link(request: Request, offset: int, limit: int) -> str:
    params = request.query_params.copy()
    params["offset"], params["limit"] = str(offset), str(limit)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def paginated(
    request: Request, items: Sequence[Any], serialize: Callable[[Sequence[Any]], list[Any]]
) -> Response:
    """One page of `items` (a queryset or list) as an array, with the paging headers."""
    offset, limit = page_bounds(request)
    total = items.count() if hasattr(items, "count") and not isinstance(items, list) else len(items)
    response = Response(serialize(items[offset : offset + limit]))
    response["X-Total-Count"] = str(total)
    links = []
    if offset + limit < total:
        links.append(f'<{_link(request, offset + limit, limit)}>; rel="next"')
    if offset > 0:
        links.append(f'<{_link(request, max(0, offset - limit), limit)}>; rel="prev"')
    if links:
        response["Link"] = ", ".join(links)
    return response
