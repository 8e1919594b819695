"""What a group owns, directly and through its child groups."""

from __future__ import annotations

from collections import defaultdict, deque

from django.db.models import Count, QuerySet

from catalog.models import Entity, Relation


def descendant_groups(group_ref: str) -> list[str]:
    """Every group below `group_ref` (children, their children...): one query."""
    children: dict[str, list[str]] = defaultdict(list)
    rows = Relation.objects.filter(
        type="parentOf", source_ref__startswith="group:"
    ).values_list("source_ref", "target_ref")
    for parent, child in rows:
        children[parent].append(child)
    seen: set[str] = {group_ref}
    queue = deque([group_ref])
    while queue:
        for child in children.get(queue.popleft(), []):
            if child not in seen:  # hierarchies written by people may loop
                seen.add(child)
                queue.append(child)
    seen.discard(group_ref)
    return sorted(seen)


def owned_entities(owner_refs: list[str]) -> QuerySet[Entity]:
    return Entity.objects.filter(owner_ref__in=owner_refs)


def counts_by_kind(entities: QuerySet[Entity]) -> list[tuple[str, int]]:
    rows = entities.values_list("kind").annotate(count=Count("pk")).order_by("kind")
    return [(kind, count) for kind, count in rows]
