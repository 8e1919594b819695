"""Greenroom's own API routes, under /api/ (see portal/urls.py)."""

from __future__ import annotations

from django.urls import path

from catalog.api import greenroom
from catalog.api.urls import api

app_name = "greenroom-api"

urlpatterns = [
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
