"""Addresses of the service charter figures: the public page, the staff and leader pages, the workbook, the API."""

from django.urls import path

from . import api, views

app_name = "charter"

urlpatterns = [
    path("charter/", views.public, name="public"),
    path("charter/compliance/", views.compliance, name="compliance"),
    path("charter/compliance/branch/<str:code>/", views.compliance, name="compliance-branch"),
    path("charter/compliance/report.xlsx", views.compliance_xlsx, name="compliance-xlsx"),
    path("api/v1/charter/compliance/", api.ComplianceView.as_view(), name="api-compliance"),
]
