"""Backstage's catalog API routes, under /api/catalog/ (see portal/urls.py)."""

from __future__ import annotations

from django.urls import path

from catalog.api import views
from core.api.base import api

app_name = "catalog-api"

urlpatterns = [
    path("entities", api(views.EntityListApi), name="entities"),
    path("entities/by-query", api(views.EntityQueryApi), name="by-query"),
    path("entities/by-uid/<str:uid>", api(views.EntityByUidApi), name="by-uid"),
    path(
        "entities/by-name/<str:kind>/<str:namespace>/<str:name>",
        api(views.EntityByNameApi),
        name="by-name",
    ),
    path(
        "entities/by-name/<str:kind>/<str:namespace>/<str:name>/ancestry",
        api(views.EntityAncestryApi),
        name="ancestry",
    ),
    path("entities/by-refs", api(views.EntitiesByRefsApi), name="by-refs"),
    path("entity-facets", api(views.EntityFacetsApi), name="facets"),
    path("refresh", api(views.RefreshApi), name="refresh"),
    path("validate-entity", api(views.ValidateEntityApi), name="validate-entity"),
    path("analyze-location", api(views.AnalyzeLocationApi), name="analyze-location"),
    path("locations", api(views.LocationListApi), name="locations"),
    path("locations/by-query", api(views.LocationQueryApi), name="locations-by-query"),
    path(
        "locations/by-entity/<str:kind>/<str:namespace>/<str:name>",
        api(views.LocationByEntityApi),
        name="location-by-entity",
    ),
    path("locations/<str:uid>", api(views.LocationDetailApi), name="location"),
]
