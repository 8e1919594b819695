"""Catalog storage: what was registered, what it produced, and what happened."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

from catalog.querysets import RelationQuerySet
from catalog.visibility import VisibleManager


class RegisteredLocations(models.Manager["Location"]):
    """`Location.objects`: the registered targets the crawler reads (type `url`).

    Every scheduler, list, count and the Backstage locations API goes through it,
    so an organisation provider's location (people/) is never crawled, listed or
    unregistered as a repository. Its entities still reach it (`entity.location`
    uses the unfiltered base manager), and `Location.every` sees all of them.
    """

    def get_queryset(self) -> models.QuerySet[Location]:
        return super().get_queryset().filter(type=Location.URL)


class Location(models.Model):
    """A registered repository (plus path or glob) that the crawler reads, or the
    location of an organisation provider's entities (`type` names the provider)."""

    URL = "url"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        OK = "ok", "OK"
        WARNING = "warning", "Processed with errors"
        FAILED = "failed", "Failed"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(
        max_length=32,
        default=URL,
        editable=False,
        help_text="`url`: a git target; otherwise the organisation provider's kind "
        "(github-org, gitlab-group, ldap, scim), and `url` names the provider.",
    )
    url = models.CharField(max_length=2048)
    branch = models.CharField(
        max_length=255, blank=True, help_text="Empty: the remote's default branch."
    )
    path = models.CharField(
        max_length=1024, default="catalog-info.yaml", help_text="File path or glob."
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        help_text="The location whose Location entity named this repository.",
    )
    parent_entity_ref = models.CharField(
        max_length=400, blank=True, help_text="That Location entity's ref."
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    resolved_branch = models.CharField(max_length=255, blank=True)
    last_commit = models.CharField(max_length=64, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    input_paths = models.JSONField(
        default=list, blank=True, help_text="The paths the last crawl read."
    )
    last_error = models.TextField(blank=True)
    last_crawl_started = models.DateTimeField(null=True, blank=True)
    last_crawl_finished = models.DateTimeField(null=True, blank=True)
    next_crawl_at = models.DateTimeField(default=timezone.now, db_index=True)
    refresh_interval = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds; empty: the default."
    )
    crawl_again = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    allow_org_kinds = models.BooleanField(
        "may publish groups and users",
        default=False,
        help_text="Read every kind from this repository and the repositories its "
        "Location entities name, Group and User included (catalog/ingest/"
        "kind_rules.py). Set only for repositories your organisation controls.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RegisteredLocations()
    every = models.Manager["Location"]()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["url", "branch", "path"], name="location_unique_target"
            ),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        if self.is_provider:
            return self.managed_by
        branch = f"@{self.branch}" if self.branch else ""
        return f"{self.url}{branch}:{self.path}"

    @property
    def is_provider(self) -> bool:
        return self.type != self.URL

    @property
    def managed_by(self) -> str:
        """`backstage.io/managed-by-location` of a provider's entities."""
        return f"{self.type}:{self.url}"

    @property
    def target(self) -> str:
        return str(self)


class CrawlRun(models.Model):
    """One crawl of one location: when, which commit, what it changed, how it ended."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        UNCHANGED = "unchanged", "Unchanged"
        FAILED = "failed", "Failed"

    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="runs"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    forced = models.BooleanField(default=False)
    commit = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    added = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["location", "-started_at"], name="crawlrun_location_recent"
            )
        ]
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"crawl {self.pk} of location {self.location_id}: {self.status}"


class Entity(models.Model):
    """Every kind in one envelope, as Backstage has it."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ref = models.CharField(max_length=400, unique=True)
    kind = models.CharField(max_length=63)
    namespace = models.CharField(max_length=63)
    name = models.CharField(max_length=255)
    owner_ref = models.CharField(max_length=400, blank=True, db_index=True)
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="entities"
    )
    path = models.CharField(max_length=1024)
    parent_ref = models.CharField(
        max_length=400,
        blank=True,
        help_text="The Location entity that emitted it (Backstage's ancestry).",
    )
    commit = models.CharField(
        max_length=64, help_text="The commit this content was read at."
    )
    descriptor = models.JSONField(help_text="The document as written.")
    processed = models.JSONField(
        help_text="Namespace filled, placeholders resolved, annotations added: "
        "what the API serves, with uid, etag, relations and status added on read."
    )
    content_hash = models.CharField(max_length=64)
    etag = models.CharField(
        max_length=64, help_text="New whenever the served JSON changes."
    )
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    restricted = models.BooleanField(
        default=False,
        help_text="Seen only by its owners (catalog/visibility.py).",
    )

    objects: VisibleManager[Entity] = VisibleManager()
    every = models.Manager["Entity"]()  # restricted ones too: catalog/visibility.py

    class Meta:
        indexes = [
            models.Index(
                fields=["kind", "namespace", "name"], name="entity_kind_ns_name"
            ),
            # The few restricted entities, found without a scan.
            models.Index(
                fields=["owner_ref"],
                condition=models.Q(restricted=True),
                name="entity_restricted",
            ),
        ]
        verbose_name_plural = "entities"
        ordering = ["ref"]

    def __str__(self) -> str:
        return self.ref


