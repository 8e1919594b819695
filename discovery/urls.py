from __future__ import annotations

from django.urls import path

from discovery import views

app_name = "discovery"

urlpatterns = [
    path("", views.SourceListPage.as_view(), name="list"),
    path("<slug:name>", views.SourceDetailPage.as_view(), name="detail"),
    path("<slug:name>/run", views.SourceRunAction.as_view(), name="run"),
    path(
        "<slug:name>/repositories/<int:pk>",
        views.RepositoryPage.as_view(),
        name="repository",
    ),
    path(
        "<slug:name>/repositories/<int:pk>/request",
        views.RequestAction.as_view(),
        name="request",
    ),
]
