"""The tabs of an entity's page: each app registers its own in `AppConfig.ready()`.

The catalog's entity page shows the registered tabs and routes their addresses
(`/catalog/<namespace>/<kind>/<name>/<slug>`) without knowing which app serves
them: techdocs adds Docs, compliance Scorecards, and an app left out of
INSTALLED_APPS simply has no tab.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import AppRegistryNotReady
from django.http import HttpResponseBase
from django.urls import URLPattern, path


def every_entity(entity: Any) -> bool:
    """The tab is shown on every entity's page."""
    return True


@dataclass(frozen=True)
class EntityTab:
    slug: str  # the address below the entity page's, and the view's `tab`
    label: str
    order: int  # left to right, after Overview (the entity page itself)
    view: Callable[..., HttpResponseBase]
    # Given the catalog's Entity: whether this entity has the tab.
    shown: Callable[[Any], bool] = every_entity


_registered: dict[str, EntityTab] = {}


def register(tab: EntityTab) -> None:
    """Adds `tab`; registering its slug again replaces it, so that a ready() run
    twice (as tests may) leaves one tab, not two at the same address."""
    _registered[tab.slug] = tab


def registered() -> list[EntityTab]:
    """Every tab, in the order shown."""
    return sorted(_registered.values(), key=lambda tab: (tab.order, tab.slug))


def shown_for(entity: Any) -> list[EntityTab]:
    """The tabs of this entity's page, in the order shown."""
    return [tab for tab in registered() if tab.shown(entity)]


def routes(entity_address: str) -> list[URLPattern]:
    """Each tab's page at `<entity_address>/<slug>`, named `entity-<slug>`.

    Refused before every app's ready() has run: routes built then would
    silently miss the tabs registered later."""
    if not apps.ready:
        raise AppRegistryNotReady("Entity tabs are routed once every app is ready")
    return [
        path(f"{entity_address}/{tab.slug}", tab.view, name=f"entity-{tab.slug}")
        for tab in registered()
    ]
