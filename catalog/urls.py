"""Pages, at Backstage's addresses so that links people already have keep working."""

from __future__ import annotations

from django.urls import path
from django.views.generic import RedirectView

from catalog.views import apidef, browse, entity, graph, locations, register, tokens

app_name = "catalog"

ENTITY = "catalog/<str:namespace>/<str:kind>/<str:name>"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="catalog:entity-list"), name="home"),
    path("catalog", browse.EntityListView.as_view(), name="entity-list"),
    path("search", browse.SearchView.as_view(), name="search"),
    path(ENTITY, entity.EntityDetailView.as_view(), name="entity-detail"),
    path(f"{ENTITY}/graph", graph.EntityGraphView.as_view(), name="entity-graph"),
    path(
        f"{ENTITY}/definition",
        apidef.EntityDefinitionView.as_view(),
        name="entity-definition",
    ),
    path(
        f"{ENTITY}/definition/explorer",
        apidef.DefinitionExplorerView.as_view(),
        name="entity-definition-explorer",
    ),
    path(
        f"{ENTITY}/definition/raw",
        apidef.DefinitionRawView.as_view(),
        name="entity-definition-raw",
    ),
    path(
        f"{ENTITY}/history", entity.EntityHistoryView.as_view(), name="entity-history"
    ),
    path(f"{ENTITY}/yaml", entity.EntityYamlView.as_view(), name="entity-yaml"),
    path("catalog-import", register.RegisterView.as_view(), name="register"),
    path("settings/tokens", tokens.TokenListView.as_view(), name="tokens"),
    path("locations", locations.LocationListView.as_view(), name="location-list"),
    path(
        "locations/<int:pk>",
        locations.LocationDetailView.as_view(),
        name="location-detail",
    ),
    path(
        "locations/<int:pk>/refresh",
        locations.LocationRefreshView.as_view(),
        name="location-refresh",
    ),
    path(
        "locations/<int:pk>/unregister",
        locations.LocationUnregisterView.as_view(),
        name="location-unregister",
    ),
]
