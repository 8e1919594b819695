"""`$text`, `$json` and `$yaml` placeholders, resolved from files and URLs.

Relative paths are read through the caller's reader (which keeps reads inside
the repository and size-limited); http(s) URLs through the caller's URL reader,
when there is one (a crawl: catalog/ingest/remotefiles.py decides what a URL may
reach). Anything else is not fetched, nor is what a reader refuses: the value
becomes the placeholder's own text (`$text: <target>`) and a warning says why, so
the entity is still ingested and nothing is lost.

One `Placeholders` serves a whole location (every file of one crawl), because a
placeholder is cheap to write and its file is not: a megabyte of 23-byte lines
pointing at a megabyte file would otherwise expand to tens of gigabytes. So:

1. each file is read, decoded and parsed once per crawl, and shared;
2. every substitution is charged its size (the file's bytes for `$text`, the
   parsed value's size as JSON for `$json` and `$yaml`) against one byte budget
   for the location, `Limits.max_substituted_bytes`;
3. a document that would go over it raises `BudgetExceeded`: the caller refuses
   that document, and what it had spent is given back to the others.

As in Backstage, a substituted value is data: placeholders inside a `$yaml` or
`$json` file are left as written, so nothing recurses, not even a file that names
itself.
"""

from __future__ import annotations

import copy
import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from catalog.descriptor.loading import FileRefused, Limits, load_one

PLACEHOLDERS = ("$text", "$json", "$yaml")
# Placeholders that optional Backstage modules add; their value is not ours to build.
FOREIGN_PLACEHOLDERS = ("$openapi", "$asyncapi")
BUDGET_SETTING = "GREENROOM_MAX_SUBSTITUTED_BYTES"

ReadFile = Callable[[str], bytes]
# What a URL reader is given: the placeholder's target as written.
ReadUrl = Callable[[str], bytes]
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


class SubstitutionError(Exception):
    """A placeholder that could not be resolved; the message says why."""


class BudgetExceeded(Exception):
    """A document's placeholders go over the location's budget; the message says so."""


@dataclass(frozen=True, slots=True)
class _Resolved:
    """What one (placeholder, file) pair gives; `value` is dropped when not kept."""

    cost: int
    error: str | None = None
    value: Any = None
    kept: bool = False


class Placeholders:
    """Resolves the placeholders of every document of one location."""

    def __init__(
        self, read: ReadFile | None, limits: Limits, read_url: ReadUrl | None = None
    ) -> None:
        self._read = read
        self._read_url = read_url
        self._limits = limits
        self.budget = limits.max_substituted_bytes
        self.spent = 0
        self._files: dict[str, bytes | SubstitutionError] = {}
        self._resolved: dict[tuple[str, str], _Resolved] = {}
        # What the caches hold, kept under the budget too: a file that never fits
        # is remembered by its size alone.
        self._cached = 0

    def substitute(self, value: Any, base_dir: str) -> tuple[Any, list[str]]:
        """`value` with placeholders replaced, and a warning per unresolved one.

        Raises BudgetExceeded, with this document's spending given back, when its
        placeholders do not fit in what the location has left.
        """
        spent_before = self.spent
        try:
            return self._substitute(value, base_dir)
        except BudgetExceeded:
            self.spent = spent_before
            raise

    def _substitute(self, value: Any, base_dir: str) -> tuple[Any, list[str]]:
        warnings: list[str] = []

        def walk(node: Any, where: str) -> Any:
            if isinstance(node, dict):
                placeholder = _placeholder(node)
                if placeholder:
                    return self._one(*placeholder, base_dir, where, warnings)
                return {
                    k: walk(v, f"{where}.{k}" if where else str(k))
                    for k, v in node.items()
                }
            if isinstance(node, list):
                return [walk(item, f"{where}[{i}]") for i, item in enumerate(node)]
            return node

        return walk(value, ""), warnings

    def _one(
        self, key: str, target: object, base_dir: str, where: str, warnings: list[str]
    ) -> Any:
        try:
            return self.resolve(key, target, base_dir)
        except SubstitutionError as exc:
            warnings.append(f"{where}: {key} {target!r} not resolved: {exc}")
            # Keep the field's type (a string stays a string) and say what it
            # would have held; the warning carries the reason.
            return f"{key}: {target}" if key not in ("$json", "$yaml") else {}

    def resolve(self, key: str, target: object, base_dir: str) -> Any:
        """One placeholder's value, charged to the budget."""
        path = _checked_target(key, target, base_dir, self._read_url is not None)
        known = self._resolved.get((key, path))
        if known is not None:
            if known.error is not None:
                raise SubstitutionError(known.error)
            # Charged before anything is read again: a file that does not fit
            # is refused on its remembered size alone.
            self._charge(known.cost, path)
            value = known.value if known.kept else self._load(key, path).value
        else:
            loaded = self._load(key, path)
            if loaded.error is not None:
                raise SubstitutionError(loaded.error)
            self._charge(loaded.cost, path)
            value = loaded.value
        # Text is immutable and shared; objects are copied, because the entity
        # they land in is completed in place (namespace, spec) further on.
        return value if isinstance(value, str) else copy.deepcopy(value)

    def _charge(self, cost: int, path: str) -> None:
        if self.spent + cost <= self.budget:
            self.spent += cost
            return
        if cost > self.budget:
            detail = f"{path} alone is larger than that"
        else:
            detail = f"{path} adds {cost} bytes to the {self.spent} already substituted"
        raise BudgetExceeded(
            f"placeholders substitute more than the {self.budget} bytes allowed "
            f"for one location ({BUDGET_SETTING}): {detail}"
        )

    def _load(self, key: str, path: str) -> _Resolved:
        try:
            value = _parse(key, self._file(path), self._limits)
            cost = _value_cost(value, self._limits.max_depth, self.budget)
        except SubstitutionError as exc:
            self._resolved[(key, path)] = _Resolved(0, error=str(exc))
            return self._resolved[(key, path)]
        kept = self._cached + cost <= self.budget
        self._cached += cost if kept else 0
        # A value that is not kept is remembered by its size alone.
        self._resolved[(key, path)] = _Resolved(
            cost, value=value if kept else None, kept=kept
        )
        return _Resolved(cost, value=value, kept=kept)

    def _file(self, path: str) -> bytes:
        data = self._files.get(path)
        if data is None:
            data = self._read_file(path)
            if isinstance(data, SubstitutionError) or (
                self._cached + len(data) <= self.budget
            ):
                self._cached += 0 if isinstance(data, SubstitutionError) else len(data)
                self._files[path] = data
        if isinstance(data, SubstitutionError):
            raise data
        return data

    def _read_file(self, path: str) -> bytes | SubstitutionError:
        read = self._read_url if _URL.match(path) else self._read
        if read is None:
            return SubstitutionError("no repository to read from")
        try:
            data = read(path)
        except (OSError, ValueError) as exc:
            return SubstitutionError(str(exc))
        if len(data) > self._limits.max_bytes:
            return SubstitutionError(
                f"file is larger than {self._limits.max_bytes} bytes"
            )
        return data


