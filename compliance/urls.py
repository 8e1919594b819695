from __future__ import annotations

from django.urls import path

from compliance import history_views, scorecard_views, views
from core.api.base import api

app_name = "compliance"

urlpatterns = [
    path("compliance/", views.CoverageView.as_view(), name="coverage"),
    path(
        "compliance/coverage/<str:check>",
        views.CheckListView.as_view(),
        name="check",
    ),
    path(
        "compliance/scorecards/",
        scorecard_views.ScorecardsView.as_view(),
        name="scorecards",
    ),
    path(
        "compliance/scorecards/<str:card>",
        scorecard_views.ScorecardView.as_view(),
        name="scorecard",
    ),
    path(
        "compliance/scorecards/<str:card>/entities",
        scorecard_views.ScoreListView.as_view(),
        name="scores",
    ),
    path("compliance/history", history_views.CatalogAtView.as_view(), name="history"),
    path(
        "compliance/history/<str:kind>/<str:namespace>/<str:name>",
        history_views.EntityAtView.as_view(),
        name="entity-at",
    ),
    path("compliance/diff", history_views.DiffView.as_view(), name="diff"),
    path("api/compliance/catalog", api(history_views.CatalogAtApiView), name="api-at"),
    path(
        "api/compliance/entities/<str:kind>/<str:namespace>/<str:name>",
        api(history_views.EntityAtApiView),
        name="api-entity-at",
    ),
    path("api/compliance/diff", api(history_views.DiffApiView), name="api-diff"),
    path(
        "api/compliance/scorecards",
        api(scorecard_views.ScorecardsApiView),
        name="api-scorecards",
    ),
    path(
        "api/compliance/scorecards/<str:card>",
        api(scorecard_views.ScorecardApiView),
        name="api-scorecard",
    ),
    path(
        "api/compliance/scorecards/<str:card>/entities",
        api(scorecard_views.ScoresApiView),
        name="api-scores",
    ),
    path(
        "api/compliance/scores/<str:kind>/<str:namespace>/<str:name>",
        api(scorecard_views.EntityScoresApiView),
        name="api-entity-scores",
    ),
    path("api/compliance/coverage", api(views.CoverageApiView), name="api-coverage"),
    path(
        "api/compliance/coverage/<str:check>",
        api(views.CheckApiView),
        name="api-check",
    ),
]
