"""`$text`, `$json` and `$yaml` placeholders, resolved from files of the same repo.

Only relative paths are read, through the caller's reader (which keeps reads inside
the repository and size-limited). Anything else is not fetched: the value becomes
the placeholder's own text (`$text: <target>`) and a warning says why, so the
entity is still ingested and nothing is lost.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable
from typing import Any

from catalog.descriptor.loading import FileRefused, Limits, load_one

PLACEHOLDERS = ("$text", "$json", "$yaml")
# Placeholders that optional Backstage modules add; their value is not ours to build.
FOREIGN_PLACEHOLDERS = ("$openapi", "$asyncapi")

ReadFile = Callable[[str], bytes]


class SubstitutionError(Exception):
    """A placeholder that could not be resolved; the message says why."""


def substitute(
    value: Any, base_dir: str, read: ReadFile | None, limits: Limits
) -> tuple[Any, list[str]]:
    """Return `value` with placeholders replaced, and a warning per unresolved one."""
    warnings: list[str] = []

    def walk(node: Any, where: str) -> Any:
        if isinstance(node, dict):
            placeholder = _placeholder(node)
            if placeholder:
                key, target = placeholder
                try:
                    return _resolve(key, target, base_dir, read, limits)
                except SubstitutionError as exc:
                    warnings.append(f"{where}: {key} {target!r} not resolved: {exc}")
                    # Keep the field's type (a string stays a string) and say what
                    # it would have held; the warning carries the reason.
                    return (
                        f"{key}: {target}" if key != "$json" and key != "$yaml" else {}
                    )
            return {
                k: walk(v, f"{where}.{k}" if where else str(k)) for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(item, f"{where}[{i}]") for i, item in enumerate(node)]
        return node

    return walk(value, ""), warnings


def _placeholder(node: dict[str, Any]) -> tuple[str, str] | None:
    if len(node) != 1:
        return None
    ((key, target),) = node.items()
    if key in PLACEHOLDERS or key in FOREIGN_PLACEHOLDERS:
        return key, target
    return None


def _resolve(
    key: str, target: object, base_dir: str, read: ReadFile | None, limits: Limits
) -> Any:
    if key in FOREIGN_PLACEHOLDERS:
        raise SubstitutionError(
            "this placeholder needs a Backstage module Greenroom does not run"
        )
    if not isinstance(target, str) or not target:
        raise SubstitutionError("the placeholder value must be a path")
    if "://" in target or target.startswith(("/", "\\")) or ":" in target.split("/")[0]:
        raise SubstitutionError(
            "only relative paths inside the same repository are read, "
            "never URLs or absolute paths"
        )
    path = posixpath.normpath(posixpath.join(base_dir, target))
    if path == ".." or path.startswith("../"):
        raise SubstitutionError("the path leaves the repository")
    if read is None:
        raise SubstitutionError("no repository to read from")
    try:
        data = read(path)
    except (OSError, ValueError) as exc:
        raise SubstitutionError(str(exc)) from exc
    if len(data) > limits.max_bytes:
        raise SubstitutionError(f"file is larger than {limits.max_bytes} bytes")
    if key == "$text":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SubstitutionError("file is not valid UTF-8") from exc
    if key == "$json":
        try:
            return json.loads(data)
        except ValueError as exc:
            raise SubstitutionError(f"invalid JSON: {exc}") from exc
    try:
        return load_one(data, limits)
    except FileRefused as exc:
        raise SubstitutionError(str(exc)) from exc
