from __future__ import annotations

from django.urls import path

from techdocs import views

app_name = "techdocs"

urlpatterns = [
    path("", views.DocsIndexView.as_view(), name="index"),
    path("search", views.DocsSearchView.as_view(), name="search"),
    path(
        "<str:namespace>/<str:kind>/<str:name>/", views.DocsView.as_view(), name="home"
    ),
    path(
        "<str:namespace>/<str:kind>/<str:name>/<path:path>",
        views.DocsView.as_view(),
        name="page",
    ),
]
