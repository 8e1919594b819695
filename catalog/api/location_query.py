"""POST /locations/by-query: registered locations chosen by a predicate, paged.

The predicate language is the one of POST /entities/by-query (catalog/api/
predicates.py), over a location's fields `id`, `type` and `target`. Locations
are few (one per registered repository) and their target is derived from three
columns, so the predicate is evaluated on each location's JSON here rather than
in SQL. Cursors carry the query, the total and the last id served.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any

from catalog.api.locations import location_json
from catalog.api.predicates import filter_text
from catalog.models import Location
from core.api import params
from core.api.errors import InputError

DEFAULT_LIMIT = 1000
FIELDS = ("id", "type", "target")
MAX_DEPTH = 16
MAX_NODES = 500


def query_locations(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InputError("the body must be a JSON object")
    if body.get("cursor") is not None:
        query, total, after = _decode(body["cursor"])
    else:
        query, total, after = body.get("query"), None, 0
    limit = params.body_integer(body, "limit", maximum=params.max_page() * 10)
    if limit == 0:
        raise InputError("limit must be at least 1")
    limit = limit or DEFAULT_LIMIT
    check(query)
    matches = [row for row in _rows() if query is None or matches_query(query, row)]
    if total is None:
        total = len(matches)
    page = [row for row in matches if row["_pk"] > after][: limit + 1]
    info: dict[str, str] = {}
    if len(page) > limit:
        page = page[:limit]
        info["nextCursor"] = _encode(query, total, page[-1]["_pk"])
    return {
        "items": [{k: v for k, v in row.items() if k != "_pk"} for row in page],
        "totalItems": total,
        "pageInfo": info,
    }


def _rows() -> Iterator[dict[str, Any]]:
    for location in Location.objects.order_by("id").iterator(chunk_size=2000):
        yield {**location_json(location), "_pk": location.pk}


def check(node: Any) -> None:
    """Raise InputError for a malformed predicate, whatever the data."""
    if node is not None:
        matches_query(node, {}, budget=[MAX_NODES])


def matches_query(
    node: Any, row: dict[str, Any], depth: int = 0, budget: list[int] | None = None
) -> bool:
    if budget is not None:
        budget[0] -= 1
        if depth > MAX_DEPTH or budget[0] < 0:
            raise InputError("the query is nested too deeply or is too large")
    if not isinstance(node, dict):
        raise InputError("a query must be an object")
    if set(node) & {"$all", "$any", "$not"}:
        if len(node) != 1:
            raise InputError("$all, $any and $not must stand alone in their object")
        operator, operand = next(iter(node.items()))
        if operator == "$not":
            return not matches_query(operand, row, depth + 1, budget)
        if not isinstance(operand, list):
            raise InputError(f"{operator} takes a list")
        results = [matches_query(item, row, depth + 1, budget) for item in operand]
        return all(results) if operator == "$all" else any(results)
    # Every field is looked at (no short cut), so a bad one is always reported.
    results = [_field(field, value, row) for field, value in node.items()]
    return all(results)


def _field(field: str, value: Any, row: dict[str, Any]) -> bool:
    if field.startswith("$"):
        raise InputError(f"unknown operator {field}")
    if field.lower() not in FIELDS:
        raise InputError(f"locations have no field {field}; use {', '.join(FIELDS)}")
    actual = row.get(field.lower())
    have = actual.lower() if isinstance(actual, str) else None
    if not isinstance(value, dict):
        return have == filter_text(value)
    if len(value) != 1:
        raise InputError(f"the value of {field} must be a primitive or one operator")
    operator, operand = next(iter(value.items()))
    if operator == "$exists" and isinstance(operand, bool):
        return (have is not None) == operand
    if operator == "$in" and isinstance(operand, list):
        return have in {filter_text(item) for item in operand}
    if operator == "$hasPrefix" and isinstance(operand, str):
        return have is not None and have.startswith(operand.lower())
    raise InputError(f"invalid operator {operator} for {field}")


def _encode(query: Any, total: int, after: int) -> str:
    data = {"query": query, "totalItems": total, "after": after}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _decode(cursor: Any) -> tuple[Any, int, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(str(cursor).encode()))
        total, after = int(data["totalItems"]), int(data["after"])
        return data.get("query"), total, after
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise InputError("invalid cursor") from None
