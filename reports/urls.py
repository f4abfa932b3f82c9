"""Addresses of reports: the public CDCI ranking under /cdci/, its staff pages, its JSON API, and the
dashboards of rating figures with their exports under /dashboards/."""

from django.urls import path

from . import cdci_api, cdci_views, dashboard_views

app_name = "reports"

urlpatterns = [
    path("cdci/", cdci_views.public_list, name="cdci-list"),
    path("cdci/methodology/", cdci_views.methodology, name="cdci-methodology"),
    path("cdci/<int:year>/", cdci_views.public_year, name="cdci-year"),
    path("cdci/<int:year>/report.xlsx", cdci_views.public_xlsx, name="cdci-year-xlsx"),
    path("cdci/campaigns/<int:pk>/", cdci_views.campaign_cdci, name="cdci-campaign"),
    path("cdci/campaigns/<int:pk>/compute/", cdci_views.run_start, name="cdci-run-start"),
    path("cdci/campaigns/<int:pk>/assessments/", cdci_views.assessments, name="cdci-assessments"),
    path("cdci/campaigns/<int:pk>/draft/", cdci_views.draft, name="cdci-draft"),
    path("cdci/campaigns/<int:pk>/draft.xlsx", cdci_views.draft_xlsx, name="cdci-draft-xlsx"),
    path("cdci/campaigns/<int:pk>/publish/", cdci_views.publish, name="cdci-publish"),
    path("cdci/runs/<int:run_id>.json", cdci_views.run_status, name="cdci-run-status"),
    path("dashboards/", dashboard_views.department, name="dashboard-department"),
    path("dashboards/branch/<str:code>/", dashboard_views.branch, name="dashboard-branch"),
    # Team codes are unique only inside their branch: a team is addressed by both.
    path("dashboards/branch/<str:branch>/team/<str:code>/", dashboard_views.team, name="dashboard-team"),
    path("dashboards/officer/<str:code>/", dashboard_views.officer, name="dashboard-officer"),
    path("dashboards/ratings/", dashboard_views.ratings_export, name="dashboard-ratings"),
    path("dashboards/exports/<int:pk>/", dashboard_views.export_job, name="export-job"),
    path("dashboards/exports/<int:pk>.json", dashboard_views.export_job_status, name="export-job-status"),
    path("dashboards/exports/<int:pk>/download/", dashboard_views.export_job_download, name="export-job-download"),
    path("api/v1/cdci/<int:year>/ranking/", cdci_api.RankingView.as_view(), name="cdci-api-ranking"),
]
