"""An entity's relations, grouped by type for its page, with what each points at."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models.fields.json import KT

from catalog.models import Entity, Relation

# Backstage's relation types, in the order and words a person reads them.
LABELS = {
    "ownedBy": "Owner",
    "ownerOf": "Owns",
    "partOf": "Part of",
    "hasPart": "Has parts",
    "dependsOn": "Depends on",
    "dependencyOf": "Dependency of",
    "providesApi": "Provides APIs",
    "apiProvidedBy": "Provided by",
    "consumesApi": "Consumes APIs",
    "apiConsumedBy": "Consumed by",
    "childOf": "Parent group",
    "parentOf": "Child groups",
    "memberOf": "Member of",
    "hasMember": "Members",
}
ORDER = {name: position for position, name in enumerate(LABELS)}


@dataclass(frozen=True, slots=True)
class Neighbour:
    ref: str
    kind: str
    title: str
    missing: bool


@dataclass(frozen=True, slots=True)
class RelationGroup:
    type: str
    label: str
    neighbours: list[Neighbour]


def relation_groups(ref: str, limit: int = 500) -> list[RelationGroup]:
    """Every relation of `ref`, grouped by type: two queries, whatever the count."""
    rows = list(
        Relation.objects.filter(source_ref=ref)
        .order_by("type", "target_ref")
        .values_list("type", "target_ref")
        .distinct()[:limit]
    )
    found = describe({target for _, target in rows})
    by_type: dict[str, list[Neighbour]] = defaultdict(list)
    for type_, target in rows:
        by_type[type_].append(found.get(target) or _missing(target))
    return [
        RelationGroup(type_, LABELS.get(type_, type_), neighbours)
        for type_, neighbours in sorted(
            by_type.items(), key=lambda item: (ORDER.get(item[0], 99), item[0])
        )
    ]


def describe(refs: set[str]) -> dict[str, Neighbour]:
    """Title and kind of each ref found in the catalog, in one query."""
    rows = (
        Entity.objects.filter(ref__in=refs)
        .annotate(title=KT("processed__metadata__title"), label=KT("processed__kind"))
        .values_list("ref", "name", "title", "label")
    )
    return {
        ref: Neighbour(ref, label, title or name, missing=False)
        for ref, name, title, label in rows
    }


def _missing(ref: str) -> Neighbour:
    kind, _, rest = ref.partition(":")
    return Neighbour(ref, kind.capitalize(), rest.partition("/")[2], missing=True)


def group_for(groups: list[RelationGroup], type_: str) -> list[Neighbour]:
    return next((g.neighbours for g in groups if g.type == type_), [])


def as_dict(groups: list[RelationGroup]) -> dict[str, Any]:
    return {g.type: g.neighbours for g in groups}
