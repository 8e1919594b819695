"""Which kinds a location may publish: Backstage's `catalog.rules`.

Any repository can be registered, so by default it may publish only the kinds in
GREENROOM_ALLOWED_KINDS (Component, API, Resource, System, Domain, Location,
Template). Every other kind, Group and User above all (they decide who owns what
and who is in which team), is read only from a location that an administrator
allowed: its repository URL matches GREENROOM_ORG_LOCATIONS, or it, or the root
registration it descends from (through Location targets), is flagged
`allow_org_kinds`. A child matching the root's URL pattern is not enough: each
location's own URL is matched, as Backstage applies rules per location target.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from django.conf import settings

from catalog.descriptor import Problem
from catalog.ingest.reader import ReadResult
from catalog.models import Location


def may_publish_every_kind(location: Location) -> bool:
    if location.allow_org_kinds:
        return True
    if any(fnmatchcase(location.url, p) for p in settings.GREENROOM_ORG_LOCATIONS):
        return True
    root = location
    while root.parent_id is not None and root.parent is not None:
        root = root.parent
    return root is not location and root.allow_org_kinds


def refuse_disallowed_kinds(read: ReadResult, location: Location) -> None:
    """Drop the entities `location` may not publish, each with a processing error.

    Refused refs are not kept: an entity a location may no longer publish leaves
    the catalog, as in Backstage (its last version would still name members).
    """
    allowed = set(settings.GREENROOM_ALLOWED_KINDS)
    if all(e.kind in allowed for e in read.entities):
        return
    if may_publish_every_kind(location):
        return
    kept = []
    for entity in read.entities:
        if entity.kind in allowed:
            kept.append(entity)
            continue
        read.problems.append(
            Problem(
                entity.path,
                f"{entity.path}, document {entity.document + 1}: Entity "
                f"{entity.ref} at {location}, is not of an allowed kind for that "
                f"location: this location may publish {', '.join(sorted(allowed))}; "
                f"{entity.kind} entities are read only from locations an "
                "administrator allowed (GREENROOM_ORG_LOCATIONS, or the "
                "location's 'may publish groups and users' flag)",
                entity.document,
                entity.ref,
            )
        )
    read.entities = kept
