"""URLs of the EDC web pages (mounted at the site root by `nakip.edc.urls`)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from nakip.edc.web.views import (
    administration,
    audit_trail,
    casebook_pdf,
    dashboard,
    listings,
    monitoring,
    quality,
    queries,
    records,
    reports,
    safety_listings,
    screening,
    subjects,
)

app_name = "edc-web"

urlpatterns = [
    path("login/", dashboard.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="edc-web:login"), name="logout"),
    path("", dashboard.dashboard, name="dashboard"),
    path("cohorts/<slug:cohort>/lock/", dashboard.cohort_lock, name="cohort-lock"),
    path("cohorts/<slug:cohort>/unlock/", dashboard.cohort_unlock, name="cohort-unlock"),
    # aggregate reports (statistician, DSMB, investigators for their sites)
    path("monitoring/", monitoring.monitoring, name="monitoring"),
    path("reports/", reports.reports, name="reports"),
    path("reports/generate/", reports.generate, name="reports-generate"),
    path("reports/<int:pk>/download/<str:fmt>/", reports.download, name="reports-download"),
    # screening and enrolment
    path("screening/", screening.screening_list, name="screening-list"),
    path("screening/new/", screening.screening_new, name="screening-new"),
    path("screening/<str:number>/", screening.screening_detail, name="screening"),
    path("screening/<str:number>/edit/", screening.screening_edit, name="screening-edit"),
    path("screening/<str:number>/enrol/", screening.screening_enrol, name="screening-enrol"),
    path("screening/<str:number>/screen-failure/", screening.screening_fail, name="screening-fail"),
    path("screening/<str:number>/queries/new/", screening.screening_query, name="screening-query"),
    path("screening/<str:number>/audit/", audit_trail.screening_audit, name="screening-audit"),
    # subjects
    path("subjects/", subjects.subject_list, name="subjects"),
    path("subjects/<str:number>/", subjects.casebook, name="casebook"),
    path("subjects/<str:number>/audit/", audit_trail.subject_audit, name="subject-audit"),
    path("subjects/<str:number>/casebook.pdf", casebook_pdf.casebook_pdf, name="casebook-pdf"),
    path("subjects/<str:number>/sign/", subjects.subject_sign, name="subject-sign"),
    path("subjects/<str:number>/lock/", subjects.subject_lock, name="subject-lock"),
    path("subjects/<str:number>/unlock/", subjects.subject_unlock, name="subject-unlock"),
    path(
        "subjects/<str:number>/visits/<str:visit_code>/missed/",
        subjects.visit_missed,
        name="visit-missed",
    ),
    path(
        "subjects/<str:number>/forms/<slug:form_code>/new/",
        records.record_new,
        name="record-new",
    ),
    # records
    path("forms/<slug:form_code>/check/", records.form_check, name="form-check"),
    path("records/<int:pk>/", records.record_detail, name="record"),
    path("records/<int:pk>/edit/", records.record_edit, name="record-edit"),
    path("records/<int:pk>/audit/", audit_trail.record_audit, name="record-audit"),
    path("records/<int:pk>/withdraw/", records.record_withdraw, name="record-withdraw"),
    path("records/<int:pk>/sdv/", records.record_sdv, name="record-sdv"),
    path("records/<int:pk>/queries/new/", records.record_query, name="record-query"),
    # safety and conduct listings
    path("sae/", safety_listings.sae_list, name="sae-list"),
    path("sae/<int:pk>/report/", safety_listings.sae_report_new, name="sae-report-new"),
    path("deviations/", safety_listings.deviation_list, name="deviations"),
    # queries
    path("queries/", queries.query_inbox, name="queries"),
    path("queries/<int:pk>/answer/", queries.query_answer, name="query-answer"),
    path("queries/<int:pk>/close/", queries.query_close, name="query-close"),
    # listings, data quality, account administration
    path("listings/<slug:code>/", listings.listing, name="listing"),
    path("quality/", quality.quality, name="quality"),
    path("administration/", administration.accounts, name="accounts"),
    path("administration/users/new/", administration.account_new, name="account-new"),
    path("administration/sites/new/", administration.site_new, name="site-new"),
    path("administration/users/<str:username>/", administration.account, name="account"),
    path(
        "administration/users/<str:username>/<slug:action>/",
        administration.account_action,
        name="account-action",
    ),
]
