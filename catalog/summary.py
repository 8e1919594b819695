"""The list columns of an entity (EntitySummary), cut to their column sizes.

Facet columns (kind, namespace, type, lifecycle, system) are lower-cased: Backstage
compares them case-insensitively, and plain equality keeps the queries simple.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q

from catalog.models import Entity, EntitySummary, EntityTag, FacetSet

FACET_COLUMNS = ("kind", "namespace", "owner_ref", "type", "lifecycle", "system")
LOOKUP_BATCH = 500


def _clipped(value: Any, size: int) -> str:
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
        "title": _clipped(metadata.get("title"), 200),
        "description": _clipped(metadata.get("description"), 300),
        "type": _clipped(spec.get("type"), 200).lower(),
        "lifecycle": _clipped(spec.get("lifecycle"), 200).lower(),
        "system": _clipped(spec.get("system"), 200).lower(),
        "updated_at": entity.updated_at,
    }


def facet_key(summary: Any) -> tuple[str, ...]:
    return tuple(getattr(summary, column) for column in FACET_COLUMNS)


def attach_facet_sets(summaries: Sequence[Any], facet_sets: Any = FacetSet) -> None:
    """Point each summary at the FacetSet of its values, creating missing ones.

    `facet_sets` is the model (a migration passes its historical one). Concurrent
    crawls may create the same set: the unique constraint keeps one.
    """
    keys = sorted({facet_key(s) for s in summaries})
    facet_sets.objects.bulk_create(
        [facet_sets(**dict(zip(FACET_COLUMNS, key, strict=True))) for key in keys],
        ignore_conflicts=True,
    )
    ids: dict[tuple[str, ...], int] = {}
    for start in range(0, len(keys), LOOKUP_BATCH):
        match = Q()
        for key in keys[start : start + LOOKUP_BATCH]:
            match |= Q(**dict(zip(FACET_COLUMNS, key, strict=True)))
        for pk, *values in facet_sets.objects.filter(match).values_list(
            "pk", *FACET_COLUMNS
        ):
            ids[tuple(values)] = pk
    for summary in summaries:
        summary.facet_set_id = ids[facet_key(summary)]


def tags_of(entity: Any) -> list[str]:
    tags = (entity.processed.get("metadata") or {}).get("tags") or []
    return sorted({t.lower() for t in tags if isinstance(t, str) and len(t) <= 63})


def tag_rows(
    summaries: Sequence[Any], entities: Sequence[Any], tag_model: Any
) -> list[Any]:
    return [
        tag_model(entity_id=e.pk, facet_set_id=s.facet_set_id, tag=tag)
        for s, e in zip(summaries, entities, strict=True)
        for tag in tags_of(e)
    ]


def write_summaries(new: list[Entity], changed: list[Entity]) -> None:
    """Replace the summaries and tags of changed entities, add those of new ones."""
    if changed:
        ids = [e.pk for e in changed]
        EntitySummary.objects.filter(entity__in=ids).delete()
        EntityTag.objects.filter(entity__in=ids).delete()
    entities = new + changed
    summaries = [summarize(e) for e in entities]
    attach_facet_sets(summaries)
    EntitySummary.objects.bulk_create(summaries)
    EntityTag.objects.bulk_create(tag_rows(summaries, entities, EntityTag))
