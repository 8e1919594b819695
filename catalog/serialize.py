"""Entities in the shape Backstage's catalog API returns, assembled per page.

The processed entity is stored; its relations and processing errors are added here
with one query each for a whole page of entities, never one per entity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from catalog.models import Entity, ProcessingError, Relation

PROCESSING_ERROR_TYPE = "backstage.io/catalog-processing"


def entity_json(entities: Sequence[Entity]) -> list[dict[str, Any]]:
    """The API body of each entity, in order: two queries, whatever the count."""
    refs = [entity.ref for entity in entities]
    relations: dict[str, dict[tuple[str, str], None]] = defaultdict(dict)
    rows = (
        Relation.objects.filter(source_ref__in=refs)
        .order_by("source_ref", "type", "target_ref")
        .values_list("source_ref", "type", "target_ref")
    )
    for source, type_, target in rows:
        relations[source][(type_, target)] = None  # both sides may declare a pair
    errors: dict[str, list[dict[str, Any]]] = defaultdict(list)
    problems = (
        ProcessingError.objects.filter(entity_ref__in=refs)
        .order_by("id")
        .values_list("entity_ref", "level", "message")
    )
    for ref, level, message in problems:
        errors[ref].append(_status_item(level, message))
    return [_body(e, list(relations[e.ref]), errors.get(e.ref)) for e in entities]


def _body(
    entity: Entity,
    relations: list[tuple[str, str]],
    errors: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    body = dict(entity.processed)
    body["metadata"] = {
        **body["metadata"],
        "uid": str(entity.uid),
        "etag": entity.etag,
    }
    body["relations"] = [{"type": t, "targetRef": target} for t, target in relations]
    if errors:
        body["status"] = {"items": errors}
    return body


def _status_item(level: str, message: str) -> dict[str, Any]:
    return {
        "type": PROCESSING_ERROR_TYPE,
        "level": level,
        "message": f"InputError: {message}",
        "error": {"name": "InputError", "message": message},
    }


def served(entity: Entity) -> dict[str, Any]:
    """One entity's API body (a page of one)."""
    return entity_json([entity])[0]
