"""Apply one location's read result to the database in one transaction.

1. Classify what the location produced against what is stored: new, changed,
   unchanged, removed (kept when its file could not be read), and conflicts (a ref
   another location already owns: the first location keeps it).
2. Replace the relation rows and processing errors the location is responsible for.
3. Re-stitch every entity whose body can have changed (its own content, relations
   pointing from it, errors naming it): the served JSON, its etag and its owner.
4. Write new rows in bulk and a revision for every add, change and removal.

The number of queries does not depend on the number of entities.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.descriptor import ParsedEntity, Problem
from catalog.hosts import file_url
from catalog.ingest.reader import ReadResult
from catalog.models import Entity, EntityRevision, Location, ProcessingError, Relation

BATCH = 1000
MANAGED_BY = "backstage.io/managed-by-location"
ORIGIN = "backstage.io/managed-by-origin-location"
SOURCE = "backstage.io/source-location"
PROCESSING_ERROR_TYPE = "backstage.io/catalog-processing"


@dataclass(slots=True)
class ApplyStats:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    errors: int = 0
    problems: list[Problem] = field(default_factory=list)


def _hash(value: Any) -> str:
    return hashlib.sha256(
        json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def root_location(location: Location) -> Location:
    while location.parent_id is not None:
        location = location.parent  # type: ignore[assignment]
    return location


def with_provenance(
    parsed: ParsedEntity, location: Location, branch: str
) -> dict[str, Any]:
    """The processed entity with location annotations merged under the author's own."""
    origin = root_location(location)
    folder = parsed.path.rpartition("/")[0]
    annotations = {
        MANAGED_BY: f"url:{file_url(location.url, branch, parsed.path)}",
        ORIGIN: "url:"
        + file_url(origin.url, origin.resolved_branch or branch, origin.path),
        SOURCE: f"url:{file_url(location.url, branch, folder, folder=True)}",
    }
    entity = dict(parsed.entity)
    metadata = dict(entity["metadata"])
    metadata["annotations"] = {**annotations, **(metadata.get("annotations") or {})}
    entity["metadata"] = metadata
    return entity


def stitch(
    entity: Entity, relations: list[dict[str, str]], errors: list[dict[str, Any]]
) -> None:
    """Assemble the served body and its etag (a hash of everything visible)."""
    body = dict(entity.processed)
    metadata = {k: v for k, v in body["metadata"].items() if k not in ("uid", "etag")}
    metadata["uid"] = str(entity.uid)
    body["metadata"] = metadata
    body["relations"] = sorted(relations, key=lambda r: (r["type"], r["targetRef"]))
    if errors:
        body["status"] = {"items": errors}
    else:
        body.pop("status", None)
    etag = hashlib.sha1(
        json.dumps(body, sort_keys=True).encode(), usedforsecurity=False
    ).hexdigest()
    metadata["etag"] = etag
    entity.body, entity.etag = body, etag
    entity.owner_ref = next(
        (r["targetRef"] for r in relations if r["type"] == "ownedBy"), ""
    )


def _status_item(level: str, message: str) -> dict[str, Any]:
    return {
        "type": PROCESSING_ERROR_TYPE,
        "level": level,
        "message": f"InputError: {message}",
        "error": {"name": "InputError", "message": message},
    }


def _revision(
    entity: Entity, action: str, location: Location, commit: str
) -> EntityRevision:
    return EntityRevision(
        entity_uid=entity.uid,
        ref=entity.ref,
        kind=entity.kind,
        action=action,
        owner_ref=entity.owner_ref,
        location=location,
        repository=location.url,
        path=entity.path,
        commit=commit,
        descriptor=None
        if action == EntityRevision.Action.REMOVED
        else entity.processed,
    )


