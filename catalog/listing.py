"""The catalog list: facet choices from the address -> rows, and facet counts.

Everything here reads EntitySummary, the narrow copy of the list's columns (facet
columns lower-cased), never the wide entity rows. Facets are disjunctive, as people
expect: one facet's counts are taken over the rows matching every *other* choice,
so choosing `kind=api` still shows how many components there are.

Counting takes five queries, whatever the choices and the catalog's size: one
counts the rows of each FacetSet (a distinct combination of the column facets'
values; an index-only scan), one counts those with processing errors, one reads
the sets, and each facet's disjunctive counts are summed from them in Python; one
query counts tags; one finds which owners exist.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import QueryDict

from catalog.models import (
    Entity,
    EntitySummary,
    EntityTag,
    FacetSet,
    ProcessingError,
)

Rows = QuerySet[EntitySummary]

# (query parameter, label, EntitySummary column); tags are the one list facet.
COLUMNS = [
    ("kind", "Kind", "kind"),
    ("type", "Type", "type"),
    ("owner", "Owner", "owner_ref"),
    ("lifecycle", "Lifecycle", "lifecycle"),
    ("namespace", "Namespace", "namespace"),
    ("system", "System", "system"),
]
COLUMN_OF = {param: column for param, _, column in COLUMNS}
TAGS = ("tag", "Tags")
PARAMS = [param for param, _, _ in COLUMNS] + [TAGS[0]]
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
MAX_VALUES = 100  # per facet, most frequent first


@dataclass(slots=True)
class Choices:
    """What the person chose, read from the query string (values lower-cased)."""

    values: dict[str, set[str]] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    query: str = ""
    sort: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> Choices:
        values = {
            param: {v.strip().lower() for v in params.getlist(param)[:50] if v.strip()}
            for param in PARAMS
        }
        sort = params.get("sort", "")
        return cls(
            values={param: chosen for param, chosen in values.items() if chosen},
            flags={flag for flag in FLAGS if params.get(flag) in ("1", "true", "on")},
            query=params.get("query", "").strip()[:200],
            sort=sort if sort in SORTS else "",
        )


def failing_refs() -> QuerySet[ProcessingError]:
    return ProcessingError.objects.exclude(entity_ref="").values("entity_ref")


def _condition(param: str, choices: Choices) -> Q:
    if param == "errors":
        # IN over the whole (small) error table: one hashed lookup per row, where
        # EXISTS would run a correlated subquery for each.
        return Q(ref__in=failing_refs())
    if param == "orphan":
        owner_exists = Exists(Entity.objects.filter(ref=OuterRef("owner_ref")))
        return ~Q(owner_ref="") & ~Q(owner_exists)
    if param == TAGS[0]:
        tagged = EntityTag.objects.filter(
            entity=OuterRef("entity_id"), tag__in=choices.values[param]
        )
        return Q(Exists(tagged))
    raise ValueError(f"not a row condition: {param}")


def chosen_sets(choices: Choices, skip: Iterable[str] = ()) -> QuerySet[FacetSet]:
    """The FacetSets meeting every column choice except those in `skip`."""
    columns = Q()
    for param, values in choices.values.items():
        if param in COLUMN_OF and param not in skip:
            columns &= Q(**{f"{COLUMN_OF[param]}__in": values})
    return FacetSet.objects.filter(columns)


def choose(rows: Rows, choices: Choices, skip: Iterable[str] = ()) -> Rows:
    """Rows matching every choice except those named in `skip`.

    Column choices become one condition on the row's FacetSet, so that PostgreSQL
    picks the rows through the (facet_set, entity) index.
    """
    match = Q()
    for param in [*choices.values, *choices.flags]:
        if param not in skip and param not in COLUMN_OF:
            match &= _condition(param, choices)
    if any(param in COLUMN_OF and param not in skip for param in choices.values):
        sets = chosen_sets(choices, skip).values("pk")
        match &= Q(facet_set_id__in=sets)
    return rows.filter(match)


def ordered(rows: Rows, choices: Choices) -> Rows:
    if choices.sort:
        return rows.order_by(*SORTS[choices.sort])
    return rows if choices.query else rows.order_by("name", "ref")


def facet_counts(rows: Rows, choices: Choices) -> dict[str, list[dict[str, Any]]]:
    """Every facet's values with counts (chosen ones marked), and the flags."""
    not_columns = [p for p, _, _ in COLUMNS] + list(FLAGS)
    base = choose(rows, choices, skip=not_columns).order_by()
    totals = dict(base.values_list("facet_set_id").annotate(count=Count("*")))
    # From the few failing refs through the entity's unique index, not a scan.
    failing = dict(
        base.filter(entity__ref__in=failing_refs())
        .values_list("facet_set_id")
        .annotate(count=Count("*"))
    )
    counted = [
        (pk, errors, count)
        for pk, total in totals.items()
        for errors, count in (
            (True, failing.get(pk, 0)),
            (False, total - failing.get(pk, 0)),
        )
        if count
    ]
    columns = [column for _, _, column in COLUMNS]
    sets = {
        pk: dict(zip([p for p, _, _ in COLUMNS], values, strict=True))
        for pk, *values in FacetSet.objects.filter(
            pk__in={pk for pk, _, _ in counted}
        ).values_list("pk", *columns)
    }
    owners = {values["owner"] for values in sets.values() if values["owner"]}
    known = set(Entity.objects.filter(ref__in=owners).values_list("ref", flat=True))
    # Each combination, as the values every condition is checked against.
    facts = [
        ({**sets[pk], "errors": errors,
          "orphan": bool(sets[pk]["owner"]) and sets[pk]["owner"] not in known}, count)
        for pk, errors, count in counted
    ]  # fmt: skip
    facets = [
        _column_facet(param, label, facts, choices) for param, label, _ in COLUMNS
    ]
    facets.append(_tag_facet(rows, choices))
    flags = [
        {
            "param": flag,
            "label": label,
            "count": sum(n for f, n in facts if f[flag] and _keeps(f, choices, flag)),
            "chosen": flag in choices.flags,
        }
        for flag, label in FLAGS.items()
    ]
    return {"facets": facets, "flags": flags}


