"""The list columns of an entity (EntitySummary), cut to their column sizes.

Facet columns (kind, namespace, type, lifecycle, system) are lower-cased: Backstage
compares them case-insensitively, and plain equality keeps the queries simple.
"""

from __future__ import annotations

from typing import Any

from catalog.models import Entity, EntitySummary


def _text(value: Any, size: int) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return ""
    text = str(value)
    return text if len(text) <= size else text[: size - 1] + "…"


def summarize(entity: Entity) -> EntitySummary:
    return EntitySummary(entity=entity, **summary_fields(entity))


def summary_fields(entity: Any) -> dict[str, Any]:
    """The summary's columns for an entity row (also used by migration 0004)."""
    metadata = entity.processed.get("metadata") or {}
    spec = entity.processed.get("spec") or {}
    return {
        "ref": entity.ref,
        "kind": entity.kind.lower(),
        "namespace": entity.namespace.lower(),
        "name": entity.name,
        "owner_ref": entity.owner_ref,
        "title": _text(metadata.get("title"), 200),
        "description": _text(metadata.get("description"), 300),
        "type": _text(spec.get("type"), 200).lower(),
        "lifecycle": _text(spec.get("lifecycle"), 200).lower(),
        "system": _text(spec.get("system"), 200).lower(),
        "updated_at": entity.updated_at,
    }


def write_summaries(new: list[Entity], changed: list[Entity]) -> None:
    """Replace the summaries of changed entities, add those of new ones."""
    if changed:
        EntitySummary.objects.filter(entity__in=[e.pk for e in changed]).delete()
    EntitySummary.objects.bulk_create([summarize(e) for e in new + changed])
