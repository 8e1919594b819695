"""Backstage's catalog API routes, under /api/catalog/ (see portal/urls.py)."""

from __future__ import annotations

from django.urls import path

from catalog.api import views
from core.api.base import api

app_name = "catalog-api"

urlpatterns = [
    path("entities", api(views.EntityListView), name="entities"),
    path("entities/by-query", api(views.EntityQueryView), name="by-query"),
    path("entities/by-uid/<str:uid>", api(views.EntityByUidView), name="by-uid"),
    path(
        "entities/by-name/<str:kind>/<str:namespace>/<str:name>",
        api(views.EntityByNameView),
        name="by-name",
    ),
    path(
        "entities/by-name/<str:kind>/<str:namespace>/<str:name>/ancestry",
        api(views.EntityAncestryView),
        name="ancestry",
    ),
    path("entities/by-refs", api(views.EntitiesByRefsView), name="by-refs"),
    path("entity-facets", api(views.EntityFacetsView), name="facets"),
    path("refresh", api(views.RefreshView), name="refresh"),
    path("validate-entity", api(views.ValidateEntityView), name="validate-entity"),
    path("analyze-location", api(views.AnalyzeLocationView), name="analyze-location"),
    path("locations", api(views.LocationListView), name="locations"),
    path("locations/by-query", api(views.LocationQueryView), name="locations-by-query"),
    path(
        "locations/by-entity/<str:kind>/<str:namespace>/<str:name>",
        api(views.LocationByEntityView),
        name="location-by-entity",
    ),
    path("locations/<str:uid>", api(views.LocationDetailView), name="location"),
]
