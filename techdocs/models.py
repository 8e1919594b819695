"""Documentation sites: where an entity's docs come from, and each build of them."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

from catalog.visibility import VisibleManager


class DocsSite(models.Model):
    """One entity's documentation (`backstage.io/techdocs-ref`) and the build served."""

    entity_ref = models.CharField(max_length=400, unique=True)
    location = models.ForeignKey(
        "catalog.Location",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where the entity was last read; its crawls keep the site current.",
    )
    namespace = models.CharField(max_length=63)
    kind = models.CharField(max_length=63)
    name = models.CharField(max_length=255)
    repository = models.CharField(max_length=2048, help_text="Git URL of the docs.")
    folder = models.CharField(
        max_length=1024, blank=True, help_text="The docs folder in it ('' is the root)."
    )
    branch = models.CharField(
        max_length=255, blank=True, help_text="Of another repository ('' default)."
    )
    current = models.ForeignKey(
        "DocsBuild",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The build readers see; a newer one replaces it only once whole.",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects: VisibleManager[DocsSite] = VisibleManager()
    every = models.Manager["DocsSite"]()  # restricted entities' too

    class Meta:
        ordering = ["entity_ref"]

    def __str__(self) -> str:
        return self.entity_ref

    @property
    def key(self) -> str:
        """The storage prefix, as Backstage lays sites out: ns/kind/name."""
        return f"{self.namespace}/{self.kind}/{self.name}"


class DocsBuild(models.Model):
    """One build of a site at one commit; its files live under `prefix`."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Building"
        SUCCEEDED = "succeeded", "Built"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Superseded"  # a newer commit's build replaced it

    site = models.ForeignKey(DocsSite, on_delete=models.CASCADE, related_name="builds")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    commit = models.CharField(max_length=64)
    tree = models.CharField(
        max_length=64,
        help_text="Git's hash of the docs folder: the input's fingerprint.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    log = models.TextField(blank=True, help_text="Trimmed; no environment, no secrets.")
    error = models.TextField(blank=True)

    objects: VisibleManager[DocsBuild] = VisibleManager()
    every = models.Manager["DocsBuild"]()  # restricted entities' too

    class Meta:
        indexes = [
            models.Index(fields=["site", "-created_at"], name="docsbuild_site_recent")
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.site} at {self.commit[:12]}: {self.status}"

    @property
    def prefix(self) -> str:
        return f"{self.site.key}/{self.pk}"


class DocsSection(models.Model):
    """One section of a page of a site's current build: the unit docs search finds.

    Only the current build's sections are kept (replaced when the site switches),
    so a search never returns a page readers cannot open. The vectors are
    PostgreSQL's (GIN indexes in the migration); SQLite searches `text` plainly.
    """

    site = models.ForeignKey(DocsSite, on_delete=models.CASCADE, related_name="+")
    build = models.ForeignKey(DocsBuild, on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=1024, help_text="The page, as MkDocs has it.")
    anchor = models.CharField(max_length=255, blank=True)
    page_title = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    search_vector = SearchVectorField(null=True, editable=False)  # titles A, text B
    title_vector = SearchVectorField(null=True, editable=False)  # titles alone

    objects: VisibleManager[DocsSection] = VisibleManager()
    every = models.Manager["DocsSection"]()  # restricted entities' too

    class Meta:
        indexes = [models.Index(fields=["build"], name="docssection_build")]

    def __str__(self) -> str:
        return f"{self.site} {self.url}#{self.anchor}"

    @property
    def href(self) -> str:
        anchor = f"#{self.anchor}" if self.anchor else ""
        return f"/docs/{self.site.key}/{self.url}{anchor}"
