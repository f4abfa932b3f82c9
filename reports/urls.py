"""Addresses of reports: the dashboards of rating figures with their exports under /dashboards/."""

from django.urls import path

from .dashboards import views as dashboard_views
from .exports import views as export_views

app_name = "reports"

urlpatterns = [
    path("dashboards/", dashboard_views.department, name="dashboard-department"),
    path("dashboards/branch/<str:code>/", dashboard_views.branch, name="dashboard-branch"),
    # Team codes are unique only inside their branch: a team is addressed by both.
    path("dashboards/branch/<str:branch>/team/<str:code>/", dashboard_views.team, name="dashboard-team"),
    path("dashboards/officer/<str:code>/", dashboard_views.officer, name="dashboard-officer"),
    path("dashboards/ratings/", export_views.ratings_export, name="dashboard-ratings"),
    path("dashboards/exports/<int:pk>/", export_views.export_job, name="export-job"),
    path("dashboards/exports/<int:pk>.json", export_views.export_job_status, name="export-job-status"),
    path("dashboards/exports/<int:pk>/download/", export_views.export_job_download, name="export-job-download"),
]
