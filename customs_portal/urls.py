from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from customs_portal import views as portal_views
from directory import account_views
from directory import views as directory_views
from feedback.cases.api import CaseViewSet
from feedback.declarations.api import DeclarationViewSet
from inquiries.api import InquiryViewSet

api_router = DefaultRouter()
api_router.register("declarations", DeclarationViewSet, basename="declaration")
api_router.register("cases", CaseViewSet, basename="case")
api_router.register("inquiries", InquiryViewSet, basename="inquiry")

urlpatterns = [
    # The API first: the declaration software's calls (a rating right after clearance) are the portal's
    # busiest requests, and behind the "" includes below each one was matched against every page's pattern.
    path("api/v1/", include(api_router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI (third-party) injects its own style elements: on this page alone styles may be inline.
    # Its scripts are still files from this server (the split view serves its start-up script too).
    path(
        "api/docs/",
        csp_update({"style-src": [SELF, UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("", portal_views.home, name="home"),
    path("healthz", directory_views.healthz, name="healthz"),
    path("language/", directory_views.set_language, name="set-language"),
    path("account/", directory_views.account, name="account"),
    path("account/tokens/", directory_views.api_tokens, name="api-tokens"),
    path("account/tokens/<int:token_id>/revoke/", directory_views.revoke_token, name="api-token-revoke"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("accounts/password_change/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "accounts/invitation/<uidb64>/<token>/", account_views.AcceptInvitationView.as_view(), name="invitation-accept"
    ),
    path("account/invite/", account_views.invite, name="invite"),
    path("account/sessions/", account_views.sessions, name="sessions"),
    path("account/sessions/end/", account_views.end_sessions, name="sessions-end"),
    path("", include("feedback.urls")),
    path("", include("inquiries.urls")),
    path("", include("surveys.urls")),
    path("", include("reports.urls")),
    path("", include("charter.urls")),
    path("", include("cdci.urls")),
    path("admin/", admin.site.urls),
]
handler400 = "customs_portal.errors.bad_request"
handler404 = "customs_portal.errors.not_found"
