"""What every entity page shares: finding the entity, its header and its tabs."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.views.generic.base import ContextMixin

from catalog.models import Entity
from catalog.refs_display import entity_url, full_ref
from core import tabs


def entity_or_404(namespace: str, kind: str, name: str) -> Entity:
    ref = f"{kind}:{namespace}/{name}".lower()  # refs compare case-insensitively
    entity = Entity.objects.select_related("location").filter(ref=ref).first()
    if entity is None:
        raise Http404(f"No entity {ref} in the catalog")
    return entity


def entity_tabs(entity: Entity, active: str) -> list[dict[str, Any]]:
    """Overview (the entity page itself), then the tabs the apps registered
    (core/tabs.py) that this entity has."""
    shown = [("", "Overview")] + [(t.slug, t.label) for t in tabs.shown_for(entity)]
    return [
        {"url": entity_url(entity.ref, slug), "label": label, "active": slug == active}
        for slug, label in shown
    ]


class EntityMixin(ContextMixin):
    """Loads `self.entity` from the address and adds the header and tabs."""

    tab = ""
    kwargs: dict[str, Any]

    def setup(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)  # type: ignore[misc]
        self.entity = entity_or_404(kwargs["namespace"], kwargs["kind"], kwargs["name"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["entity"] = self.entity
        context["meta"] = self.entity.processed.get("metadata", {})
        context["spec"] = self.entity.processed.get("spec") or {}
        context["tabs"] = entity_tabs(self.entity, self.tab)
        system = context["spec"].get("system")
        context["system_ref"] = (
            full_ref(system, default_kind="system") if isinstance(system, str) else None
        )
        return context
