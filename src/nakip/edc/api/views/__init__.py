"""API views, one module per resource (as the web pages in `edc/web/views/`): each parses its
input, finds the object among those the user may see (`edc.visibility`), calls one
`nakip.edc.services` function (which checks the permission and writes), and serialises."""

from __future__ import annotations

from nakip.edc.api.views.queries import (
    QueryAnswerView,
    QueryCloseView,
    QueryListView,
    QueryReopenView,
)
from nakip.edc.api.views.records import (
    AdverseEventsView,
    RecordDetailView,
    SDVView,
    SubjectRecordsView,
    WithdrawView,
)
from nakip.edc.api.views.reference import DatasetView, FormDetailView, FormListView, NotFoundView
from nakip.edc.api.views.screening import (
    EnrolView,
    ScreenFailureView,
    ScreeningDetailView,
    ScreeningListView,
)
from nakip.edc.api.views.signoff import (
    CohortLockView,
    CohortUnlockView,
    LockView,
    SignView,
    UnlockView,
)
from nakip.edc.api.views.subjects import (
    MissedVisitView,
    SubjectAuditView,
    SubjectDerivedView,
    SubjectDetailView,
    SubjectListView,
    SubjectVisitsView,
)

__all__ = [
    "AdverseEventsView",
    "CohortLockView",
    "CohortUnlockView",
    "DatasetView",
    "EnrolView",
    "FormDetailView",
    "FormListView",
    "LockView",
    "MissedVisitView",
    "NotFoundView",
    "QueryAnswerView",
    "QueryCloseView",
    "QueryListView",
    "QueryReopenView",
    "RecordDetailView",
    "SDVView",
    "ScreenFailureView",
    "ScreeningDetailView",
    "ScreeningListView",
    "SignView",
    "SubjectAuditView",
    "SubjectDerivedView",
    "SubjectDetailView",
    "SubjectListView",
    "SubjectRecordsView",
    "SubjectVisitsView",
    "UnlockView",
    "WithdrawView",
]
