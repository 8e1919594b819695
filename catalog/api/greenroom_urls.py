"""Greenroom's own API routes, under /api/ (see portal/urls.py)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from catalog.api import greenroom
from catalog.views.apidef import SchemaExplorerView
from core.api.base import api

app_name = "greenroom-api"

urlpatterns = [
    path("schema/", api(SpectacularAPIView), name="schema"),
    path("schema/explorer/", SchemaExplorerView.as_view(), name="schema-explorer"),
    path(
        "entities/<str:kind>/<str:namespace>/<str:name>/history",
        api(greenroom.EntityHistoryView),
        name="entity-history",
    ),
    path("errors", api(greenroom.ProcessingErrorListView), name="errors"),
    path(
        "locations/<str:uid>/crawls",
        api(greenroom.LocationCrawlsView),
        name="location-crawls",
    ),
]
