from __future__ import annotations

from django.urls import path

from catalog.api.urls import api
from compliance import views

app_name = "compliance"

urlpatterns = [
    path("compliance/", views.CoverageView.as_view(), name="coverage"),
    path(
        "compliance/coverage/<str:check>",
        views.CheckListView.as_view(),
        name="check",
    ),
    path("api/compliance/coverage", api(views.CoverageApiView), name="api-coverage"),
    path(
        "api/compliance/coverage/<str:check>",
        api(views.CheckApiView),
        name="api-check",
    ),
]
