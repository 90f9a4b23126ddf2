"""Query API: the query inbox, raising, answering, closing and re-opening queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.request import Request
from rest_framework.response import Response

from nakip.edc import services
from nakip.edc.api import serializers as s
from nakip.edc.api.base import EDCAPIView
from nakip.edc.api.pagination import PAGE_PARAMETERS, paginated
from nakip.edc.api.views.common import (
    ERRORS,
    SITE_PARAM,
    choice_param,
    code_param,
    site_param,
    valid_input,
)
from nakip.edc.models import QueryStatus
from nakip.edc.visibility import (
    visible_queries,
    visible_query,
    visible_record,
    visible_screening,
)


class QueryListView(EDCAPIView):
    """GET: the query inbox; POST: raise a query."""

    @extend_schema(
        summary="Query inbox: queries you may view",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=[*QueryStatus.values, "unresolved"],
                description="unresolved = open or answered",
            ),  # fmt: skip
            SITE_PARAM,
            OpenApiParameter("subject", str, description="subject number"),
            *PAGE_PARAMETERS,
        ],
        responses={200: s.QueryOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = visible_queries(request.user)
        status = choice_param(request, "status", [*QueryStatus.values, "unresolved"])
        if status == "unresolved":
            qs = qs.exclude(status=QueryStatus.CLOSED)
        elif status:
            qs = qs.filter(status=status)
        site = site_param(request)
        if site:
            qs = qs.filter(Q(record__subject__site__code=site) | Q(screening__site__code=site))
        number = code_param(request, "subject")
        if number:
            qs = qs.filter(
                Q(record__subject__subject_number=number)
                | Q(screening__subject__subject_number=number)
            )
        return paginated(request, qs.order_by("id"), lambda page: s.QueryOut(page, many=True).data)

    @extend_schema(
        summary="Raise a query on a record or a screening record (field_name '' = whole record)",
        request=s.QueryCreateIn,
        responses={201: s.QueryOut, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = valid_input(s.QueryCreateIn, request)
        if "record" in data:
            target: Any = visible_record(request.user, data["record"])
        else:
            target = visible_screening(request.user, pk=data["screening"])
        q = services.raise_query(request.user, target, data["field_name"], data["text"])
        return Response(s.QueryOut(visible_query(request.user, q.pk)).data, status=201)


class _QueryAction(EDCAPIView):
    """A POST that changes a query's state through one service function."""

    input_class: type[drf_serializers.Serializer]
    act: Callable[[Any, Any, dict[str, Any]], Any]  # the service call, set by each subclass

    def post(self, request: Request, pk: int) -> Response:
        q = visible_query(request.user, pk)
        data = valid_input(self.input_class, request)
        self.act(request.user, q, data)
        return Response(s.QueryOut(visible_query(request.user, pk)).data)


@extend_schema(
    summary="Answer an open query (site staff)",
    request=s.AnswerIn,
    responses={200: s.QueryOut, **ERRORS},
)
class QueryAnswerView(_QueryAction):
    """POST: answer an open query."""

    input_class = s.AnswerIn

    @staticmethod
    def act(user: Any, query: Any, data: dict[str, Any]) -> Any:
        return services.answer_query(user, query, data["answer"])


@extend_schema(
    summary="Close an open or answered query (monitor, data manager)",
    request=s.CloseIn,
    responses={200: s.QueryOut, **ERRORS},
)
class QueryCloseView(_QueryAction):
    """POST: close a query."""

    input_class = s.CloseIn

    @staticmethod
    def act(user: Any, query: Any, data: dict[str, Any]) -> Any:
        return services.close_query(user, query, data["note"])


@extend_schema(
    summary="Re-open an answered or closed query with a new question",
    request=s.ReopenIn,
    responses={200: s.QueryOut, **ERRORS},
)
class QueryReopenView(_QueryAction):
    """POST: re-open a query."""

    input_class = s.ReopenIn

    @staticmethod
    def act(user: Any, query: Any, data: dict[str, Any]) -> Any:
        return services.reopen_query(user, query, data["text"])
