"""Filling the catalog from real repositories, and reading it, in tests."""

from __future__ import annotations

from django.db.models import QuerySet

from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import Entity, Location


def authored() -> QuerySet[Entity]:
    """The entities the repositories' files declare: every entity except the
    Location entity generated for each registration (Backstage's)."""
    return Entity.objects.exclude(kind="Location", name__startswith="generated-")


def crawl_repo(repos, name: str, files: dict[str, object], path: str = "") -> Location:
    """A repository of `files`, registered (at `path`) and crawled once."""
    repo = repos.create(name, files)
    location, _ = register_location(repo.url, "", path)
    crawl_location(location)
    location.refresh_from_db()
    return location


def crawl(location: Location) -> Location:
    """Crawl a fresh copy of `location` and return it reloaded, as a worker would."""
    crawl_location(Location.objects.get(pk=location.pk))
    return Location.objects.get(pk=location.pk)
