"""What a group owns, directly and through its child groups."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from catalog.models import EntitySummary, Relation

MAX_LEVELS = 20  # deeper hierarchies than this are cut, and loops end anyway


def descendant_groups(group_ref: str) -> list[str]:
    """Every group below `group_ref` (children, their children...): one indexed
    query per level of the hierarchy, not per group."""
    seen: set[str] = {group_ref}
    level = [group_ref]
    for _ in range(MAX_LEVELS):
        children = set(
            Relation.objects.filter(source_ref__in=level, type="parentOf")
            .values_list("target_ref", flat=True)
            .distinct()
        )
        level = sorted(children - seen)  # hierarchies written by people may loop
        if not level:
            break
        seen.update(level)
    seen.discard(group_ref)
    return sorted(seen)


def owned(owner_refs: list[str]) -> QuerySet[EntitySummary]:
    return EntitySummary.objects.filter(owner_ref__in=owner_refs)


def counts_by_kind(rows: QuerySet[EntitySummary]) -> list[tuple[str, int]]:
    counted = rows.values_list("kind").annotate(count=Count("pk")).order_by("kind")
    return [(kind, count) for kind, count in counted]
