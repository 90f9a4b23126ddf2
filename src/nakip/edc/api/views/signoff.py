"""Sign-off API: the investigator's signature and the data manager's lock and unlock of a
subject or a cohort."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from nakip.edc import completeness, services
from nakip.edc.api import serializers as s
from nakip.edc.api.base import EDCAPIView
from nakip.edc.api.views.common import (
    ERRORS,
    valid_input,
)
from nakip.edc.visibility import (
    visible_subject,
)


class SignView(EDCAPIView):
    """POST: the investigator's electronic signature of the casebook.

    A refused signature is not rolled back with the request: it stays in the audit trail and
    counts towards the lockout (see services.sign_casebook).
    """

    atomic_request = False

    @extend_schema(
        summary="Sign the subject's casebook (investigator; password re-entered; 409 with the "
        "completeness findings unless override_reason is given)",
        request=s.SignIn,
        responses={201: s.SignatureOut, **ERRORS},
    )
    def post(self, request: Request, subject_number: str) -> Response:
        subject = visible_subject(request.user, subject_number)
        data = valid_input(s.SignIn, request)
        sig = services.sign_casebook(
            request.user,
            subject,
            data["password"],
            request=request,
            precondition=lambda: completeness.require_complete(
                request.user, subject, "sign", data["override_reason"]
            ),
        )
        return Response(s.SignatureOut(sig).data, status=201)


class LockView(EDCAPIView):
    """POST: lock the subject's data."""

    @extend_schema(
        summary="Lock the subject's data (data manager; 409 with the completeness findings unless "
        "override_reason is given; refused with unresolved queries)",
        request=s.LockIn,
        responses={200: s.SubjectOut, **ERRORS},
    )
    def post(self, request: Request, subject_number: str) -> Response:
        subject = visible_subject(request.user, subject_number)
        data = valid_input(s.LockIn, request)
        services.lock_subject(
            request.user,
            subject,
            data["reason"],
            precondition=lambda: completeness.require_complete(
                request.user, subject, "lock", data["override_reason"]
            ),
        )
        return Response(s.SubjectOut(visible_subject(request.user, subject_number)).data)


class UnlockView(EDCAPIView):
    """POST: unlock the subject's data."""

    @extend_schema(
        summary="Unlock the subject's data (data manager; reason required)",
        request=s.UnlockIn,
        responses={200: s.SubjectOut, **ERRORS},
    )
    def post(self, request: Request, subject_number: str) -> Response:
        subject = visible_subject(request.user, subject_number)
        data = valid_input(s.UnlockIn, request)
        services.unlock_subject(request.user, subject, data["reason"])
        return Response(s.SubjectOut(visible_subject(request.user, subject_number)).data)


class CohortLockView(EDCAPIView):
    """POST: lock every subject of a cohort at the user's sites (all or nothing)."""

    @extend_schema(
        summary="Lock a cohort (data manager; refused while any subject has unresolved queries; "
        "409 listing each incomplete casebook unless override_reason is given)",
        request=s.LockIn,
        responses={200: s.CohortLockOut, **ERRORS},
    )
    def post(self, request: Request, cohort: str) -> Response:
        data = valid_input(s.LockIn, request)
        locks = services.lock_cohort(
            request.user,
            cohort,
            data["reason"],
            precondition=lambda subjects: completeness.require_complete_cohort(
                request.user, subjects, data["override_reason"]
            ),
        )
        return Response({"cohort": cohort, "locked": [lk.subject.subject_number for lk in locks]})


class CohortUnlockView(EDCAPIView):
    """POST: unlock every locked subject of a cohort at the user's sites."""

    @extend_schema(
        summary="Unlock a cohort (data manager; reason required)",
        request=s.UnlockIn,
        responses={200: s.CohortLockOut, **ERRORS},
    )
    def post(self, request: Request, cohort: str) -> Response:
        data = valid_input(s.UnlockIn, request)
        locks = services.unlock_cohort(request.user, cohort, data["reason"])
        return Response({"cohort": cohort, "unlocked": [lk.subject.subject_number for lk in locks]})
