"""Reading entities: stored JSON, assembled a page at a time (catalog/serialize.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db.models import F, OuterRef, QuerySet, Subquery

from catalog.api.params import Order
from catalog.api.projection import project
from catalog.filters import filter_entities
from catalog.models import Entity, EntityField
from catalog.serialize import entity_json

CHUNK = 500


def matching(filters: list[str]) -> QuerySet[Entity]:
    return filter_entities(Entity.objects.defer("descriptor"), filters)


def ordered(entities: QuerySet[Entity], orders: list[Order]) -> QuerySet[Entity]:
    """Sorted by field values (missing last, as Backstage), then by internal id."""
    keys = []
    for index, order in enumerate(orders):
        name = f"order_{index}"
        value = EntityField.objects.filter(entity=OuterRef("pk"), key=order.field)
        entities = entities.annotate(**{name: Subquery(value.values("value")[:1])})
        column = F(name)
        keys.append(
            column.desc(nulls_last=True)
            if order.descending
            else column.asc(nulls_last=True)
        )
    return entities.order_by(*keys, "pk")


def bodies(entities: list[Entity], fields: list[str]) -> list[dict[str, Any]]:
    return [project(body, fields) for body in entity_json(entities)]


def stream(entities: QuerySet[Entity], fields: list[str]) -> Iterator[bytes]:
    """A JSON array of every entity, a chunk of rows (and queries) at a time."""
    yield b"["
    first = True
    start = 0
    while True:
        chunk = list(entities[start : start + CHUNK])
        for body in bodies(chunk, fields):
            yield (b"" if first else b",") + json.dumps(body).encode()
            first = False
        if len(chunk) < CHUNK:
            break
        start += CHUNK
    yield b"]"