class Applier:
    def __init__(
        self, location: Location, commit: str, branch: str, read: ReadResult
    ) -> None:
        self.location = location
        self.commit = commit
        self.branch = branch
        self.read = read
        self.now = timezone.now()
        self.stats = ApplyStats(problems=list(read.problems))
        self.new: list[Entity] = []
        self.changed: list[Entity] = []
        self.removed: list[Entity] = []
        self.produced: dict[str, ParsedEntity] = {}
        self.affected: set[str] = set()

    def run(self) -> ApplyStats:
        produced = self._dedupe()
        stored = Entity.objects.filter(
            Q(location=self.location) | Q(ref__in=list(produced))
        )
        existing = {e.ref: e for e in stored.select_related("location")}
        self._classify(produced, existing)
        self._replace_relations()
        self._replace_errors()
        self._stitch_and_write()
        return self.stats

    def _dedupe(self) -> dict[str, ParsedEntity]:
        produced: dict[str, ParsedEntity] = {}
        for parsed in self.read.entities:
            first = produced.get(parsed.ref)
            if first is None:
                produced[parsed.ref] = parsed
                continue
            self.stats.problems.append(
                Problem(
                    parsed.path,
                    f"{parsed.path}, document {parsed.document + 1}: duplicate entity "
                    f"{parsed.ref}, already defined in {first.path}, document "
                    f"{first.document + 1}; the first definition is used",
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
            processed = with_provenance(parsed, self.location, self.branch)
            content_hash = _hash(
                {
                    "path": parsed.path,
                    "entity": processed,
                    "descriptor": parsed.descriptor,
                }
            )
            if current is None:
                entity = Entity(
                    uid=uuid.uuid4(),
                    ref=ref,
                    kind=parsed.kind,
                    namespace=parsed.namespace.lower(),
                    name=parsed.name.lower(),
                    location=self.location,
                    first_seen=self.now,
                )
                self.new.append(entity)
            elif current.content_hash != content_hash:
                entity = current
                self.changed.append(entity)
            else:
                self.stats.unchanged += 1
                continue
            entity.path, entity.commit = parsed.path, self.commit
            entity.descriptor, entity.processed = parsed.descriptor, processed
            entity.content_hash, entity.updated_at, entity.last_seen = (
                content_hash,
                self.now,
                self.now,
            )
            entity.kind = parsed.kind
            self.produced[ref] = parsed
            self.affected.add(ref)
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
        replaced = [e.pk for e in self.changed + self.removed]
        if replaced:
            old = Relation.objects.filter(origin_id__in=replaced)
            self.affected.update(old.values_list("source_ref", flat=True).distinct())
            old.delete()
        for parsed in self.produced.values():
            self.affected.update(relation.source for relation in parsed.relations)

    def _replace_errors(self) -> None:
        old = ProcessingError.objects.filter(location=self.location)
        self.affected.update(
            r for r in old.values_list("entity_ref", flat=True).distinct() if r
        )
        old.delete()
        self.errors = [
            ProcessingError(
                location=self.location,
                path=p.path,
                entity_ref=p.ref or "",
                level=p.level,
                message=p.message,
                commit=self.commit,
                created_at=self.now,
            )
            for p in self.stats.problems
        ]
        self.stats.errors = sum(1 for p in self.stats.problems if p.level == "error")
        self.affected.update(p.ref for p in self.stats.problems if p.ref)

    def _stitch_and_write(self) -> None:
        removed_refs = {e.ref for e in self.removed}
        in_memory = {e.ref: e for e in self.new + self.changed}
        targets = self.affected - removed_refs
        others = list(
            Entity.objects.filter(ref__in=list(targets - in_memory.keys())).defer(
                "descriptor", "body"
            )
        )
        relations: dict[str, list[dict[str, str]]] = {ref: [] for ref in targets}
        stored = Relation.objects.filter(source_ref__in=list(targets)).exclude(
            origin_id__in=[e.pk for e in self.changed + self.removed]
        )
        for source, type_, target in stored.values_list(
            "source_ref", "type", "target_ref"
        ):
            relations[source].append({"type": type_, "targetRef": target})
        for parsed in self.produced.values():
            for rel in parsed.relations:
                if rel.source in relations:
                    relations[rel.source].append(
                        {"type": rel.type, "targetRef": rel.target}
                    )
        errors: dict[str, list[dict[str, Any]]] = {ref: [] for ref in targets}
        other_errors = ProcessingError.objects.filter(
            entity_ref__in=list(targets)
        ).exclude(location=self.location)
        for ref, level, message in other_errors.values_list(
            "entity_ref", "level", "message"
        ):
            errors[ref].append(_status_item(level, message))
        for error in self.errors:
            if error.entity_ref in errors:
                errors[error.entity_ref].append(
                    _status_item(error.level, error.message)
                )
        updated = []
        for entity in [*in_memory.values(), *others]:
            before = entity.etag
            stitch(entity, _dedupe_relations(relations[entity.ref]), errors[entity.ref])
            if entity.ref not in in_memory and entity.etag != before:
                updated.append(entity)
        revisions = [
            _revision(e, EntityRevision.Action.REMOVED, self.location, self.commit)
            for e in self.removed
        ]
        if self.removed:
            Entity.objects.filter(pk__in=[e.pk for e in self.removed]).delete()
        Entity.objects.bulk_create(self.new, batch_size=BATCH)
        fields = [
            "kind",
            "path",
            "commit",
            "descriptor",
            "processed",
            "body",
            "content_hash",
            "etag",
            "owner_ref",
            "updated_at",
            "last_seen",
        ]
        Entity.objects.bulk_update(self.changed, fields, batch_size=BATCH)
        Entity.objects.bulk_update(
            updated, ["body", "etag", "owner_ref"], batch_size=BATCH
        )
        by_ref = {e.ref: e for e in self.new + self.changed}
        Relation.objects.bulk_create(
            [
                Relation(
                    origin=by_ref[ref],
                    source_ref=r.source,
                    type=r.type,
                    target_ref=r.target,
                )
                for ref, parsed in self.produced.items()
                for r in parsed.relations
            ],
            batch_size=BATCH,
        )
        ProcessingError.objects.bulk_create(self.errors, batch_size=BATCH)
        revisions += [
            _revision(e, EntityRevision.Action.ADDED, self.location, self.commit)
            for e in self.new
        ]
        revisions += [
            _revision(e, EntityRevision.Action.CHANGED, self.location, self.commit)
            for e in self.changed
        ]
        EntityRevision.objects.bulk_create(revisions, batch_size=BATCH)


def _dedupe_relations(items: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for item in items:
        seen.setdefault((item["type"], item["targetRef"]), item)
    return list(seen.values())


def apply_read(
    location: Location, *, commit: str, branch: str, read: ReadResult
) -> ApplyStats:
    """Make the catalog match what `location` produced at `commit`, atomically."""
    with transaction.atomic():
        return Applier(location, commit, branch, read).run()
