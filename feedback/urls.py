from django.urls import path

from .cases import views as case_views
from .ratings import link_views, views

app_name = "feedback"
# Mounted at the site root by customs_portal/urls.py: declarations and cases live under one namespace.
urlpatterns = [
    path("declarations/", views.DeclarationListView.as_view(), name="declaration-list"),
    path("declarations/<str:number>/", views.DeclarationDetailView.as_view(), name="declaration-detail"),
    path("declarations/<str:number>/rate/", views.RateDeclarationView.as_view(), name="declaration-rate"),
    # A one-click rating link: short, as it travels in e-mails and from declaration software.
    path("r/<str:token>/", link_views.rating_link_page, name="rating-link"),
    path("cases/", case_views.CaseListView.as_view(), name="case-list"),
    path("cases/<int:pk>/", case_views.CaseDetailView.as_view(), name="case-detail"),
    path(
        "cases/<int:pk>/attachments/<int:attachment_id>/",
        case_views.CaseAttachmentView.as_view(),
        name="case-attachment",
    ),
    path("cases/<int:pk>/<slug:action>/", case_views.CaseStepView.as_view(), name="case-step"),
]
