"""The hosts' recorded example responses (shapes/<kind>/<route>.json), filled in.

A response is the recorded example with every field kept: its sample URLs and
names are pointed at this host and repository (`retarget`), then the fields the
model knows are overridden (`fill`). See shapes/SOURCES.md for where each came from.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

SHAPES = Path(__file__).parent / "shapes"


class _Drop:
    """An override value that removes the key (the host leaves it out in that case)."""


DROP: Any = _Drop()


@functools.cache
def _text(kind: str, name: str) -> str:
    return (SHAPES / kind / f"{name}.json").read_text()


def shape(kind: str, name: str) -> Any:
    """A fresh copy of one recorded example."""
    return json.loads(_text(kind, name))


def item(kind: str, name: str) -> dict[str, Any]:
    """The first element of a recorded list, or of a paged body's list."""
    data = shape(kind, name)
    if isinstance(data, dict):
        for key in ("values", "data", "repositories"):
            if isinstance(data.get(key), list):
                return dict(data[key][0])
    return dict(data[0])


def retarget(value: Any, replacements: list[tuple[str, str]]) -> Any:
    """`value` with each (old, new) replaced, in order, inside every string."""
    if isinstance(value, str):
        for old, new in replacements:
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {key: retarget(inner, replacements) for key, inner in value.items()}
    if isinstance(value, list):
        return [retarget(inner, replacements) for inner in value]
    return value


def fill(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`base` with `overrides` merged in: objects key by key, anything else replaced."""
    result = dict(base)
    for key, value in overrides.items():
        if value is DROP:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = fill(result[key], value)
        else:
            result[key] = value
    return result
