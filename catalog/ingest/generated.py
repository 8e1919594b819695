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
from catalog.descriptor.validation import MANAGED_BY, ORIGIN
from catalog.hosts import file_url
from catalog.models import Location

TYPE = "url"
DEFAULT_PATH = "catalog-info.yaml"


def target_of(location: Location) -> str:
    """The URL a person would register: the repository, or the file on its host
    (on the default branch, `HEAD`, when none was chosen: the target stays put).

    `backstage.io/managed-by-location` and `…/managed-by-origin-location` carry it
    exactly, so that Backstage's clients find the location by either annotation.
    """
    if location.path == DEFAULT_PATH and not location.branch:
        return location.url
    return file_url(location.url, location.branch or "HEAD", location.path)


def file_target(location: Location, branch: str, path: str) -> str:
    """The target a file a location read is known by, as Backstage's processors
    name it: the registered target for the location's own file; the file's URL on
    the crawled branch for one a glob or a Location entity's target led to."""
    if path == location.path:
        return target_of(location)
    return file_url(location.url, branch, path)


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
    if location.is_provider:
        return ""  # a provider's entities come from no Location entity
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
