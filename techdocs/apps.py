from __future__ import annotations

from typing import Any

from django.apps import AppConfig

from core import tabs


class TechdocsConfig(AppConfig):
    name = "techdocs"
    verbose_name = "TechDocs"

    def ready(self) -> None:
        from techdocs.views import DocsTabPage  # views need the app registry

        tabs.register(
            tabs.EntityTab("docs", "Docs", 20, DocsTabPage.as_view(), documented)
        )


def documented(entity: Any) -> bool:
    """The Docs tab is for the entities that name their docs."""
    from techdocs.source import ANNOTATION  # it imports models: not before ready()

    metadata = entity.processed.get("metadata") or {}
    return bool((metadata.get("annotations") or {}).get(ANNOTATION))
