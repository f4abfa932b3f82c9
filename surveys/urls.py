"""Survey pages: the public questionnaire under /survey/<code>/, the staff pages under /surveys/."""

from django.urls import path

from .views import answering, campaigns, invitations, paper, progress, review

app_name = "surveys"

# Included at the project root: the public addresses are part of letters already printed.
urlpatterns = [
    path("survey/<str:code>/", answering.answer, name="answer"),
    path("survey/<str:code>/part/<int:step>/", answering.answer_page, name="answer-page"),
    path("survey/<str:code>/review/", answering.answer_review, name="answer-review"),
    path("survey/<str:code>/thanks/", answering.answer_done, name="answer-done"),
    path("surveys/", campaigns.campaign_list, name="campaign-list"),
    path("surveys/new/", campaigns.campaign_create, name="campaign-create"),
    path("surveys/<int:pk>/", campaigns.campaign_detail, name="campaign-detail"),
    path("surveys/<int:pk>/weights/", campaigns.campaign_weights, name="campaign-weights"),
    path("surveys/<int:pk>/status/<str:action>/", campaigns.campaign_status, name="campaign-status"),
    path("surveys/<int:pk>/invitations/", invitations.invitation_list, name="invitation-list"),
    path("surveys/<int:pk>/invitations/add/", invitations.invitation_add, name="invitation-add"),
    path("surveys/<int:pk>/invitations/letters.xlsx", invitations.invitation_letters, name="invitation-letters"),
    path("surveys/<int:pk>/invitations/do/<str:action>/", invitations.invitation_action, name="invitation-action"),
    path(
        "surveys/<int:pk>/invitations/<int:invitation_id>/remove/",
        invitations.invitation_remove,
        name="invitation-remove",
    ),
    path(
        "surveys/<int:pk>/invitations/<int:invitation_id>/new-code/",
        invitations.invitation_regenerate,
        name="invitation-regenerate",
    ),
    path("surveys/<int:pk>/review/", review.review_list, name="review-list"),
    path("surveys/<int:pk>/review/<int:response_id>/", review.review_decide, name="review-decide"),
    path("surveys/<int:pk>/paper/", paper.paper, name="paper"),
    path("surveys/<int:pk>/paper/template.xlsx", paper.paper_template, name="paper-template"),
    path("surveys/<int:pk>/progress/", progress.progress, name="progress"),
    path("surveys/<int:pk>/progress.json", progress.progress_json, name="progress-json"),
    path("surveys/<int:pk>/progress.xlsx", progress.progress_export, name="progress-export"),
]
