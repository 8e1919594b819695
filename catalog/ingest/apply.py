"""Apply one location's read result to the database in one transaction.

1. Classify what the location produced against what is stored: new, changed,
   unchanged, removed (kept when its file could not be read), and conflicts (a ref
   another location already owns: the first location keeps it).
2. Replace the relation rows of changed and removed entities, and the location's
   processing errors.
3. Give a new etag to every entity whose served JSON changed: its own content, or
   the relations and errors that are assembled into it when it is read.
4. Write rows in bulk and a revision for every add, change and removal.

The number of queries does not depend on the number of entities. Relations are
not copied into each entity's stored JSON (see catalog/serialize.py): a team that
owns 2,000 entities would otherwise be rewritten by every crawl that touches one.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.changes import entities_changed
from catalog.descriptor import ParsedEntity, Problem
from catalog.fields import flatten
from catalog.hosts import edit_url, web_file_url
from catalog.ingest.generated import (
    MANAGED_BY,
    ORIGIN,
    file_target,
    root_parent,
    target_of,
)
from catalog.ingest.reader import ReadResult, is_glob
from catalog.models import (
    Entity,
    EntityField,
    EntityRevision,
    Location,
    ProcessingError,
    Relation,
)
from catalog.search import index_entities
from catalog.statistics import after_large_change
from catalog.storable import fit, storable_json
from catalog.summary import write_summaries
from catalog.viewers import is_restricted
from catalog.visibility import system

BATCH = 1000
SOURCE = "backstage.io/source-location"
VIEW = "backstage.io/view-url"
EDIT = "backstage.io/edit-url"

Triple = tuple[str, str, str]


@dataclass(slots=True)
class ApplyStats:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    errors: int = 0
    problems: list[Problem] = field(default_factory=list)


def new_etag() -> str:
    # Never reused: an etag names one version of the served JSON, whatever changed.
    return uuid.uuid4().hex


def content_hash(parsed: ParsedEntity, processed: dict[str, Any], parent: str) -> str:
    value = {
        "path": parsed.path,
        "parent": parent,
        "entity": processed,
        "descriptor": parsed.descriptor,
    }
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def root_location(location: Location) -> Location:
    while location.parent_id is not None:
        location = location.parent  # type: ignore[assignment]
    return location


def with_provenance(
    parsed: ParsedEntity, location: Location, origin: Location, branch: str
) -> dict[str, Any]:
    """The processed entity with Backstage's location annotations.

    Where it was read and which registration led there replace what the file says
    (Backstage's ProcessorOutputCollector); the view, edit and source links go
    under the author's (its AnnotateLocationEntityProcessor).
    """
    if location.is_provider:
        # An organisation provider's entity: the provider is its location and its
        # origin, as Backstage's providers name themselves; no file, no links.
        managed = {MANAGED_BY: location.managed_by, ORIGIN: location.managed_by}
        links = {}
    else:
        managed = {
            MANAGED_BY: "url:" + file_target(location, branch, parsed.path),
            ORIGIN: "url:" + target_of(origin),
        }
        links = location_links(location.url, branch, parsed.path)
    entity = dict(parsed.entity)
    metadata = dict(entity["metadata"])
    authored = metadata.get("annotations") or {}
    metadata["annotations"] = {**links, **authored, **managed}
    entity["metadata"] = metadata
    return entity


def location_links(repo_url: str, branch: str, path: str) -> dict[str, str]:
    """`view-url`, `edit-url` and `source-location` of a descriptor file.

    On a host whose pages we know (catalog/hosts.py, host_kind), its pages, as
    Backstage sets them for a host it has an integration for. On any other host
    (git://, file://, ssh) Backstage sets no source; Greenroom names the repository
    itself for a file at its root and nothing for one in a folder, whose address
    there would be invented. A glob's own path (the generated Location entity of a
    glob registration) is no file: no links.
    """
    if is_glob(path):
        return {}
    folder = path.rpartition("/")[0]
    view = web_file_url(repo_url, branch, path)
    if not view:
        return {} if folder else {SOURCE: f"url:{_repository_ref(repo_url)}/"}
    links = {
        VIEW: view,
        SOURCE: "url:" + web_file_url(repo_url, branch, folder, folder=True),
    }
    edit = edit_url(repo_url, branch, path)
    return links | {EDIT: edit} if edit else links


def _repository_ref(repo_url: str) -> str:
    # A local path is a file:// URL; every other URL stays as registered.
    url = repo_url.rstrip("/")
    return f"file://{url}" if url.startswith("/") else url


def revision(
    entity: Entity, action: str, location: Location, commit: str, reason: str = ""
) -> EntityRevision:
    removed = action == EntityRevision.Action.REMOVED
    return EntityRevision(
        entity_uid=entity.uid,
        ref=fit(EntityRevision, "ref", entity.ref),
        kind=fit(EntityRevision, "kind", entity.kind),
        action=action,
        owner_ref=fit(EntityRevision, "owner_ref", entity.owner_ref),
        location=location,
        repository=fit(EntityRevision, "repository", location.url),
        path=fit(EntityRevision, "path", entity.path),
        commit=fit(EntityRevision, "commit", commit),
        descriptor=None if removed else storable_json(entity.processed),
        reason=fit(EntityRevision, "reason", reason),
        restricted=entity.restricted,
    )


class Applier:
    def __init__(
        self,
        location: Location,
        commit: str,
        branch: str,
        read: ReadResult,
        removal_reason: str = "",
    ) -> None:
        self.location = location
        self.removal_reason = removal_reason
        self.origin = root_location(location)
        self.root_parent = root_parent(location)
        self.commit = commit
        self.branch = branch
        self.read = read
        self.now = timezone.now()
        self.stats = ApplyStats(problems=list(read.problems))
        self.new: list[Entity] = []
        self.changed: list[Entity] = []
        self.removed: list[Entity] = []
        self.produced: dict[str, ParsedEntity] = {}  # refs written by this crawl
        self.touched: set[str] = set()  # refs whose relations or errors changed
        self.regrouped: set[str] = set()  # groups whose members changed

    def run(self) -> ApplyStats:
        produced = self._dedupe()
        stored = Entity.objects.filter(
            Q(location=self.location) | Q(ref__in=list(produced))
        ).defer("descriptor")
        existing = {e.ref: e for e in stored.select_related("location")}
        self._classify(produced, existing)
        self._replace_relations()
        self._replace_errors()
        self._write()
        return self.stats

    def _dedupe(self) -> dict[str, ParsedEntity]:
        produced: dict[str, ParsedEntity] = {}
        for parsed in self.read.entities:
            if fit(Entity, "ref", parsed.ref) != parsed.ref:
                # The descriptor model refuses such refs; a cut one would name
                # another entity, so it is never stored.
                self.stats.problems.append(
                    Problem(
                        parsed.path, "entity ref cannot be stored", None, parsed.ref
                    )
                )
                continue
            first = produced.setdefault(parsed.ref, parsed)
            if first is not parsed:
                self.stats.problems.append(
                    Problem(
                        parsed.path,
                        f"{parsed.path}, document {parsed.document + 1}: duplicate "
                        f"entity {parsed.ref}, already defined in {first.path}, "
                        f"document {first.document + 1}; the first one is used",
                        parsed.document,
                        parsed.ref,
                    )
                )
        return produced

    def _classify(
        self, produced: dict[str, ParsedEntity], existing: dict[str, Entity]
    ) -> None:
        for ref, parsed in produced.items():
            current = existing.get(ref)
            if current is not None and current.location_id != self.location.id:
                self._conflict(parsed, current)
                continue
            processed = with_provenance(parsed, self.location, self.origin, self.branch)
            parent = self._parent(parsed)
            digest = content_hash(parsed, processed, parent)
            if current is not None and current.content_hash == digest:
                self.stats.unchanged += 1
                continue
            entity = current or Entity(
                ref=ref,
                namespace=fit(Entity, "namespace", parsed.namespace.lower()),
                name=fit(Entity, "name", parsed.name.lower()),
                location=self.location,
                first_seen=self.now,
            )
            (self.changed if current else self.new).append(entity)
            self._fill(entity, parsed, processed, parent)
            entity.content_hash, entity.etag = digest, new_etag()
            entity.updated_at = entity.last_seen = self.now
            self.produced[ref] = parsed
        for ref, current in existing.items():
            if (
                current.location_id == self.location.id
                and ref not in produced
                and ref not in self.read.kept_refs
                and current.path not in self.read.incomplete_paths
            ):
                self.removed.append(current)
        self.stats.added, self.stats.changed = len(self.new), len(self.changed)
        self.stats.removed = len(self.removed)

    def _fill(
        self,
        entity: Entity,
        parsed: ParsedEntity,
        processed: dict[str, Any],
        parent: str,
    ) -> None:
        """Copy what was read onto the row, storable (catalog/storable.py): the
        descriptor model refuses unstorable documents, this is the last word."""
        entity.kind = fit(Entity, "kind", parsed.kind)
        entity.path = fit(Entity, "path", parsed.path)
        entity.parent_ref = fit(Entity, "parent_ref", parent)
        entity.commit = fit(Entity, "commit", self.commit)
        entity.descriptor = storable_json(parsed.descriptor)
        entity.processed = storable_json(processed)
        entity.owner_ref = fit(Entity, "owner_ref", parsed.owner or "")
        entity.restricted = is_restricted(processed, entity.owner_ref)

    def _parent(self, parsed: ParsedEntity) -> str:
        """The Location entity that emitted it: the one naming its file, else the
        location's root parent (never itself: the generated entity has none)."""
        parent = self.read.parents.get(parsed.path, self.root_parent)
        return "" if parent == parsed.ref else parent

    def _conflict(self, parsed: ParsedEntity, current: Entity) -> None:
        owner = current.location
        self.stats.problems.append(
            Problem(
                parsed.path,
                f"{parsed.path}, document {parsed.document + 1}: entity "
                f"{parsed.ref} is already defined by location {owner.pk} "
                f"({owner.url}, {current.path}); "
                "the first location keeps it and this definition is ignored",
                parsed.document,
                parsed.ref,
            )
        )

    def _replace_relations(self) -> None:
        """Swap the rows of changed and removed entities; note whose set changed."""
        replaced = [e.pk for e in self.changed + self.removed]
        before: dict[int, set[Triple]] = defaultdict(set)
        if replaced:
            old = Relation.objects.filter(origin_id__in=replaced)
            for origin, *triple in old.values_list(
                "origin_id", "source_ref", "type", "target_ref"
            ):
                before[origin].add(tuple(triple))  # type: ignore[arg-type]
            old.delete()
        for entity in self.changed + self.removed:
            parsed = self.produced.get(entity.ref)
            after = (
                {(r.source, r.type, r.target) for r in parsed.relations}
                if parsed
                else set()
            )
            self._touch(before[entity.pk] ^ after)
        for entity in self.new:
            relations = self.produced[entity.ref].relations
            self._touch({(r.source, r.type, r.target) for r in relations})

    def _touch(self, changed: set[Triple]) -> None:
        self.touched.update(source for source, _, _ in changed)
        self.regrouped.update(s for s, kind, _ in changed if kind == "hasMember")

    def _replace_errors(self) -> None:
        old = ProcessingError.objects.filter(location=self.location)
        previous = set(old.values_list("entity_ref", "level", "message"))
        old.delete()
        self.errors = [
            ProcessingError(
                location=self.location,
                path=fit(ProcessingError, "path", p.path),
                entity_ref=fit(ProcessingError, "entity_ref", p.ref or ""),
                level=p.level,
                message=fit(ProcessingError, "message", p.message),
                commit=fit(ProcessingError, "commit", self.commit),
                created_at=self.now,
            )
            for p in self.stats.problems
        ]
        current = {(e.entity_ref, e.level, e.message) for e in self.errors}
        self.touched.update(ref for ref, _, _ in previous ^ current if ref)
        self.stats.errors = sum(1 for p in self.stats.problems if p.level == "error")

    def _write(self) -> None:
        written = {e.ref for e in self.new + self.changed + self.removed}
        others = self.touched - written
        if others:
            Entity.objects.filter(ref__in=list(others)).update(etag=new_etag())
        revisions = [
            revision(
                e,
                EntityRevision.Action.REMOVED,
                self.location,
                self.commit,
                self.removal_reason,
            )
            for e in self.removed
        ]
        if self.removed:
            Entity.objects.filter(pk__in=[e.pk for e in self.removed]).delete()
        # No batch_size on inserts: Django takes the backend's own limit (one
        # UNNEST statement per table on PostgreSQL, whatever the row count).
        Entity.objects.bulk_create(self.new)
        fields = [
            "kind", "path", "parent_ref", "commit", "descriptor", "processed",
            "content_hash", "etag", "owner_ref", "updated_at", "last_seen",
            "restricted",
        ]  # fmt: skip
        Entity.objects.bulk_update(self.changed, fields, batch_size=BATCH)
        self._write_fields()
        write_summaries(self.new, self.changed)
        index_entities([e.pk for e in self.new + self.changed])
        by_ref = {e.ref: e for e in self.new + self.changed}
        Relation.objects.bulk_create(
            [
                Relation(
                    origin=by_ref[ref],
                    source_ref=fit(Relation, "source_ref", r.source),
                    type=fit(Relation, "type", r.type),
                    target_ref=fit(Relation, "target_ref", r.target),
                )
                for ref, parsed in self.produced.items()
                for r in parsed.relations
            ]
        )
        ProcessingError.objects.bulk_create(self.errors)
        revisions += [
            revision(e, EntityRevision.Action.ADDED, self.location, self.commit)
            for e in self.new
        ]
        revisions += [
            revision(e, EntityRevision.Action.CHANGED, self.location, self.commit)
            for e in self.changed
        ]
        EntityRevision.objects.bulk_create(revisions)
        # Owners whose coming or going, or members, bear on what they own.
        people = ("group:", "user:")
        arrived_or_left = {e.ref for e in self.new + self.removed}
        owners = {ref for ref in arrived_or_left if ref.startswith(people)}
        entities_changed(written | self.touched, owners=owners | self.regrouped)

    def _write_fields(self) -> None:
        if self.changed:
            EntityField.objects.filter(entity__in=[e.pk for e in self.changed]).delete()
        EntityField.objects.bulk_create(
            [
                EntityField(entity=e, key=key, value=value, original=original)
                for e in self.new + self.changed
                for key, value, original in flatten(e.processed, str(e.uid))
            ]
        )


@system()  # the whole catalog, whoever the request is for
def apply_read(
    location: Location,
    *,
    commit: str,
    branch: str,
    read: ReadResult,
    removal_reason: str = "",
) -> ApplyStats:
    """Make the catalog match what `location` produced at `commit`, atomically.

    `removal_reason` goes in the history of every entity this removes (an
    organisation provider says the person left); a crawl's removals need none.
    """
    with transaction.atomic():
        stats = Applier(location, commit, branch, read, removal_reason).run()
        after_large_change(stats.added + stats.changed + stats.removed)
        return stats
