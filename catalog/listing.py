"""The catalog list: facet choices from the address -> rows, and facet counts.

Everything here reads EntitySummary, the narrow copy of the list's columns (facet
columns lower-cased), never the wide entity rows. Facets are disjunctive, as people
expect: one facet's counts are taken over the rows matching every *other* choice,
so choosing `kind=api` still shows how many components there are.

Counting takes three queries, whatever the choices and the catalog's size: one
grouped scan gives every combination of the column facets and the error flag with
its count, from which each facet's disjunctive counts are summed in Python; one
query counts tags; one finds which owners exist.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
)
from django.http import QueryDict

from catalog.models import Entity, EntityField, EntitySummary, ProcessingError

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
TAGS = ("tag", "Tags", "metadata.tags")
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


def has_errors() -> ExpressionWrapper:
    # IN over the whole (small) error table: one hashed lookup per row, where
    # EXISTS would run a correlated subquery for each.
    errors = ProcessingError.objects.exclude(entity_ref="").values("entity_ref")
    return ExpressionWrapper(Q(ref__in=errors), output_field=BooleanField())


def _condition(param: str, choices: Choices) -> Q:
    if param == "errors":
        return Q(has_errors())
    if param == "orphan":
        owner_exists = Exists(Entity.objects.filter(ref=OuterRef("owner_ref")))
        return ~Q(owner_ref="") & ~Q(owner_exists)
    if param == TAGS[0]:
        tagged = EntityField.objects.filter(
            entity=OuterRef("entity_id"), key=TAGS[2], value__in=choices.values[param]
        )
        return Q(Exists(tagged))
    column = next(column for p, _, column in COLUMNS if p == param)
    return Q(**{f"{column}__in": choices.values[param]})


def choose(rows: Rows, choices: Choices, skip: Iterable[str] = ()) -> Rows:
    """Rows matching every choice except those named in `skip`."""
    match = Q()
    for param in [*choices.values, *choices.flags]:
        if param not in skip:
            match &= _condition(param, choices)
    return rows.filter(match)


def ordered(rows: Rows, choices: Choices) -> Rows:
    if choices.sort:
        return rows.order_by(*SORTS[choices.sort])
    return rows if choices.query else rows.order_by("name", "ref")


def facet_counts(rows: Rows, choices: Choices) -> dict[str, list[dict[str, Any]]]:
    """Every facet's values with counts (chosen ones marked), and the flags."""
    columns = [column for _, _, column in COLUMNS]
    not_columns = [p for p, _, _ in COLUMNS] + list(FLAGS)
    combos = list(
        choose(rows, choices, skip=not_columns)
        .order_by()
        .values_list(*columns, has_errors())
        .annotate(count=Count("pk"))
    )
    owners = {combo[2] for combo in combos if combo[2]}
    known = set(Entity.objects.filter(ref__in=owners).values_list("ref", flat=True))
    # Each combination, as the values every condition is checked against.
    names = [param for param, _, _ in COLUMNS]
    facts = [
        ({**dict(zip(names, combo[:6], strict=True)), "errors": combo[6],
          "orphan": bool(combo[2]) and combo[2] not in known}, combo[7])
        for combo in combos
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
    fields = EntityField.objects.filter(key=TAGS[2], value__isnull=False)
    base = choose(rows, choices, skip=[TAGS[0]])
    if base.query.where:
        fields = fields.filter(entity__in=base.values("entity_id"))
    # Field rows are unique per entity, key and value: no DISTINCT needed.
    counted = fields.order_by().values_list("value").annotate(count=Count("pk"))
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
