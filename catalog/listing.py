"""The catalog list: facet choices from the address -> entities, and facet counts.

Facets are disjunctive, as people expect: the counts of one facet are taken over
the entities that match every *other* chosen facet, so choosing `kind=API` still
shows how many Components there are. One query per facet, whatever the row count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.http import QueryDict

from catalog.filters import field_condition
from catalog.models import Entity, EntityField, ProcessingError


@dataclass(frozen=True, slots=True)
class Facet:
    param: str
    label: str
    column: str = ""  # an Entity column, or else
    key: str = ""  # a flattened field key (catalog/fields.py)


FACETS = [
    Facet("kind", "Kind", column="kind"),
    Facet("type", "Type", key="spec.type"),
    Facet("owner", "Owner", column="owner_ref"),
    Facet("lifecycle", "Lifecycle", key="spec.lifecycle"),
    Facet("namespace", "Namespace", column="namespace"),
    Facet("system", "System", key="spec.system"),
    Facet("tag", "Tags", key="metadata.tags"),
]
FLAGS = {
    "errors": "Has processing errors",
    "orphan": "Owner not in the catalog",
}
SORTS = {
    "name": ("name", "ref"),
    "-name": ("-name", "ref"),
    "kind": ("kind", "name", "ref"),
    "owner": ("owner_ref", "name", "ref"),
    "-updated": ("-updated_at", "ref"),
}
SORT_LABELS = {
    "": "Best match / name",
    "name": "Name (A-Z)",
    "-name": "Name (Z-A)",
    "kind": "Kind",
    "owner": "Owner",
    "-updated": "Recently changed",
}


@dataclass(slots=True)
class Choices:
    """What the person chose, read from the query string."""

    values: dict[str, list[str]] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    query: str = ""
    sort: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> Choices:
        values = {
            f.param: [v for v in params.getlist(f.param) if v.strip()][:50]
            for f in FACETS
        }
        flags = {flag for flag in FLAGS if params.get(flag) in ("1", "true", "on")}
        sort = params.get("sort", "")
        return cls(
            values={k: v for k, v in values.items() if v},
            flags=flags,
            query=params.get("query", "").strip()[:200],
            sort=sort if sort in SORTS else "",
        )


def flag_condition(flag: str) -> Q:
    if flag == "errors":
        return Q(Exists(ProcessingError.objects.filter(entity_ref=OuterRef("ref"))))
    owner_exists = Exists(Entity.objects.filter(ref=OuterRef("owner_ref")))
    return ~Q(owner_ref="") & ~Q(owner_exists)


def facet_condition(facet: Facet, values: list[str]) -> Q:
    if facet.column:  # kinds and namespaces compare case-insensitively
        match = Q()
        for value in values:
            match |= Q(**{f"{facet.column}__iexact": value})
        return match
    return field_condition(facet.key, list(values))


def choose(
    entities: QuerySet[Entity], choices: Choices, skip: str = ""
) -> QuerySet[Entity]:
    """Entities matching every choice except the facet named `skip`."""
    match = Q()
    for facet in FACETS:
        if facet.param != skip and facet.param in choices.values:
            match &= facet_condition(facet, choices.values[facet.param])
    for flag in choices.flags:
        if flag != skip:
            match &= flag_condition(flag)
    return entities.filter(match)


def facet_counts(entities: QuerySet[Entity], choices: Choices) -> list[dict[str, Any]]:
    """Every facet with its values and counts, chosen ones marked."""
    result = []
    for facet in FACETS:
        base = choose(entities, choices, skip=facet.param)
        chosen = {v.lower() for v in choices.values.get(facet.param, [])}
        result.append(
            {
                "param": facet.param,
                "label": facet.label,
                "values": [
                    {"value": value, "count": count, "chosen": value.lower() in chosen}
                    for value, count in _counts(base, facet)
                ],
            }
        )
    return result


def flag_counts(entities: QuerySet[Entity], choices: Choices) -> list[dict[str, Any]]:
    """How many entities each yes/no filter would keep: one query for all of them."""
    counts = choose(entities, choices, skip="errors").aggregate(
        errors=Count("pk", filter=flag_condition("errors"))
    ) | choose(entities, choices, skip="orphan").aggregate(
        orphan=Count("pk", filter=flag_condition("orphan"))
    )
    return [
        {"param": f, "label": label, "count": counts[f], "chosen": f in choices.flags}
        for f, label in FLAGS.items()
    ]


def _counts(entities: QuerySet[Entity], facet: Facet) -> list[tuple[str, int]]:
    if facet.column:
        rows = (
            entities.exclude(**{facet.column: ""})
            .values_list(facet.column)
            .annotate(count=Count("pk"))
        )
    else:
        rows = (
            EntityField.objects.filter(entity__in=entities.values("pk"), key=facet.key)
            .exclude(original=None)
            .values_list("original")
            .annotate(count=Count("entity", distinct=True))
        )
    return sorted(rows.order_by(), key=lambda row: (-row[1], row[0].lower()))[:100]


def with_summary(entities: QuerySet[Entity]) -> QuerySet[Entity]:
    """Only what a list row shows: never the whole stored JSON of 50 entities."""
    return entities.only("ref", "kind", "namespace", "name", "owner_ref").annotate(
        title=KT("processed__metadata__title"),
        description=KT("processed__metadata__description"),
        type=KT("processed__spec__type"),
        lifecycle=KT("processed__spec__lifecycle"),
        display_kind=KT("processed__kind"),
    )


def ordered(entities: QuerySet[Entity], choices: Choices) -> QuerySet[Entity]:
    if choices.sort:
        return entities.order_by(*SORTS[choices.sort])
    return entities if choices.query else entities.order_by("name", "ref")
