from django.urls import path

from . import views

app_name = "inquiries"
urlpatterns = [
    path("inquiries/", views.InquiryListView.as_view(), name="inquiry-list"),
    path("inquiries/new/", views.ask, name="inquiry-ask"),
    path("inquiries/<int:pk>/", views.InquiryDetailView.as_view(), name="inquiry-detail"),
    path("inquiries/<int:pk>/files/<int:attachment_id>/", views.attachment, name="inquiry-attachment"),
    path("inquiries/<int:pk>/<slug:action>/", views.InquiryStepView.as_view(), name="inquiry-step"),
    path("faq/", views.faq, name="faq"),
    path("conferences/", views.conference_list, name="conference-list"),
    path("conferences/new/", views.conference_new, name="conference-new"),
    path("conferences/<int:pk>/", views.conference_detail, name="conference-detail"),
    path("conferences/<int:pk>/problems/", views.conference_problem, name="conference-problem"),
    path(
        "conferences/<int:pk>/problems/<int:problem_id>/resolve/",
        views.conference_resolve,
        name="conference-resolve",
    ),
]
