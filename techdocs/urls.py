from __future__ import annotations

from django.urls import path

from techdocs import views

app_name = "techdocs"

urlpatterns = [
    path("", views.DocsIndexPage.as_view(), name="index"),
    path("search", views.DocsSearchPage.as_view(), name="search"),
    path(
        "<str:namespace>/<str:kind>/<str:name>/",
        views.DocsSitePage.as_view(),
        name="home",
    ),
    path(
        "<str:namespace>/<str:kind>/<str:name>/<path:path>",
        views.DocsSitePage.as_view(),
        name="page",
    ),
]
