"""Survey pages: the public questionnaire under /survey/<code>/, the staff pages under /surveys/."""

from django.urls import path

from . import views

app_name = "surveys"

# Included at the project root: the public addresses are part of letters already printed.
urlpatterns = [
    path("survey/<str:code>/", views.answer, name="answer"),
    path("survey/<str:code>/part/<int:step>/", views.answer_page, name="answer-page"),
    path("survey/<str:code>/review/", views.answer_review, name="answer-review"),
    path("survey/<str:code>/thanks/", views.answer_done, name="answer-done"),
    path("surveys/", views.campaign_list, name="campaign-list"),
    path("surveys/new/", views.campaign_create, name="campaign-create"),
    path("surveys/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("surveys/<int:pk>/weights/", views.campaign_weights, name="campaign-weights"),
    path("surveys/<int:pk>/status/<str:action>/", views.campaign_status, name="campaign-status"),
    path("surveys/<int:pk>/invitations/", views.invitation_list, name="invitation-list"),
    path("surveys/<int:pk>/invitations/add/", views.invitation_add, name="invitation-add"),
    path("surveys/<int:pk>/invitations/letters.xlsx", views.invitation_letters, name="invitation-letters"),
    path("surveys/<int:pk>/invitations/do/<str:action>/", views.invitation_action, name="invitation-action"),
    path("surveys/<int:pk>/invitations/<int:invitation_id>/remove/", views.invitation_remove, name="invitation-remove"),
    path(
        "surveys/<int:pk>/invitations/<int:invitation_id>/new-code/",
        views.invitation_regenerate,
        name="invitation-regenerate",
    ),
    path("surveys/<int:pk>/review/", views.review_list, name="review-list"),
    path("surveys/<int:pk>/review/<int:response_id>/", views.review_decide, name="review-decide"),
    path("surveys/<int:pk>/paper/", views.paper, name="paper"),
    path("surveys/<int:pk>/paper/template.xlsx", views.paper_template, name="paper-template"),
    path("surveys/<int:pk>/progress/", views.progress, name="progress"),
    path("surveys/<int:pk>/progress.json", views.progress_json, name="progress-json"),
    path("surveys/<int:pk>/progress.xlsx", views.progress_export, name="progress-export"),
]