def _keeps(fact: dict[str, Any], choices: Choices, skip: str) -> bool:
    """Whether a combination meets every column and flag choice but `skip`."""
    for param, chosen in choices.values.items():
        if param != skip and param != TAGS[0] and fact[param] not in chosen:
            return False
    return all(fact[flag] for flag in choices.flags if flag != skip)


def _column_facet(
    param: str, label: str, facts: list[tuple[dict[str, Any], int]], choices: Choices
) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    for fact, count in facts:
        if fact[param] and _keeps(fact, choices, param):
            counts[fact[param]] += count
    return _facet(param, label, counts.items(), choices)


def _tag_facet(rows: Rows, choices: Choices) -> dict[str, Any]:
    tags = EntityTag.objects.all()
    if rows.query.where or choices.flags:  # a text query or a yes/no filter
        chosen = choose(rows, choices, [TAGS[0]])
        tags = tags.filter(entity__in=chosen.values("entity_id"))
    elif any(param in COLUMN_OF for param in choices.values):
        # Facet values alone: index ranges of (facet_set, tag), no join.
        tags = tags.filter(facet_set__in=chosen_sets(choices).values("pk"))
    counted = tags.order_by().values_list("tag").annotate(count=Count("*"))
    return _facet(TAGS[0], TAGS[1], counted, choices)


def _facet(
    param: str, label: str, counts: Iterable[tuple[str, int]], choices: Choices
) -> dict[str, Any]:
    chosen = choices.values.get(param, set())
    top = sorted(counts, key=lambda item: (-item[1], item[0]))[:MAX_VALUES]
    shown = {value for value, _ in top}
    top += [(value, 0) for value in sorted(chosen - shown)]  # so it can be unticked
    return {
        "param": param,
        "label": label,
        "values": [
            {"value": value, "count": count, "chosen": value in chosen}
            for value, count in top
        ],
    }