class EntityBody(models.Model):
    """The entity's API body as JSON text, as built for one etag: the API sends it
    as it is. When the entity's etag has moved on, the next read builds it again
    (catalog/serialize.py), so crawls never rewrite bodies they did not change."""

    entity = models.OneToOneField(
        Entity, primary_key=True, on_delete=models.CASCADE, related_name="body"
    )
    etag = models.CharField(max_length=64)
    text = models.TextField()

    objects: VisibleManager[EntityBody] = VisibleManager()
    every = models.Manager["EntityBody"]()  # restricted ones too

    def __str__(self) -> str:
        return f"body of {self.entity_id} at {self.etag}"


class Relation(models.Model):
    """One directed relation. `origin` is the entity whose spec produced it.

    Both directions of a pair share an origin and are replaced together when that
    entity is ingested again. Source and target are text refs: either may not exist.
    """

    origin = models.ForeignKey(
        Entity, on_delete=models.CASCADE, related_name="produced_relations"
    )
    source_ref = models.CharField(max_length=400)
    type = models.CharField(max_length=63)
    target_ref = models.CharField(max_length=400)

    objects = VisibleManager.from_queryset(RelationQuerySet)()
    every = RelationQuerySet.as_manager()  # restricted entities' too

    class Meta:
        indexes = [
            # With the target: a node's first relations of each type are read in
            # index order (pages and graphs show 20-60 of a hub's thousands).
            models.Index(
                fields=["source_ref", "type", "target_ref"], name="relation_source_type"
            ),
            models.Index(fields=["target_ref", "type"], name="relation_target"),
        ]

    def __str__(self) -> str:
        return f"{self.source_ref} {self.type} {self.target_ref}"


