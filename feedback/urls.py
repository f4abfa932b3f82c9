from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("", views.DeclarationListView.as_view(), name="declaration-list"),
    path("<str:number>/", views.DeclarationDetailView.as_view(), name="declaration-detail"),
    path("<str:number>/rate/", views.RateDeclarationView.as_view(), name="declaration-rate"),
]
