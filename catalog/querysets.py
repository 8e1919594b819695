"""Query methods with intent names, shared by the CLI, web pages and API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Exists, F, OuterRef

if TYPE_CHECKING:
    from catalog.models import Relation

    RelationBase = models.QuerySet[Relation]
else:
    RelationBase = models.QuerySet


class RelationQuerySet(RelationBase):
    def declared(self) -> RelationQuerySet:
        """Relations as their source's spec states them (not the reverse rows)."""
        return self.filter(source_ref=F("origin__ref"))

    def dangling(self) -> RelationQuerySet:
        """Declared relations whose target is not in the catalog."""
        entity: Any = self.model._meta.get_field("origin").related_model
        exists = Exists(entity.objects.filter(ref=OuterRef("target_ref")))
        return self.declared().filter(~exists)
