from __future__ import annotations

from django.urls import path

from compliance import history_views, scorecard_views, views

app_name = "compliance"

urlpatterns = [
    path("compliance/", views.CoveragePage.as_view(), name="coverage"),
    path(
        "compliance/repositories",
        views.RepositoryListPage.as_view(),
        name="repositories",
    ),
    path(
        "compliance/coverage/<str:check>",
        views.CheckListPage.as_view(),
        name="check",
    ),
    path(
        "compliance/scorecards/",
        scorecard_views.ScorecardsPage.as_view(),
        name="scorecards",
    ),
    path(
        "compliance/scorecards/<str:card>",
        scorecard_views.ScorecardPage.as_view(),
        name="scorecard",
    ),
    path(
        "compliance/scorecards/<str:card>/entities",
        scorecard_views.ScoreListPage.as_view(),
        name="scores",
    ),
    path("compliance/history", history_views.CatalogAtPage.as_view(), name="history"),
    path(
        "compliance/history/<str:kind>/<str:namespace>/<str:name>",
        history_views.EntityAtPage.as_view(),
        name="entity-at",
    ),
    path("compliance/diff", history_views.DiffPage.as_view(), name="diff"),
]
