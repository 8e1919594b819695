from __future__ import annotations

from django.urls import path

from discovery import views

app_name = "discovery"

urlpatterns = [
    path("", views.SourceListPage.as_view(), name="list"),
    path("<slug:name>", views.SourceDetailPage.as_view(), name="detail"),
    path("<slug:name>/run", views.SourceRunAction.as_view(), name="run"),
]
