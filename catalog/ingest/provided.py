"""Entities that arrive as data from an organisation provider, not from git.

A provider (people/) reads people and teams from where they live and hands their
Group and User descriptors here. They go through the crawl's own validation
(catalog/descriptor) and apply path (catalog/ingest/apply.py) against the
provider's location, so they get the same history, relations, pages, search and
API; only the provenance differs (the provider names itself as their location).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from catalog.descriptor import Problem, parse_documents
from catalog.ingest.apply import ApplyStats, apply_read
from catalog.ingest.reader import ReadResult
from catalog.ingest.sync import limits
from catalog.models import Location

PROVIDED_KINDS = frozenset({"Group", "User"})


def provider_location(type: str, target: str) -> Location:
    """The location a provider's entities belong to (created on first use)."""
    if type == Location.URL:
        raise ValueError("a provider's location type cannot be `url`")
    location, _ = Location.every.get_or_create(
        type=type, url=target, branch="", path="", defaults={"status": "ok"}
    )
    return location


def apply_provided(
    location: Location,
    documents: list[dict[str, Any]],
    *,
    version: str,
    removal_reason: str,
    problems: Sequence[str] = (),
) -> ApplyStats:
    """Make the provider's entities exactly `documents`, atomically.

    Entities it no longer provides are removed with `removal_reason` in their
    history. An invalid document is a processing error on the provider and keeps
    its last good version (as a file's typo does); a kind other than Group or
    User is refused. `problems` are the source's own notes, kept as warnings.
    """
    where = location.managed_by
    parsed = parse_documents(list(documents), where, limits=limits())
    read = ReadResult(problems=list(parsed.problems), kept_refs=set(parsed.kept_refs))
    for entity in parsed.entities:
        if entity.kind in PROVIDED_KINDS:
            read.entities.append(entity)
        else:
            read.problems.append(
                Problem(where, f"{entity.ref}: a provider gives only groups and users")
            )
    read.problems += [Problem(where, note, level="warning") for note in problems]
    return apply_read(
        location,
        commit=version,
        branch="",
        read=read,
        removal_reason=removal_reason,
    )
