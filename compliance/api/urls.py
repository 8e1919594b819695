"""The compliance API routes, under /api/compliance/ (see portal/urls.py)."""

from __future__ import annotations

from django.urls import path

from compliance.api import views
from core.api.base import api

app_name = "compliance-api"

urlpatterns = [
    path("catalog", api(views.CatalogAtApi), name="catalog-at"),
    path(
        "entities/<str:kind>/<str:namespace>/<str:name>",
        api(views.EntityAtApi),
        name="entity-at",
    ),
    path("diff", api(views.DiffApi), name="diff"),
    path("scorecards", api(views.ScorecardsApi), name="scorecards"),
    path("scorecards/<str:card>", api(views.ScorecardApi), name="scorecard"),
    path(
        "scorecards/<str:card>/entities",
        api(views.ScoresApi),
        name="scores",
    ),
    path(
        "scores/<str:kind>/<str:namespace>/<str:name>",
        api(views.EntityScoresApi),
        name="entity-scores",
    ),
    path("coverage", api(views.CoverageApi), name="coverage"),
    path("repositories", api(views.RepositoriesApi), name="repositories"),
    path("coverage/<str:check>", api(views.CheckApi), name="check"),
]
