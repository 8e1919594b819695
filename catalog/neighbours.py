"""An entity's relations, grouped by type for its page, with what each points at."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Window
from django.db.models.fields.json import KT
from django.db.models.functions import RowNumber

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
    total: int  # may be more than the neighbours shown

    @property
    def more(self) -> int:
        return self.total - len(self.neighbours)


def relation_groups(ref: str, per_type: int = 20) -> list[RelationGroup]:
    """Every relation type of `ref` with its first targets and how many there are:
    two queries, however many relations (a team may own thousands)."""
    rows = (
        Relation.objects.filter(source_ref=ref)
        .values("type", "target_ref")
        .annotate(declared=Count("pk"))  # both ends may declare one pair: group
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("type")], order_by="target_ref"),
            total=Window(Count("*"), partition_by=[F("type")]),
        )
        .filter(rank__lte=per_type)
        .values_list("type", "target_ref", "total")
    )
    shown: dict[str, list[str]] = defaultdict(list)
    totals: dict[str, int] = {}
    for type_, target, total in rows:
        shown[type_].append(target)
        totals[type_] = total
    found = describe({target for targets in shown.values() for target in targets})
    return [
        RelationGroup(
            type_,
            LABELS.get(type_, type_),
            [found.get(t) or _missing(t) for t in sorted(targets)],
            totals[type_],
        )
        for type_, targets in sorted(
            shown.items(), key=lambda item: (ORDER.get(item[0], 99), item[0])
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
