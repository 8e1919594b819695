"""The catalog as it was: at any moment, per entity, per owner, and what changed.

Everything comes from the revisions the crawler records (EntityRevision: one per
add, change and removal, with commit, path, owner and descriptor). An entity was
in the catalog at a moment when its newest revision recorded by then is not a
removal; that revision says what it looked like, who owned it and since which
commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery

from catalog.history import DiffLine, as_yaml, diff_lines
from catalog.models import EntityRevision

REMOVED = EntityRevision.Action.REMOVED


def catalog_at(moment: datetime) -> QuerySet[EntityRevision]:
    """Each entity's revision as of `moment`, for the entities in the catalog then."""
    upto = EntityRevision.objects.filter(recorded_at__lte=moment)
    if connection.vendor == "postgresql":
        # One pass over the (ref, recorded_at DESC, id DESC) index: the newest per ref.
        newest = upto.order_by("ref", "-recorded_at", "-id").distinct("ref")
        ids = newest.values("pk")
    else:
        later = upto.filter(ref=OuterRef("ref")).order_by("-recorded_at", "-id")
        ids = upto.filter(pk=Subquery(later.values("pk")[:1])).values("pk")
    return EntityRevision.objects.filter(pk__in=ids).exclude(action=REMOVED)


def catalog_page(
    moment: datetime,
    *,
    after: str = "",
    size: int = 100,
    kind: str = "",
    owner: str = "",
) -> list[EntityRevision]:
    """`size` entities of the catalog at `moment`, by ref, after `after`.

    Unfiltered, it walks the newest-revision-per-ref index from `after` and stops
    once the page is full (a removal is skipped), so a page costs the same at any
    catalog size. A kind or owner is a property of the revision then: those pages
    select from the whole catalog at `moment` first.
    """
    if owner and connection.vendor == "postgresql":
        return _owner_page(moment, owner.lower(), after, size, kind)
    if kind or owner or connection.vendor != "postgresql":
        rows = catalog_at(moment).order_by("ref")
        if kind:
            rows = rows.filter(kind__iexact=kind)
        if owner:
            rows = rows.filter(owner_ref=owner.lower())
        return list(rows.filter(ref__gt=after)[:size])
    newest = (
        EntityRevision.objects.filter(recorded_at__lte=moment)
        .order_by("ref", "-recorded_at", "-id")
        .distinct("ref")
    )
    page: list[EntityRevision] = []
    while len(page) < size:
        chunk = list(newest.filter(ref__gt=after)[: size * 2])
        page += [r for r in chunk if r.action != REMOVED]
        if len(chunk) < size * 2:
            break
        after = chunk[-1].ref
    return page[:size]


def _owner_page(
    moment: datetime, owner: str, after: str, size: int, kind: str
) -> list[EntityRevision]:
    """What `owner` owned at `moment`: the refs it ever owned by then, in ref order
    from the (owner_ref, ref, recorded_at) index, a chunk at a time, each kept if
    its newest revision then is still the owner's and not a removal."""
    candidates = (
        EntityRevision.objects.filter(owner_ref=owner, recorded_at__lte=moment)
        .order_by("ref")
        .values_list("ref", flat=True)
        .distinct()
    )
    page: list[EntityRevision] = []
    while len(page) < size:
        refs = list(candidates.filter(ref__gt=after)[: size * 2])
        newest = (
            EntityRevision.objects.filter(ref__in=refs, recorded_at__lte=moment)
            .order_by("ref", "-recorded_at", "-id")
            .distinct("ref")
        )
        page += [
            r
            for r in newest
            if r.action != REMOVED
            and r.owner_ref == owner
            and (not kind or r.kind.lower() == kind.lower())
        ]
        if len(refs) < size * 2:
            break
        after = refs[-1]
    return page[:size]


def entity_at(ref: str, moment: datetime) -> EntityRevision | None:
    """The entity as it was at `moment`; None when it was not in the catalog."""
    revision = (
        EntityRevision.objects.filter(ref=ref, recorded_at__lte=moment)
        .order_by("-recorded_at", "-id")
        .first()
    )
    return None if revision is None or revision.action == REMOVED else revision


@dataclass(frozen=True, slots=True)
class Ownership:
    owner: str  # "" while it had none; "(removed)" while it was out of the catalog
    since: EntityRevision  # the revision that made it so: when, which commit


def ownership(ref: str) -> list[Ownership]:
    """Who owned `ref` over time, oldest first: one entry per change of owner."""
    timeline: list[Ownership] = []
    for revision in EntityRevision.objects.filter(ref=ref).order_by(
        "recorded_at", "id"
    ):
        owner = "(removed)" if revision.action == REMOVED else revision.owner_ref
        if not timeline or timeline[-1].owner != owner:
            timeline.append(Ownership(owner, revision))
    return timeline


def diff(before: EntityRevision | None, after: EntityRevision) -> list[DiffLine]:
    """The descriptor's changes from one revision to another, as YAML lines."""
    old = None if before is None or before.action == REMOVED else before.descriptor
    new = None if after.action == REMOVED else after.descriptor
    return diff_lines(as_yaml(old), as_yaml(new))
