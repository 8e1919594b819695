from __future__ import annotations

from typing import Any

from django.apps import AppConfig

from core import tabs


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Software catalog"

    def ready(self) -> None:
        register_tabs()


def is_api(entity: Any) -> bool:
    """The Definition tab shows an API entity's definition."""
    return bool(entity.kind.lower() == "api")


def register_tabs() -> None:
    """The catalog's own entity tabs, ordered in tens so that the other apps'
    tabs can go between them."""
    from catalog.views import apidef, entity, graph  # views need the app registry

    for tab in (
        tabs.EntityTab(
            "definition",
            "Definition",
            10,
            apidef.EntityDefinitionPage.as_view(),
            is_api,
        ),
        tabs.EntityTab("graph", "Graph", 30, graph.EntityGraphPage.as_view()),
        tabs.EntityTab("history", "History", 40, entity.EntityHistoryPage.as_view()),
        tabs.EntityTab("yaml", "YAML", 60, entity.EntityYamlPage.as_view()),
    ):
        tabs.register(tab)
