"""Reading the catalog in tests."""

from __future__ import annotations

from django.db.models import QuerySet

from catalog.models import Entity


def authored() -> QuerySet[Entity]:
    """The entities the repositories' files declare: every entity except the
    Location entity generated for each registration (Backstage's)."""
    return Entity.objects.exclude(kind="Location", name__startswith="generated-")
