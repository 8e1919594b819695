"""`fields=` projection: keep only the named leaves or subtrees of an entity.

Paths are dotted, but keys may contain dots themselves
(`metadata.annotations.github.com/project-slug`): at each level the path is
matched against the keys that are really there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class ProjectionError(ValueError):
    pass


def parse_fields(values: Iterable[str]) -> list[str]:
    """The `fields` parameters (repeatable, comma-separated) as a list of paths."""
    paths = [part.strip() for value in values for part in value.split(",")]
    paths = [path for path in paths if path]
    for path in paths:
        if "[" in path:
            raise ProjectionError(
                f"invalid field {path!r}: array indexing is not supported"
            )
    return paths


def project(entity: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """A copy of `entity` holding only `paths` (all of it when there are none)."""
    if not paths:
        return entity
    result: dict[str, Any] = {}
    for path in paths:
        _copy(entity, path, result)
    return result


def _copy(source: dict[str, Any], path: str, target: dict[str, Any]) -> None:
    if path in source:
        target[path] = source[path]
        return
    for key, value in source.items():
        if not (path.startswith(f"{key}.") and isinstance(value, dict)):
            continue
        if target.get(key) is value:
            return  # the whole subtree is kept already
        inner = target.get(key, {})
        _copy(value, path[len(key) + 1 :], inner)
        if inner:
            target[key] = inner
        return
