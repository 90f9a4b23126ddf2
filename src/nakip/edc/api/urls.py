"""URLs of the REST API (mounted at /api/ by nakip.edc.urls)."""

from __future__ import annotations

from django.urls import path, re_path, register_converter

from nakip.edc.api import docs, views


class SubjectNumberConverter:
    """Subject numbers such as A-001: letters, digits, '-' and '_' only."""

    regex = r"[A-Za-z0-9_-]{1,32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SubjectNumberConverter, "subject")

S = "subjects/<subject:subject_number>/"

urlpatterns = [
    path("openapi.json", docs.SchemaView.as_view(), name="api-schema"),
    path("docs", docs.DocsView.as_view(), name="api-docs"),
    path("docs/assets/<str:name>", docs.DocsAssetView.as_view(), name="api-docs-asset"),
    path("screenings/", views.ScreeningListView.as_view(), name="api-screenings"),
    path("screenings/<int:pk>/", views.ScreeningDetailView.as_view(), name="api-screening"),
    path("screenings/<int:pk>/enrol/", views.EnrolView.as_view(), name="api-enrol"),
    path(
        "screenings/<int:pk>/screen-failure/",
        views.ScreenFailureView.as_view(),
        name="api-screen-failure",
    ),
    path("subjects/", views.SubjectListView.as_view(), name="api-subjects"),
    path(S, views.SubjectDetailView.as_view(), name="api-subject"),
    path(S + "visits/", views.SubjectVisitsView.as_view(), name="api-subject-visits"),
    path(
        S + "visits/<str:visit_code>/missed/",
        views.MissedVisitView.as_view(),
        name="api-visit-missed",
    ),
    path(S + "derived/", views.SubjectDerivedView.as_view(), name="api-subject-derived"),
    path(S + "audit/", views.SubjectAuditView.as_view(), name="api-subject-audit"),
    path(S + "records/", views.SubjectRecordsView.as_view(), name="api-subject-records"),
    path(S + "adverse-events/", views.AdverseEventsView.as_view(), name="api-adverse-events"),
    path(S + "sign/", views.SignView.as_view(), name="api-sign"),
    path(S + "lock/", views.LockView.as_view(), name="api-lock"),
    path(S + "unlock/", views.UnlockView.as_view(), name="api-unlock"),
    path("cohorts/<slug:cohort>/lock/", views.CohortLockView.as_view(), name="api-cohort-lock"),
    path(
        "cohorts/<slug:cohort>/unlock/",
        views.CohortUnlockView.as_view(),
        name="api-cohort-unlock",
    ),
    path("records/<int:pk>/", views.RecordDetailView.as_view(), name="api-record"),
    path("records/<int:pk>/withdraw/", views.WithdrawView.as_view(), name="api-withdraw"),
    path("records/<int:pk>/sdv/", views.SDVView.as_view(), name="api-sdv"),
    path("queries/", views.QueryListView.as_view(), name="api-queries"),
    path("queries/<int:pk>/answer/", views.QueryAnswerView.as_view(), name="api-query-answer"),
    path("queries/<int:pk>/close/", views.QueryCloseView.as_view(), name="api-query-close"),
    path("queries/<int:pk>/reopen/", views.QueryReopenView.as_view(), name="api-query-reopen"),
    path("datasets/<slug:name>/", views.DatasetView.as_view(), name="api-dataset"),
    path("forms/", views.FormListView.as_view(), name="api-forms"),
    path("forms/<slug:code>/", views.FormDetailView.as_view(), name="api-form"),
    # [\s\S], not '.': a line break in the path is an API 404 too, not the web pages' HTML one.
    re_path(r"^[\s\S]*$", views.NotFoundView.as_view(), name="api-not-found"),
]
