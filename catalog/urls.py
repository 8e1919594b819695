"""Pages, at Backstage's addresses so that links people already have keep working."""

from __future__ import annotations

from django.urls import path

from catalog.views import apidef, browse, entity, locations, register, tokens
from core import tabs

app_name = "catalog"

ENTITY = "catalog/<str:namespace>/<str:kind>/<str:name>"

urlpatterns = [
    path("catalog", browse.EntityListPage.as_view(), name="entity-list"),
    path(ENTITY, entity.EntityDetailPage.as_view(), name="entity-detail"),
    # The entity tabs every app registered in its ready() (core/tabs.py).
    *tabs.routes(ENTITY),
    path(
        f"{ENTITY}/definition/explorer",
        apidef.DefinitionExplorerPage.as_view(),
        name="entity-definition-explorer",
    ),
    path(
        f"{ENTITY}/definition/raw",
        apidef.DefinitionRawFile.as_view(),
        name="entity-definition-raw",
    ),
    path("catalog-import", register.RegisterPage.as_view(), name="register"),
    path("settings/tokens", tokens.TokenListPage.as_view(), name="tokens"),
    path("locations", locations.LocationListPage.as_view(), name="location-list"),
    path(
        "locations/<int:pk>",
        locations.LocationDetailPage.as_view(),
        name="location-detail",
    ),
    path(
        "locations/<int:pk>/refresh",
        locations.LocationRefreshAction.as_view(),
        name="location-refresh",
    ),
    path(
        "locations/<int:pk>/unregister",
        locations.LocationUnregisterPage.as_view(),
        name="location-unregister",
    ),
]
