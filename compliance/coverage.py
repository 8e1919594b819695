"""Ownership coverage: the catalog's gaps, each as a query, counted and listed.

Each check is a queryset of the entity summaries (or, for dangling relations, the
relations) that have the problem, so the dashboard counts it per kind and per
owning group with one grouped query, and the lists page through the same rows.
Refs are lower-case everywhere, and a ref names its kind (`group:default/x`), so
"is this owner a group or a user in the catalog" is an index lookup.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from celery import current_app
from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from catalog.descriptor.refs import RefError, parse_ref
from catalog.models import Entity, EntityRevision, EntitySummary, Relation
from catalog.visibility import public
from compliance.models import CoverageCount

UNOWNED_KINDS = ("group", "user", "location")  # no spec.owner in their schema
OWNER_KINDS = ("group:", "user:")
DEPRECATED = "deprecated"
# Relations whose target must exist, in the direction the descriptor wrote them.
CHECKED_RELATIONS = ("dependsOn", "partOf", "providesApi", "consumesApi")
TOP_OWNERS = 50
KEEP_COUNTS = 20
THROTTLE_SECONDS = 30
# Sent by name, as beat sends it: compliance.tasks wraps this module.
WARM_TASK = "compliance.tasks.warm_coverage_task"


@dataclass(frozen=True, slots=True)
class Check:
    key: str
    title: str
    explanation: str
    relations: bool = False  # counts relations, not entities


CHECKS = {
    check.key: check
    for check in (
        Check(
            "no-owner",
            "No owner",
            "Entities of any kind but Group, User and Location without spec.owner "
            "(Backstage's own kinds must have one; templates and others may not).",
        ),
        Check(
            "unknown-owner",
            "Owner not in the catalog",
            "spec.owner names no Group or User in the catalog.",
        ),
        Check(
            "owner-without-members",
            "Owned by a group without members",
            "The owning Group exists but has no members.",
        ),
        Check(
            "orphaned",
            "Orphaned",
            "The Location entity that emitted it is no longer in the catalog.",
        ),
        Check(
            "dangling",
            "Dangling relations",
            "dependsOn, system or domain (partOf), providesApi or consumesApi "
            "pointing at nothing in the catalog.",
            relations=True,
        ),
        Check(
            "deprecated-in-use",
            "Deprecated, still depended upon",
            "Lifecycle deprecated, and something still dependsOn it.",
        ),
    )
}


def _exists(ref: Any) -> Exists:
    return Exists(Entity.objects.filter(ref=ref))


def rows(key: str) -> QuerySet[Any]:
    """The summaries (or relations) failing check `key`; KeyError if unknown."""
    summaries = EntitySummary.objects.all()
    if key == "no-owner":
        return summaries.exclude(kind__in=UNOWNED_KINDS).filter(owner_ref="")
    if key == "unknown-owner":
        named = ~Q(owner_ref="")
        is_person_or_team = Q(owner_ref__startswith=OWNER_KINDS[0]) | Q(
            owner_ref__startswith=OWNER_KINDS[1]
        )
        return summaries.filter(named).filter(
            ~is_person_or_team | ~_exists(OuterRef("owner_ref"))
        )
    if key == "owner-without-members":
        members = Relation.objects.filter(
            source_ref=OuterRef("owner_ref"), type="hasMember"
        )
        return summaries.filter(
            _exists(OuterRef("owner_ref")),
            ~Exists(members),
            owner_ref__startswith="group:",
        )
    if key == "orphaned":
        return summaries.exclude(entity__parent_ref="").filter(
            ~_exists(OuterRef("entity__parent_ref"))
        )
    if key == "deprecated-in-use":
        users = Relation.objects.filter(target_ref=OuterRef("ref"), type="dependsOn")
        return summaries.filter(lifecycle=DEPRECATED).filter(Exists(users))
    if key == "dangling":
        return Relation.objects.filter(
            type__in=CHECKED_RELATIONS, source_ref=F("origin__ref")
        ).filter(~_exists(OuterRef("target_ref")))
    raise KeyError(key)


def narrowed(key: str, kind: str = "", owner: str = "") -> QuerySet[Any]:
    """`rows(key)` of one kind and/or one owner (the dashboard's links)."""
    found = rows(key)
    prefix = "origin__summary__" if CHECKS[key].relations else ""
    if kind:
        found = found.filter(**{f"{prefix}kind": kind.lower()})
    if owner:
        try:  # `group:ghosts` or `ghosts` means group:default/ghosts
            owner = parse_ref(owner, default_kind="group").ref
        except RefError:
            owner = owner.lower()
        found = found.filter(**{f"{prefix}owner_ref": owner})
    return found


@dataclass(frozen=True, slots=True)
class Counted:
    checks: list[dict[str, Any]]
    counted_at: datetime
    current: bool  # False: the catalog changed since, and a new count is queued


def counted() -> Counted:
    """The newest count of every check, as the dashboard shows it.

    Counting reads every entity (about half a second at 100,000), so it is done
    in a worker after crawls (at most every THROTTLE seconds) and by beat every
    minute, and kept in the database: requests read the newest count and say
    when it was made. Only the very first request, before any count, counts.
    """
    newest = CoverageCount.objects.order_by("-id").first()
    if newest is None:
        newest = count_now()
    current = newest.revision == newest_revision()
    if not current:
        request_count()
    return Counted(newest.checks, newest.counted_at, current)


def summary() -> list[dict[str, Any]]:
    """Every check: its total, per kind, and per owner (the most first)."""
    return counted().checks


@public()  # kept for everyone to read: what everyone may see
def count_now() -> CoverageCount:
    """Count every check, as of the newest revision, and keep the count."""
    revision = newest_revision()  # before counting: a change meanwhile counts again
    checks = [_count(check) for check in CHECKS.values()]
    count = CoverageCount.objects.create(revision=revision, checks=checks)
    CoverageCount.objects.filter(pk__lte=count.pk - KEEP_COUNTS).delete()
    return count


def count_if_behind(*, throttled: bool) -> bool:
    """Count the catalog as it now is, unless the newest count is of it already
    or, `throttled` (after a crawl), a count ran in the last THROTTLE_SECONDS
    (a burst of crawls counts once; beat catches up). True when it counted."""
    if is_current():
        return False
    if throttled and not cache.add("coverage:warming", 1, THROTTLE_SECONDS):
        return False
    count_now()
    return True


def is_current() -> bool:
    newest = CoverageCount.objects.order_by("-id").values_list("revision", flat=True)
    return newest.first() == newest_revision()


def newest_revision() -> int:
    """Every change to the catalog records a revision: its id dates the catalog."""
    newest = EntityRevision.every.order_by("-id").values_list("id", flat=True)
    return newest.first() or 0


def request_count() -> None:
    """Queue a count, at most one per THROTTLE seconds (and none while eager:
    the request would pay for it)."""
    if current_app.conf.task_always_eager:
        count_now()
    elif cache.add("coverage:requested", 1, THROTTLE_SECONDS):
        current_app.send_task(WARM_TASK)


def _count(check: Check) -> dict[str, Any]:
    prefix = "origin__summary__" if check.relations else ""
    groups = (
        rows(check.key)
        .order_by()
        .values(k=F(f"{prefix}kind"), o=F(f"{prefix}owner_ref"))
        .annotate(n=Count("pk"))
    )
    by_kind: Counter[str] = Counter()
    by_owner: Counter[str] = Counter()
    for group in groups:
        by_kind[group["k"]] += group["n"]
        by_owner[group["o"]] += group["n"]
    top = sorted(by_owner.items(), key=lambda item: (-item[1], item[0]))
    return {
        "check": check.key,
        "title": check.title,
        "explanation": check.explanation,
        "total": sum(by_kind.values()),
        "byKind": dict(sorted(by_kind.items())),
        "byOwner": [{"owner": o, "count": n} for o, n in top[:TOP_OWNERS]],
    }


def as_json(key: str, row: Any) -> dict[str, Any]:
    """One listed row: an entity, or a dangling relation and its source."""
    if CHECKS[key].relations:
        return {"source": row.source_ref, "type": row.type, "target": row.target_ref}
    return {
        "entityRef": row.ref,
        "kind": row.kind,
        "owner": row.owner_ref or None,
        "lifecycle": row.lifecycle or None,
    }
