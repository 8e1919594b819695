"""Backstage's `filter` language and facet counts over the catalog.

`filter` may repeat: the repeats are OR-ed. Inside one, comma-separated conditions
are AND-ed, and the same key repeated inside one is an OR over its values. A
condition is `key` (exists) or `key=value` (equal after lower-casing both). Keys
are dotted paths of the entity's JSON (catalog/fields.py), or `relations.<type>`,
which reads the relation table itself.

Plain functions of (queryset, params) -> queryset, shared by the pages and the API.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from catalog.models import Entity, EntityField, Relation

RELATIONS = "relations."

Condition = tuple[str, str | None]


class FilterError(ValueError):
    """A filter that cannot be read; the message says what is wrong."""


def parse_filter(text: str) -> list[Condition]:
    """One `filter` parameter: its AND-ed conditions, keys and values lower-cased."""
    conditions = []
    for part in text.split(","):
        key, equals, value = part.partition("=")
        key = key.strip().lower()
        if not key:
            raise FilterError(f"filter {text!r} has a condition with an empty key")
        conditions.append((key, value.strip().lower() if equals else None))
    return conditions


def filter_entities(
    entities: QuerySet[Entity], filters: Sequence[str]
) -> QuerySet[Entity]:
    """Entities matching any of the `filter` parameters (none given: all)."""
    if not filters:
        return entities
    match = Q()
    for text in filters:
        match |= _all_of(parse_filter(text))
    return entities.filter(match)


def _all_of(conditions: list[Condition]) -> Q:
    by_key: dict[str, list[str | None]] = defaultdict(list)
    for key, value in conditions:
        by_key[key].append(value)
    match = Q()
    for key, values in by_key.items():
        match &= _any_value(key, values)
    return match


def _any_value(key: str, values: list[str | None]) -> Q:
    wanted = [v for v in values if v is not None]
    exists_only = len(wanted) < len(values)  # `key` alone matches any value
    if key.startswith(RELATIONS):
        rows: QuerySet[Any] = Relation.objects.filter(
            source_ref=OuterRef("ref"), type__iexact=key.removeprefix(RELATIONS)
        )
        if not exists_only:
            rows = rows.filter(target_ref__in=wanted)
    else:
        rows = EntityField.objects.filter(entity=OuterRef("pk"), key=key)
        if not exists_only:
            rows = rows.filter(value__in=wanted)
    return Q(Exists(rows))


def facets(
    entities: QuerySet[Entity], fields: Iterable[str]
) -> dict[str, list[dict[str, Any]]]:
    """Value counts per field for the given entities: one query per field.

    Keys echo the requested spelling; values are as written; sorted by value.
    """
    result = {}
    for field in fields:
        key = field.strip().lower()
        if not key:
            raise FilterError("a facet needs a field name")
        if key.startswith(RELATIONS):
            rows = (
                Relation.objects.filter(
                    source_ref__in=entities.values("ref"),
                    type__iexact=key.removeprefix(RELATIONS),
                )
                .values_list("target_ref")
                .annotate(count=Count("source_ref", distinct=True))
            )
        else:
            rows = EntityField.objects.filter(key=key)
            if entities.query.has_filters():  # every entity: no need to join
                rows = rows.filter(entity__in=entities.values("pk"))
            # flatten() writes one row per (entity, key, value): no DISTINCT needed.
            rows = (
                rows.exclude(original=None)
                .values_list("original")
                .annotate(count=Count("entity"))
            )
        counted = sorted(rows.order_by(), key=lambda row: row[0])
        result[field] = [{"value": value, "count": count} for value, count in counted]
    return result
