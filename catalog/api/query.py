"""GET /entities/by-query: filtered, sorted, cursor-paged entities.

Cursors are opaque (base64 JSON) and carry the whole query, the total and the sort
key of the page edge, so pages are keyset-paged: rows inserted or removed between
two requests never shift a page (no repeats, no gaps among rows that stay).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import QueryDict

from catalog import visibility
from catalog.api import entity_params
from catalog.api.entities import entities_with_bodies, matching
from catalog.api.predicates import predicate_q
from catalog.filters import parse_filter
from catalog.models import Entity, EntityField
from core.api import params
from core.api.errors import InputError

DEFAULT_LIMIT = 20


@dataclass(frozen=True, slots=True)
class EntityQuery:
    filters: list[str] = field(default_factory=list)
    order_field: str = ""
    descending: bool = False
    term: str = ""
    text_fields: list[str] = field(default_factory=list)
    total: int | None = None  # counted on the first page, then carried
    direction: str = "next"  # which side of `edge` the page lies on
    edge: list[Any] | None = None  # [sort value, pk] of the row next to the page
    query: dict[str, Any] | None = None  # a predicate (POST); Backstage's name
    sight: str = ""  # whose total it carries (catalog/visibility.py)


def from_params(query: QueryDict) -> tuple[EntityQuery, int]:
    """The query and offset of a first request (no cursor)."""
    order_field, descending = "", False
    orders = query.getlist("orderField")
    if orders:
        name, _, direction = orders[0].partition(",")
        if direction.strip() not in ("", "asc", "desc") or not name.strip():
            raise InputError(f"invalid orderField {orders[0]!r}: use field,asc|desc")
        order_field, descending = name.strip().lower(), direction.strip() == "desc"
    term = query.get("fullTextFilterTerm", "").strip()
    text_fields = [
        f.strip().lower()
        for f in query.get("fullTextFilterFields", "").split(",")
        if f.strip()
    ] or [order_field or "metadata.uid"]
    offset = params.integer(query, "offset", minimum=0, maximum=10**9) or 0
    exclude_total = query.get("totalItems") == "exclude"
    return (
        EntityQuery(
            filters=entity_params.filters(query),
            order_field=order_field,
            descending=descending,
            term=term[:200],
            text_fields=text_fields[:10],
            total=0 if exclude_total else None,
        ),
        offset,
    )


def encode(query: EntityQuery) -> str:
    return base64.urlsafe_b64encode(json.dumps(asdict(query)).encode()).decode()


def decode(cursor: str) -> EntityQuery:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        query = EntityQuery(**data)
        for text in query.filters:
            parse_filter(text)
    except (binascii.Error, ValueError, TypeError, UnicodeError):  # FilterError too
        raise InputError("invalid cursor") from None
    if not _well_formed(query):
        raise InputError("invalid cursor")
    return query


def _well_formed(query: EntityQuery) -> bool:
    def strings(values: object) -> bool:
        return isinstance(values, list) and all(isinstance(v, str) for v in values)

    edge = query.edge
    return (
        strings(query.filters)
        and strings(query.text_fields)
        and isinstance(query.order_field, str)
        and isinstance(query.term, str)
        and isinstance(query.descending, bool)
        and (query.total is None or isinstance(query.total, int))
        and query.direction in ("next", "prev")
        and (edge is None or (isinstance(edge, list) and len(edge) == 2))
        and (edge is None or isinstance(edge[1], int))
        and (query.query is None or isinstance(query.query, dict))
        and isinstance(query.sight, str)
    )


def from_body(body: Any) -> tuple[EntityQuery, int, int | None, list[str]]:
    """POST /entities/by-query: query, offset, limit and fields of a first request."""
    if not isinstance(body, dict):
        raise InputError("the body must be a JSON object")
    predicate = body.get("query")
    if predicate is not None:
        predicate_q(predicate)  # refuse a malformed predicate now, not per page
    orders = body.get("orderBy") or []
    if not isinstance(orders, list):
        raise InputError("orderBy must be a list of {field, order}")
    order = orders[0] if orders else {}
    text = body.get("fullTextFilter") or {}
    if not isinstance(order, dict) or not isinstance(text, dict):
        raise InputError(
            "orderBy must be a list of {field, order}; fullTextFilter an object"
        )
    order_field = str(order.get("field") or "").lower()
    term = str(text.get("term") or "").strip()
    text_fields = [str(f).lower() for f in text.get("fields") or []]
    query = EntityQuery(
        order_field=order_field,
        descending=order.get("order") == "desc",
        term=term[:200],
        text_fields=(text_fields or [order_field or "metadata.uid"])[:10],
        total=0 if body.get("totalItems") == "exclude" else None,
        query=predicate,
    )
    return (
        query,
        params.body_integer(body, "offset", maximum=10**9) or 0,
        params.body_integer(body, "limit", maximum=params.max_page()),
        entity_params.body_fields(body),
    )


def _rows(query: EntityQuery) -> QuerySet[Entity]:
    rows = matching(query.filters)
    if query.query is not None:
        rows = rows.filter(predicate_q(query.query))
    if query.term:
        texts = EntityField.objects.filter(
            entity=OuterRef("pk"),
            key__in=query.text_fields,
            value__contains=query.term.lower(),  # stored values are lower-cased
        )
        rows = rows.filter(Exists(texts))
    if query.order_field:
        value = EntityField.objects.filter(entity=OuterRef("pk"), key=query.order_field)
        rows = rows.annotate(sort_value=Subquery(value.values("value")[:1]))
        rows = rows.filter(sort_value__isnull=False)  # as Backstage: lacking, excluded
    return rows


def _key(query: EntityQuery) -> list[str]:
    return ["sort_value", "pk"] if query.order_field else ["pk"]


def _beyond(query: EntityQuery, forward: bool) -> Q:
    """Rows after (forward) or before the cursor's edge, in sort order."""
    assert query.edge is not None
    value, pk = query.edge
    later = forward != query.descending
    op = "gt" if later else "lt"
    if not query.order_field:
        return Q(**{f"pk__{op}": pk})
    return Q(**{f"sort_value__{op}": value}) | Q(sort_value=value, **{f"pk__{op}": pk})


