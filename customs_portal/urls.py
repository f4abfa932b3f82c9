from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from directory import views as directory_views
from feedback.api import DeclarationViewSet

api_router = DefaultRouter()
api_router.register("declarations", DeclarationViewSet, basename="declaration")

urlpatterns = [
    path("", directory_views.home, name="home"),
    path("healthz", directory_views.healthz, name="healthz"),
    path("language/", directory_views.set_language, name="set-language"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("declarations/", include("feedback.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
