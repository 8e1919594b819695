"""Locations as Backstage's API shows them: `{id, type, target, entityRef}`."""

from __future__ import annotations

import hashlib
from typing import Any

from catalog.hosts import file_url
from catalog.locations import DEFAULT_PATH, Target, validate_target
from catalog.models import Location
from catalog.urlpolicy import split_host_file_url

TYPE = "url"


def target_of(location: Location) -> str:
    """The URL a person would register: the repository, or the file on its host."""
    if location.path == DEFAULT_PATH and not location.branch:
        return location.url
    branch = location.branch or location.resolved_branch
    return file_url(location.url, branch, location.path) if branch else location.url


def generated_ref(target: str) -> str:
    """Backstage's name for the Location entity of a registration."""
    digest = hashlib.sha1(f"{TYPE}:{target}".encode()).hexdigest()  # noqa: S324 - a name
    return f"location:default/generated-{digest}"


def location_json(location: Location) -> dict[str, Any]:
    target = target_of(location)
    return {
        "id": str(location.uid),
        "type": TYPE,
        "target": target,
        "entityRef": generated_ref(target),
    }


def parse_target(target: str) -> Target:
    """A repository URL, or a host's file URL (`/blob/<branch>/<path>` and the like),
    checked by the URL policy. Raises RegistrationError."""
    split = split_host_file_url(target)
    if split.branch is None:
        return validate_target(target)
    return validate_target(split.repo_url, split.branch, split.path or DEFAULT_PATH)
