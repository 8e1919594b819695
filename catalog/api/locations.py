"""Locations as Backstage's API shows them: `{id, type, target, entityRef}`."""

from __future__ import annotations

from typing import Any

from catalog.ingest.generated import DEFAULT_PATH, TYPE, generated_ref, target_of
from catalog.locations import Target, validate_target
from catalog.models import Location
from catalog.urlpolicy import split_host_file_url


def location_json(location: Location) -> dict[str, Any]:
    target = target_of(location)
    return {
        "id": str(location.uid),
        "type": TYPE,
        "target": target,
        "entityRef": generated_ref(target),
    }


def parse_target(target: str, default_path: str = DEFAULT_PATH) -> Target:
    """A repository URL, or a host's file URL (`/blob/<branch>/<path>` and the like),
    checked by the URL policy. Raises RegistrationError."""
    split = split_host_file_url(target)
    if split.branch is None:
        return validate_target(target, "", default_path)
    return validate_target(split.repo_url, split.branch, split.path or default_path)
