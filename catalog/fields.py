"""An entity's JSON flattened into Backstage's search rows: `(key, value)` pairs.

Every `filter=` condition and every facet count is then an index lookup on
(key, value), whatever field is asked for. Keys and values are lower-cased for
matching; the value as written is kept for facets. Relations are not flattened here:
they live in their own table, indexed both ways (see catalog/filters.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

MAX_KEY = 200
MAX_VALUE = 200
EXCLUDED = frozenset({"status", "attachments", "relations", "metadata.etag"})

Row = tuple[str, str | None, str | None]  # key, lower-cased value, value as written


def flatten(entity: Mapping[str, Any], uid: str) -> list[Row]:
    """The search rows of one entity, without duplicates, in a stable order."""
    rows: dict[tuple[str, str | None], str | None] = {}
    leaves = [*_walk("", entity), ("metadata.uid", uid)]
    if "namespace" not in entity.get("metadata", {}):
        leaves.append(("metadata.namespace", "default"))
    for key, value in leaves:
        key = key.lower()
        if len(key) > MAX_KEY or key in EXCLUDED:
            continue
        text = _field_value(value)
        if text is not None and len(text) > MAX_VALUE:
            text = None  # too long to match on; the key still says it exists
        rows.setdefault((key, text.lower() if text is not None else None), text)
    return [(key, value, original) for (key, value), original in rows.items()]


def _walk(prefix: str, node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping):
        for name, value in node.items():
            path = f"{prefix}.{name}" if prefix else str(name)
            if path.lower() not in EXCLUDED:
                yield from _walk(path, value)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, Mapping | list):
                yield from _walk(prefix, item)
            else:
                yield prefix, item
                if isinstance(item, str):
                    yield f"{prefix}.{item}", True  # metadata.tags.java = true
    else:
        yield prefix, node


def _field_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
