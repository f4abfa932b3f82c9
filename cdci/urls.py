"""Addresses of the CDCI: the public ranking under /cdci/, the staff pages of a campaign's computation,
review and publication, and the public JSON API."""

from django.urls import path

from . import api, views

app_name = "cdci"

urlpatterns = [
    path("cdci/", views.public_list, name="cdci-list"),
    path("cdci/methodology/", views.methodology, name="cdci-methodology"),
    path("cdci/<int:year>/", views.public_year, name="cdci-year"),
    path("cdci/<int:year>/report.xlsx", views.public_xlsx, name="cdci-year-xlsx"),
    path("cdci/campaigns/<int:pk>/", views.campaign_cdci, name="cdci-campaign"),
    path("cdci/campaigns/<int:pk>/compute/", views.run_start, name="cdci-run-start"),
    path("cdci/campaigns/<int:pk>/method/", views.method, name="cdci-method"),
    path("cdci/campaigns/<int:pk>/reopen/", views.reopen, name="cdci-reopen"),
    path("cdci/campaigns/<int:pk>/assessments/", views.assessments, name="cdci-assessments"),
    path("cdci/campaigns/<int:pk>/draft/", views.draft, name="cdci-draft"),
    path("cdci/campaigns/<int:pk>/draft.xlsx", views.draft_xlsx, name="cdci-draft-xlsx"),
    path("cdci/campaigns/<int:pk>/publish/", views.publish, name="cdci-publish"),
    path("cdci/runs/<int:run_id>.json", views.run_status, name="cdci-run-status"),
    path("cdci/runs/<int:run_id>/cancel/", views.run_cancel, name="cdci-run-cancel"),
    path("api/v1/cdci/<int:year>/ranking/", api.RankingView.as_view(), name="cdci-api-ranking"),
]
