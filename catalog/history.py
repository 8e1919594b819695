"""An entity's history for people: its revisions, newest first, each with a diff."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import yaml

from catalog.models import EntityRevision

MAX_REVISIONS = 50
MAX_DIFF_LINES = 400


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: str  # "add", "del", "hunk" or ""
    text: str


@dataclass(frozen=True, slots=True)
class Change:
    revision: EntityRevision
    diff: list[DiffLine]
    truncated: bool


def as_yaml(descriptor: Any) -> str:
    if descriptor is None:
        return ""
    return yaml.safe_dump(descriptor, sort_keys=False, allow_unicode=True, width=100)


def changes(ref: str) -> list[Change]:
    """The latest revisions of `ref`, newest first, each diffed against the one
    before it: one query."""
    revisions = list(
        EntityRevision.objects.filter(ref=ref).order_by("-recorded_at", "-id")[
            : MAX_REVISIONS + 1
        ]
    )
    result = []
    for index, revision in enumerate(revisions[:MAX_REVISIONS]):
        before = revisions[index + 1].descriptor if index + 1 < len(revisions) else None
        lines = diff_lines(as_yaml(before), as_yaml(revision.descriptor))
        result.append(
            Change(revision, lines[:MAX_DIFF_LINES], len(lines) > MAX_DIFF_LINES)
        )
    return result


def diff_lines(before: str, after: str) -> list[DiffLine]:
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), lineterm="", n=2
    )
    result = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "")
        result.append(DiffLine(kind, line))
    return result
