"""Reading entities for the API: ids chosen in the index, then stored JSON text.

Queries choose entities by id alone (the field and relation indexes answer them
without touching the wide entity rows); the page's rows are then read with their
stored bodies (catalog/serialize.py), which go out as they are, without being
parsed and written again, unless `fields` asks for parts of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.http import HttpResponse

from catalog.api.entity_params import Order
from catalog.api.projection import project
from catalog.filters import filter_entities
from catalog.models import Entity, EntityField
from catalog.serialize import served_texts, with_bodies

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


def entities_with_bodies(ids: Iterable[int]) -> list[Entity]:
    """The entities with these ids, in this order (those still there), with bodies."""
    wanted = list(ids)
    by_id = {e.pk: e for e in with_bodies(Entity.objects.filter(pk__in=wanted))}
    return [by_id[pk] for pk in wanted if pk in by_id]


def json_by_id(entities: list[Entity], fields: list[str]) -> dict[int, str]:
    """Each entity's body as JSON text by id, reduced to `fields` when given."""
    served = served_texts(entities)
    if not fields:
        return served
    return {pk: dumps(project(json.loads(t), fields)) for pk, t in served.items()}


def json_array(items: Iterable[str]) -> str:
    """A JSON array from items that are JSON text already."""
    return "[" + ",".join(items) + "]"


def json_object(**encoded: str) -> str:
    """A JSON object from members that are JSON text already."""
    return "{" + ",".join(f"{dumps(k)}:{v}" for k, v in encoded.items()) + "}"


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def json_response(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, content_type="application/json", status=status)


def stream(entities: QuerySet[Entity], fields: list[str]) -> Iterator[bytes]:
    """A JSON array of every entity, a chunk of rows (and queries) at a time."""
    ids = entities.values_list("pk", flat=True)
    yield b"["
    first = True
    start = 0
    while True:
        page = list(ids[start : start + CHUNK])
        chunk = entities_with_bodies(page)
        found = json_by_id(chunk, fields)
        for entity in chunk:
            if entity.pk in found:
                yield (b"" if first else b",") + found[entity.pk].encode()
                first = False
        if len(page) < CHUNK:
            break
        start += CHUNK
    yield b"]"
