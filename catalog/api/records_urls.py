"""Greenroom's own API routes beside Backstage's, under /api/ (see
portal/urls.py): the OpenAPI schema and its explorer, and what crawls recorded
(catalog/api/crawl_records.py)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from catalog.api import crawl_records
from catalog.views.apidef import SchemaExplorerPage
from core.api.base import api

app_name = "greenroom-api"

urlpatterns = [
    path("schema/", api(SpectacularAPIView), name="schema"),
    path("schema/explorer/", SchemaExplorerPage.as_view(), name="schema-explorer"),
    path(
        "entities/<str:kind>/<str:namespace>/<str:name>/history",
        api(crawl_records.EntityHistoryApi),
        name="entity-history",
    ),
    path("errors", api(crawl_records.ProcessingErrorListApi), name="errors"),
    path(
        "locations/<str:uid>/crawls",
        api(crawl_records.LocationCrawlsApi),
        name="location-crawls",
    ),
]