def _placeholder(node: dict[str, Any]) -> tuple[str, object] | None:
    if len(node) != 1:
        return None
    ((key, target),) = node.items()
    if key in PLACEHOLDERS or key in FOREIGN_PLACEHOLDERS:
        return key, target
    return None


def _checked_target(key: str, target: object, base_dir: str, urls: bool) -> str:
    """The normalised path, or the URL as written, that a placeholder names.

    Paths and URLs are told apart by their shape, so a cache entry of one can
    never be taken for the other (a normalised path has no `://`).
    """
    if key in FOREIGN_PLACEHOLDERS:
        raise SubstitutionError(
            "this placeholder needs a Backstage module Greenroom does not run"
        )
    if not isinstance(target, str) or not target:
        raise SubstitutionError("the placeholder value must be a path")
    if _URL.match(target):
        if not urls:
            raise SubstitutionError("a URL is read only when the location is crawled")
        return target
    if "://" in target or target.startswith(("/", "\\")) or ":" in target.split("/")[0]:
        raise SubstitutionError(
            "only relative paths inside the same repository and URLs are read, "
            "never absolute paths"
        )
    path = posixpath.normpath(posixpath.join(base_dir, target))
    if path == ".." or path.startswith("../"):
        raise SubstitutionError("the path leaves the repository")
    return path


def _parse(key: str, data: bytes, limits: Limits) -> Any:
    if key == "$text":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SubstitutionError("file is not valid UTF-8") from exc
    if key == "$json":
        try:
            return json.loads(data)
        except RecursionError:
            raise SubstitutionError(
                f"JSON nested deeper than {limits.max_depth} levels"
            ) from None
        except ValueError as exc:
            raise SubstitutionError(f"invalid JSON: {exc}") from exc
    try:
        return load_one(data, limits)
    except FileRefused as exc:
        raise SubstitutionError(str(exc)) from exc


def _value_cost(value: Any, max_depth: int, budget: int) -> int:
    """Bytes a value adds to the entity: the UTF-8 size of text, or about its
    size as JSON; past the budget, more than the budget (the exact figure would
    cost as much to find as the value costs to store)."""
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    size = json_size(value, budget + 1, max_depth)
    if size < 0:
        raise SubstitutionError(f"nested deeper than {max_depth} levels")
    return min(size, budget + 1)


def json_size(value: Any, stop_after: int, max_depth: int = 1_000_000) -> int:
    """About the size of `value` as compact JSON, counted up to `stop_after`.

    Counts through shared references (YAML aliases) as `json.dumps` would expand
    them, without building anything, and stops as soon as it passes
    `stop_after`, so an alias bomb costs no more than the limit it is measured
    against. Returns -1 when the value nests deeper than `max_depth`.
    """
    size = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack and size <= stop_after:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth >= max_depth:
                return -1
            size += 2 + len(node)  # brackets, commas and colons
            items = node.values() if isinstance(node, dict) else node
            stack.extend((item, depth + 1) for item in items)
            if isinstance(node, dict):
                size += sum(_text_size(k) for k in node)
        else:
            size += _text_size(node) if isinstance(node, str) else len(str(node))
    return size


def _text_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass")) + 2
