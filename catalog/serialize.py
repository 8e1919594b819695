"""Entities in the shape Backstage's catalog API returns, assembled per page.

The processed entity is stored; its relations and processing errors are added here
with one query each for a whole page of entities, never one per entity. The result
is kept as JSON text per etag (EntityBody), so the API mostly sends stored text.

Stored bodies are whole: built as the system sees them. Someone from whom a
restricted entity is hidden (catalog/visibility.py) gets the bodies that name its
relations built again without them, and not stored.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, connection, connections, router, transaction
from django.db.models import F, QuerySet

from catalog import visibility
from catalog.models import Entity, EntityBody, ProcessingError, Relation

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


def with_bodies(entities: QuerySet[Entity]) -> QuerySet[Entity]:
    """The rows `served_texts` needs: id, ref, etag and the stored body, nothing
    else (the other columns are read only for bodies built again)."""
    return (
        entities.only("id", "ref", "etag")
        .annotate(body_etag=F("body__etag"), body_text=F("body__text"))
        .order_by(*entities.query.order_by)  # not Entity's default ordering
    )


def served_texts(entities: Sequence[Entity]) -> dict[int, str]:
    """Each entity's API body as JSON text, by id (rows from `with_bodies`).

    Stored bodies whose etag is the entity's are used as they are; the others are
    built with `entity_json` (three queries, whatever their number) and stored. An
    entity removed meanwhile is left out.
    """
    texts = {
        e.pk: e.body_text  # type: ignore[attr-defined]
        for e in entities
        if getattr(e, "body_etag", None) == e.etag
    }
    stale = [e.pk for e in entities if e.pk not in texts]
    if stale:
        texts |= _build(stale)
    return texts | _without_hidden({e.pk: e.ref for e in entities})


def served_text(column: str, value: Any) -> str | None:
    """One entity's body by `ref` or `uid` (None: not there): one SQL statement
    when its stored body is current. The API's busiest read (by name) sends this
    without building a query through the ORM, which cost more than the query."""
    if column not in ("ref", "uid"):
        raise ValueError(column)
    viewer = visibility.current()
    with connections[router.db_for_read(Entity)].cursor() as cursor:
        cursor.execute(
            "SELECT e.id, e.etag, b.etag, b.text, e.restricted, e.owner_ref, e.ref "
            f"FROM {Entity._meta.db_table} e LEFT JOIN {EntityBody._meta.db_table} b "
            f"ON b.entity_id = e.id WHERE e.{column} = %s",
            [Entity._meta.get_field(column).get_db_prep_value(value, connection)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    pk, etag, body_etag, text, restricted, owner_ref, ref = row
    if not viewer.sees(restricted, owner_ref):
        return None
    if body_etag != etag:
        text = _build([pk]).get(pk)
    if text is not None and viewer.hides_anything():
        text = _without_hidden({pk: ref}).get(pk, text)
    return text


def _without_hidden(refs: dict[int, str]) -> dict[int, str]:
    """The bodies (by id) of those entities that name relations of entities
    hidden from the current viewer, built again without them (not stored)."""
    viewer = visibility.current()
    if not refs or not viewer.hides_anything():
        return {}
    naming = set(
        Relation.every.filter(
            source_ref__in=list(refs.values()), origin_id__in=viewer.hidden_ids()
        ).values_list("source_ref", flat=True)
    )
    if not naming:
        return {}
    rows = list(
        Entity.objects.filter(pk__in=[pk for pk, ref in refs.items() if ref in naming])
    )
    return {
        e.pk: _compact_json(body)
        for e, body in zip(rows, entity_json(rows), strict=True)
    }


@visibility.system()  # stored bodies are whole: see the module's docstring
def _build(ids: list[int]) -> dict[int, str]:
    rows = list(Entity.objects.filter(pk__in=ids).defer("descriptor"))
    texts = [_compact_json(body) for body in entity_json(rows)]
    bodies = [
        EntityBody(entity_id=e.pk, etag=e.etag, text=text)
        for e, text in zip(rows, texts, strict=True)
    ]
    try:
        with transaction.atomic():
            EntityBody.objects.bulk_create(
                bodies,
                update_conflicts=True,
                unique_fields=["entity"],
                update_fields=["etag", "text"],
            )
    except IntegrityError:
        pass  # removed meanwhile: served from what was read, stored by no one
    return {body.entity_id: body.text for body in bodies}


def _compact_json(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
