"""The Location entity Backstage generates for each registration.

Registering `{"type": "url", "target": T}` makes `location:default/generated-<sha1>`
(named from `url:T`), whose `spec.target` is T; what the crawl reads there is
emitted by it. The API returns its ref as a location's `entityRef`, and
`…/ancestry` walks up to it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from catalog.descriptor import ParsedEntity
from catalog.hosts import file_url
from catalog.models import Location

TYPE = "url"
DEFAULT_PATH = "catalog-info.yaml"
MANAGED_BY = "backstage.io/managed-by-location"
ORIGIN = "backstage.io/managed-by-origin-location"


def target_of(location: Location) -> str:
    """The URL a person would register: the repository, or the file on its host
    (on the default branch, `HEAD`, when none was chosen: the target stays put)."""
    if location.path == DEFAULT_PATH and not location.branch:
        return location.url
    return file_url(location.url, location.branch or "HEAD", location.path)


def generated_name(target: str) -> str:
    digest = hashlib.sha1(f"{TYPE}:{target}".encode()).hexdigest()  # noqa: S324 - a name
    return f"generated-{digest}"


def generated_ref(target: str) -> str:
    return f"location:default/{generated_name(target)}"


def root_parent(location: Location) -> str:
    """Who emitted the location's root files: its generated entity, or for a
    repository named by another's Location entity, that entity."""
    if location.parent_id is not None:
        return location.parent_entity_ref
    return generated_ref(target_of(location))


def generated_entity(location: Location) -> ParsedEntity:
    """The generated Location entity of a registered (root) location."""
    target, name = target_of(location), generated_name(target_of(location))
    entity: dict[str, Any] = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {
            "name": name,
            "namespace": "default",
            "annotations": {MANAGED_BY: f"{TYPE}:{target}", ORIGIN: f"{TYPE}:{target}"},
        },
        "spec": {"type": TYPE, "target": target},
    }
    return ParsedEntity(
        ref=generated_ref(target),
        kind="Location",
        namespace="default",
        name=name,
        path=location.path,
        document=0,
        descriptor=entity,
        entity=entity,
        relations=(),
    )
