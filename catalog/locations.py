"""Registering and unregistering locations: shared by the CLI, web pages and API."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from audit import log as audit
from catalog.changes import entities_changed
from catalog.hosts import repository_key
from catalog.ingest.apply import apply_read, new_etag, revision
from catalog.ingest.generated import DEFAULT_PATH
from catalog.ingest.git import is_valid_branch
from catalog.ingest.mirrors import location_mirror_path
from catalog.ingest.reader import ReadResult, clean_relative
from catalog.ingest.schedule import enqueue_crawl
from catalog.models import Entity, EntityRevision, Location, Relation
from catalog.urlpolicy import UrlRefused, check_url
from catalog.visibility import system


class RegistrationError(ValueError):
    """A registration refused before anything was stored; the message says why."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    branch: str
    path: str


def locations_of(urls: Iterable[str]) -> list[Location]:
    """Our locations of the repositories these URLs name, however each is spelled
    (https, ssh, `git@host:path`, `.git` or not, any case of host: one
    `repository_key`). Narrowed in SQL by the repository's name, then compared."""
    keys = {key for key in map(repository_key, urls) if key}
    if not keys:
        return []
    candidates = Location.objects.none()
    for name in {key.rsplit("/", 1)[-1] for key in keys}:
        candidates |= Location.objects.filter(url__icontains=name)
    return [c for c in candidates.order_by("id") if repository_key(c.url) in keys]


def validate_target(url: str, branch: str = "", path: str = "") -> Target:
    """Check a registration against the URL policy and path rules; store nothing."""
    try:
        repo = check_url(url)
    except UrlRefused as exc:
        raise RegistrationError(
            str(exc)
        ) from None  # never echo the URL: it may hold a secret
    branch = branch.strip()
    if branch and not is_valid_branch(branch):
        raise RegistrationError(f"{branch!r} is not a valid branch name")
    clean = clean_relative((path or DEFAULT_PATH).strip())
    if clean is None:
        raise RegistrationError(f"{path!r} is not a path inside the repository")
    return Target(repo.url, branch, clean)


def register_location(
    url: str, branch: str = "", path: str = ""
) -> tuple[Location, bool]:
    """Register a repository (idempotent) and queue its first crawl."""
    target = validate_target(url, branch, path)
    with transaction.atomic():
        location, created = Location.objects.get_or_create(
            url=target.url, branch=target.branch, path=target.path
        )
        if created:
            audit.record("location.register", str(location), location=str(location.uid))
            enqueue_crawl(location.pk)
    return location, created


def refresh_location(location: Location) -> None:
    """Crawl a location again now, even if its commit did not move."""
    with transaction.atomic():
        audit.record("location.refresh", str(location), location=str(location.uid))
        enqueue_crawl(location.pk, force=True)


def register_many(targets: list[Target]) -> list[Location]:
    """Register many already-validated targets in bulk; returns the new locations."""
    with transaction.atomic():
        wanted = {(t.url, t.branch, t.path) for t in targets}
        existing = set(
            Location.objects.filter(url__in=[t.url for t in targets]).values_list(
                "url", "branch", "path"
            )
        )
        created = [
            Location(url=u, branch=b, path=p) for u, b, p in sorted(wanted - existing)
        ]
        Location.objects.bulk_create(created, batch_size=1000)  # sets ids (RETURNING)
        audit.record_many(
            "location.register",
            [(str(location), {"location": str(location.uid)}) for location in created],
        )
        for location in created:
            enqueue_crawl(location.pk)
    return created


def retarget_location(location: Location, target: Target) -> bool:
    """Point a location at another repository, branch or path and crawl it afresh.

    False when another location already has that target. The old mirror is
    dropped (it belongs to the old repository); the next crawl replaces the
    entities, recording each change in history.
    """
    others = Location.objects.exclude(pk=location.pk)
    if others.filter(url=target.url, branch=target.branch, path=target.path).exists():
        return False
    mirror = location_mirror_path(location)
    with transaction.atomic():
        audit.record(
            "location.update",
            str(location),
            location=str(location.uid),
            url=target.url,
            branch=target.branch,
            path=target.path,
        )
        Location.objects.filter(pk=location.pk).update(
            url=target.url,
            branch=target.branch,
            path=target.path,
            status=Location.Status.PENDING,
            last_commit="",
            content_hash="",
            resolved_branch="",
            attempts=0,
        )
        transaction.on_commit(lambda: shutil.rmtree(mirror, ignore_errors=True))
        enqueue_crawl(location.pk, force=True)
    location.refresh_from_db()
    return True


@system()  # what it produced, whoever may see it
def delete_entity(entity: Entity) -> None:
    """Remove one entity (recorded in its history) until its location says it again.

    Its location forgets what it last read, so the next crawl (scheduled, forced
    or from a webhook) writes the entity back if its file still declares it, as
    Backstage does.
    """
    location = entity.location
    with transaction.atomic():
        audit.record("entity.delete", entity.ref, location=str(location.uid))
        revision(entity, EntityRevision.Action.REMOVED, location, entity.commit).save()
        # Relations it produced leave the other side's body too (e.g. `ownerOf` on
        # its owner): those bodies change, so do their etags.
        others = set(
            Relation.objects.filter(origin=entity)
            .exclude(source_ref=entity.ref)
            .values_list("source_ref", flat=True)
        )
        Entity.objects.filter(ref__in=others).update(etag=new_etag())
        entity.delete()  # its rows go with it; relations naming it now dangle
        entities_changed([entity.ref, *others], owners=[entity.ref])
        # Not "unchanged" any more: the next crawl (or provider run) applies again.
        Location.every.filter(pk=location.pk).update(content_hash="", last_commit="")


@system()  # everything it produced, whoever may see it
def unregister_location(location: Location, reason: str = "") -> None:
    """Remove a location and everything it produced, with a revision for each
    entity (giving `reason` where one is known)."""
    for child in location.children.all():
        unregister_location(child, reason)
    mirror = location_mirror_path(location)
    with transaction.atomic():
        audit.record("location.unregister", str(location), location=str(location.uid))
        apply_read(
            location,
            commit=location.last_commit,
            branch=location.resolved_branch,
            read=ReadResult(),
            removal_reason=reason,
        )
        location.delete()
        transaction.on_commit(lambda: shutil.rmtree(mirror, ignore_errors=True))