class EntityField(models.Model):
    """One flattened (key, value) row of an entity's JSON: see catalog/fields.py."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="fields")
    key = models.CharField(max_length=200)
    value = models.CharField(max_length=200, null=True)
    original = models.CharField(max_length=200, null=True)

    objects: VisibleManager[EntityField] = VisibleManager()
    every = models.Manager["EntityField"]()  # restricted ones too

    class Meta:
        indexes = [models.Index(fields=["key", "value"], name="entityfield_key_value")]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class FacetSet(models.Model):
    """One distinct combination of the list's facet values, shared by every entity
    that has it: facet counts group a few thousand of these ids, not 100,000 rows
    of text (catalog/listing.py)."""

    kind = models.CharField(max_length=63)
    namespace = models.CharField(max_length=63)
    owner_ref = models.CharField(max_length=400, blank=True)
    type = models.CharField(max_length=200, blank=True)
    lifecycle = models.CharField(max_length=200, blank=True)
    system = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "kind",
                    "namespace",
                    "owner_ref",
                    "type",
                    "lifecycle",
                    "system",
                ],
                name="facetset_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace} {self.owner_ref} {self.type}"


class EntitySummary(models.Model):
    """A narrow copy of what the catalog list filters, counts, sorts and shows.

    Entity rows carry two copies of the whole document (kilobytes each); scanning
    these few short columns instead keeps facet counts fast at 100,000 entities.
    Written by the crawl beside the entity (catalog/summary.py); facet columns are
    lower-cased.
    """

    entity = models.OneToOneField(
        Entity, primary_key=True, on_delete=models.CASCADE, related_name="summary"
    )
    ref = models.CharField(max_length=400)
    kind = models.CharField(max_length=63)
    namespace = models.CharField(max_length=63)
    name = models.CharField(max_length=255)
    owner_ref = models.CharField(max_length=400, blank=True)
    title = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=300, blank=True)
    type = models.CharField(max_length=200, blank=True)
    lifecycle = models.CharField(max_length=200, blank=True)
    system = models.CharField(max_length=200, blank=True)
    facet_set = models.ForeignKey(
        FacetSet, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    updated_at = models.DateTimeField()
    # PostgreSQL full text (catalog/search.py), here rather than on the wide entity
    # rows so that ranking thousands of matches reads little; GIN index: migration.
    search_vector = SearchVectorField(null=True, editable=False)

    objects: VisibleManager[EntitySummary] = VisibleManager()
    every = models.Manager["EntitySummary"]()  # restricted ones too

    class Meta:
        indexes = [
            models.Index(fields=["name", "ref"], name="summary_name"),
            models.Index(fields=["updated_at"], name="summary_updated"),
            models.Index(fields=["owner_ref", "kind", "name"], name="summary_owner"),
            # Counting per set and choosing by facet values are index-only scans.
            models.Index(fields=["facet_set", "entity"], name="summary_facet_set"),
        ]

    def __str__(self) -> str:
        return self.ref


class EntityTag(models.Model):
    """One tag of one entity, beside the entity's FacetSet: counting the tags of
    the entities chosen by facet values reads one index range per set."""

    # No index of its own: the unique (entity, tag) constraint serves lookups.
    entity = models.ForeignKey(
        Entity, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    facet_set = models.ForeignKey(
        FacetSet, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    tag = models.CharField(max_length=63)

    objects: VisibleManager[EntityTag] = VisibleManager()
    every = models.Manager["EntityTag"]()  # restricted ones too

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "tag"], name="entitytag_unique")
        ]
        indexes = [
            models.Index(fields=["facet_set", "tag"], name="entitytag_facet_set")
        ]

    def __str__(self) -> str:
        return self.tag


class ProcessingError(models.Model):
    """A problem found while crawling a location; replaced by the next crawl."""

    class Level(models.TextChoices):
        ERROR = "error", "Error"
        WARNING = "warning", "Warning"

    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="errors"
    )
    path = models.CharField(max_length=1024, blank=True)
    entity_ref = models.CharField(max_length=400, blank=True, db_index=True)
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.ERROR)
    message = models.TextField()
    commit = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: VisibleManager[ProcessingError] = VisibleManager()
    every = models.Manager["ProcessingError"]()  # restricted ones too

    class Meta:
        ordering = ["location_id", "path", "id"]

    def __str__(self) -> str:
        return self.message


class EntityRevision(models.Model):
    """Append-only history: one row per add, change and removal of an entity."""

    class Action(models.TextChoices):
        ADDED = "added", "Added"
        CHANGED = "changed", "Changed"
        REMOVED = "removed", "Removed"

    entity_uid = models.UUIDField()
    ref = models.CharField(max_length=400)
    kind = models.CharField(max_length=63)
    action = models.CharField(max_length=8, choices=Action.choices)
    owner_ref = models.CharField(max_length=400, blank=True)
    location = models.ForeignKey(
        Location, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    repository = models.CharField(max_length=2048)
    path = models.CharField(max_length=1024)
    commit = models.CharField(max_length=64)
    descriptor = models.JSONField(null=True)
    reason = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why, where the change was not a file's: a person who left.",
    )
    restricted = models.BooleanField(
        default=False, help_text="Seen only by its owners, as the entity then was."
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects: VisibleManager[EntityRevision] = VisibleManager()
    every = models.Manager["EntityRevision"]()  # restricted ones too

    class Meta:
        indexes = [
            models.Index(fields=["ref", "recorded_at"], name="revision_ref_time"),
            # The catalog at a date: the newest revision per ref, in one index pass.
            models.Index(
                fields=["ref", "-recorded_at", "-id"], name="revision_ref_newest"
            ),
            # What an owner owned at a date: the refs it ever owned, in ref order.
            models.Index(
                fields=["owner_ref", "ref", "recorded_at"], name="revision_owner_ref"
            ),
            models.Index(fields=["recorded_at"], name="revision_time"),
            models.Index(
                fields=["owner_ref"],
                condition=models.Q(restricted=True),
                name="revision_restricted",
            ),
        ]
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.ref} {self.action} at {self.commit[:12]}"


class ApiToken(models.Model):
    """A person's API token. Only its SHA-256 is stored; the token is shown once."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=12, help_text="Shown to tell tokens apart.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"
