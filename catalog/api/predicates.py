"""Backstage's predicate language (POST by-query, by-refs, entity-facets) as a Q.

`{"kind": "Component", "spec.type": {"$in": ["service"]}}` (all keys AND),
`{"$all": [...]}`, `{"$any": [...]}`, `{"$not": ...}`; field values: a primitive
(equal, case-insensitive, numbers as strings), `{"$exists": bool}`, `{"$in":
[...]}`, `{"$hasPrefix": "..."}`, `{"$contains": primitive}` for arrays, and
`{"relations": {"$contains": {"type": ..., "targetRef": ... | {"$in": [...]}}}}`.
Fields are read from the flattened rows (catalog/fields.py) and the relation table.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from catalog.models import EntityField, Relation
from core.api.errors import InputError

MAX_DEPTH = 16
MAX_NODES = 500
Primitive = str | int | float | bool


def predicate_q(expression: Any) -> Q:
    """The predicate as a condition on Entity rows; InputError when malformed."""
    budget = [MAX_NODES]
    return _expression(expression, 0, budget)


def _expression(node: Any, depth: int, budget: list[int]) -> Q:
    budget[0] -= 1
    if depth > MAX_DEPTH or budget[0] < 0:
        raise InputError("the query is nested too deeply or is too large")
    if not isinstance(node, dict):
        raise InputError("a query must be an object")
    if set(node) & {"$all", "$any", "$not"}:
        if len(node) != 1:
            raise InputError("$all, $any and $not must stand alone in their object")
        return _logic(*next(iter(node.items())), depth, budget)
    match = Q()
    for field, value in node.items():
        if field.startswith("$"):
            raise InputError(f"unknown operator {field}")
        match &= _field(field, value)
    return match


def _logic(operator: str, operand: Any, depth: int, budget: list[int]) -> Q:
    if operator == "$not":
        return ~_expression(operand, depth + 1, budget)
    if not isinstance(operand, list):
        raise InputError(f"{operator} takes a list")
    parts = [_expression(item, depth + 1, budget) for item in operand]
    if not parts:  # $all of nothing: everything; $any of nothing: nothing
        return Q() if operator == "$all" else Q(pk__in=[])
    combined = parts[0]
    for part in parts[1:]:
        combined = combined & part if operator == "$all" else combined | part
    return combined


def _field(field: str, value: Any) -> Q:
    key = field.lower()
    if key == "relations":
        return _relations(value)
    if isinstance(value, Primitive):
        return _rows(key, [filter_text(value)])
    if not isinstance(value, dict) or len(value) != 1:
        raise InputError(f"the value of {field} must be a primitive or one operator")
    operator, operand = next(iter(value.items()))
    if operator == "$exists" and isinstance(operand, bool):
        return _rows(key, None) if operand else ~_rows(key, None)
    if operator == "$in" and isinstance(operand, list):
        return (
            _rows(key, [filter_text(item) for item in operand])
            if operand
            else Q(pk__in=[])
        )
    if operator == "$contains" and isinstance(operand, Primitive):
        return _rows(key, [filter_text(operand)])
    if operator == "$hasPrefix" and isinstance(operand, str):
        prefixed = EntityField.objects.filter(
            entity=OuterRef("pk"), key=key, value__startswith=operand.lower()
        )
        return Q(Exists(prefixed))
    raise InputError(f"invalid operator {operator} for {field}")


def filter_text(value: Any) -> str:
    """A filter value as the flattened rows hold it: lower-cased text, booleans
    as `true`/`false`; anything but a string, number or boolean is refused."""
    if not isinstance(value, Primitive):
        raise InputError("values must be strings, numbers or booleans")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).lower()


def _rows(key: str, values: list[str] | None) -> Q:
    rows = EntityField.objects.filter(entity=OuterRef("pk"), key=key)
    if values is not None:
        rows = rows.filter(value__in=values)
    return Q(Exists(rows))


def _relations(value: Any) -> Q:
    wanted = value.get("$contains") if isinstance(value, dict) else None
    if not isinstance(wanted, dict) or not isinstance(wanted.get("type"), str):
        raise InputError(
            'relations takes {"$contains": {"type": ..., "targetRef": ...}}'
        )
    rows = Relation.objects.filter(
        source_ref=OuterRef("ref"), type__iexact=wanted["type"]
    )
    target = wanted.get("targetRef")
    if isinstance(target, str):
        rows = rows.filter(target_ref=target.lower())
    elif isinstance(target, dict) and isinstance(target.get("$in"), list):
        rows = rows.filter(target_ref__in=[filter_text(t) for t in target["$in"]])
    elif target is not None:
        raise InputError("targetRef must be a string or {$in: [...]}")
    return Q(Exists(rows))
