"""Slicing a list into pages, and the RFC 8288 Link header the hosts send."""

from __future__ import annotations

import math
from typing import TypeVar
from urllib.parse import urlencode

T = TypeVar("T")


def pages(total: int, size: int) -> int:
    """How many pages `total` items fill (at least one, even when empty)."""
    return max(1, math.ceil(total / size))


def window(items: list[T], page: int, size: int) -> list[T]:
    return items[(page - 1) * size : page * size]


def link(
    base: str,
    query: dict[str, str],
    page: int,
    last: int,
    *,
    key: str = "page",
    ends: bool = False,
    sep: str = ", ",
) -> str:
    """prev/next links to the same list, and first/last (always, with `ends`)."""

    def url(number: int) -> str:
        return f"{base}?{urlencode({**query, key: str(number)})}"

    rels = []
    if page > 1:
        rels.append((url(page - 1), "prev"))
    if page < last:
        rels.append((url(page + 1), "next"))
    if ends or page > 1:
        rels.append((url(1), "first"))
    if ends or page < last:
        rels.append((url(last), "last"))
    return sep.join(f'<{href}>; rel="{rel}"' for href, rel in rels)
