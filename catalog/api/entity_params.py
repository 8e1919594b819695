"""The entity endpoints' own query parameters (filter, fields, order and the
legacy paging cursor): every bad value is a clear 400."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from catalog.api.projection import ProjectionError, parse_fields
from catalog.filters import FilterError, parse_filter
from core.api.errors import InputError
from core.api.params import integer, max_page

MAX_ORDER_FIELDS = 5


def filters(query: QueryDict) -> list[str]:
    texts = query.getlist("filter")
    for text in texts:
        try:
            parse_filter(text)
        except FilterError as exc:
            raise InputError(str(exc)) from None
    return texts


def fields(query: QueryDict) -> list[str]:
    return field_list(query.getlist("fields"))


def field_list(values: list[str]) -> list[str]:
    """`fields` paths (each may be comma-separated), or a 400 saying what is wrong."""
    try:
        return parse_fields(values)
    except ProjectionError as exc:
        raise InputError(str(exc)) from None


def body_fields(body: dict[str, Any], name: str = "fields") -> list[str]:
    value = body.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{name} must be a list of strings")
    return field_list(value)


@dataclass(frozen=True, slots=True)
class Order:
    field: str
    descending: bool


def orders(query: QueryDict) -> list[Order]:
    """Legacy `order=asc:<field>` / `desc:<field>` parameters, in priority order."""
    result = []
    for text in query.getlist("order")[:MAX_ORDER_FIELDS]:
        direction, colon, field = text.partition(":")
        if not colon or direction not in ("asc", "desc") or not field.strip():
            raise InputError(
                f"invalid order {text!r}: expected asc:<field> or desc:<field>"
            )
        result.append(Order(field.strip().lower(), direction == "desc"))
    return result


@dataclass(frozen=True, slots=True)
class Page:
    offset: int
    limit: int | None  # None: everything


def legacy_page(query: QueryDict) -> Page:
    """`offset`, `limit` and the opaque `after` of GET /entities."""
    after = query.get("after")
    if after is not None:
        state = _decode(after)
        return Page(state["offset"], state["limit"])
    offset = integer(query, "offset", minimum=0, maximum=10**9) or 0
    limit = integer(query, "limit", minimum=1, maximum=max_page())
    if limit is None and "offset" in query:
        limit = max_page()
    return Page(offset, limit)


def encode_after(page: Page) -> str:
    data = json.dumps({"limit": page.limit, "offset": page.offset}).encode()
    return base64.urlsafe_b64encode(data).decode()


def _decode(after: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(after.encode()))
        offset, limit = int(state["offset"]), int(state["limit"])
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError):
        raise InputError("invalid after cursor") from None
    if offset < 0 or not 1 <= limit <= max_page():
        raise InputError("invalid after cursor")
    return {"offset": offset, "limit": limit}