def page(query: EntityQuery, offset: int, limit: int) -> dict[str, Any]:
    """One page: the entities, the total, and cursors to the pages around it."""
    rows = _rows(query)
    sight = visibility.current().fingerprint()
    # A total carried for someone who sees more (a cursor passed on) is counted
    # again; 0 is also `totalItems=exclude`.
    carried = query.total is not None and (query.sight == sight or query.total == 0)
    total = query.total if carried else rows.count()
    forward = query.direction == "next"
    ordering = [
        F(k).desc() if query.descending == forward else F(k).asc() for k in _key(query)
    ]
    if query.edge is not None:
        rows = rows.filter(_beyond(query, forward))
        offset = 0
    # Keys first (index-only), then the page's rows with their stored bodies.
    keys = list(
        rows.order_by(*ordering).values_list(*reversed(_key(query)))[
            offset : offset + limit + 1
        ]
    )
    more, keys = len(keys) > limit, keys[:limit]
    if not forward:
        keys.reverse()
    found = entities_with_bodies(pk for pk, *_ in keys)
    edges = {pk: [rest[0] if rest else None, pk] for pk, *rest in keys}
    edge = replace(query, total=total, sight=sight)
    info: dict[str, str] = {}
    if keys and (more if forward else True):
        info["nextCursor"] = encode(
            replace(edge, direction="next", edge=edges[keys[-1][0]])
        )
    if keys and ((query.edge is not None or offset > 0) if forward else more):
        info["prevCursor"] = encode(
            replace(edge, direction="prev", edge=edges[keys[0][0]])
        )
    return {"rows": found, "totalItems": total, "pageInfo": info}
