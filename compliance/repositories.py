"""Repositories without a descriptor: software the host has and the catalog does
not describe, as discovery last saw it (discovery/runs.py keeps the rows).

Counted live (one grouped query over the discovered repositories, which change
with discovery runs, not with catalog revisions), per discovery source and per
host organisation, and listed with what the host knows of each: its URL, last
push, default branch, topics, and the owners CODEOWNERS or its team rights name.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, QuerySet

from discovery.models import DiscoveredRepository

KEY = "uncatalogued"
TITLE = "Repositories without a descriptor"
EXPLANATION = (
    "Repositories in the discovery sources' scopes with no descriptor at their "
    "default branch (archived and filtered-out ones left out)."
)
COLUMNS = ("repository", "url", "source", "organisation", "defaultBranch",
           "lastPush", "topics", "owners")  # fmt: skip
TOP = 50
State = DiscoveredRepository.State


def rows(source: str = "", organisation: str = "") -> QuerySet[DiscoveredRepository]:
    found = DiscoveredRepository.objects.filter(state=State.UNCATALOGUED)
    if source:
        found = found.filter(source__name=source)
    if organisation:
        found = found.filter(organisation__iexact=organisation)
    return found.select_related("source").order_by("full_name", "pk")


def share() -> dict[str, Any]:
    """How many of the discovered repositories (catalogued or not) are catalogued."""
    counts = dict(
        DiscoveredRepository.objects.filter(
            state__in=[State.CATALOGUED, State.UNCATALOGUED]
        )
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    catalogued = counts.get(State.CATALOGUED, 0)
    discovered = catalogued + counts.get(State.UNCATALOGUED, 0)
    percent = round(100 * catalogued / discovered, 1) if discovered else None
    return {"discovered": discovered, "catalogued": catalogued, "percent": percent}


def count() -> dict[str, Any]:
    """The check's total, per source and per organisation (the most first)."""
    groups = (
        rows().order_by().values("source__name", "organisation").annotate(n=Count("pk"))
    )
    by_source: Counter[str] = Counter()
    by_organisation: Counter[str] = Counter()
    for group in groups:
        by_source[group["source__name"]] += group["n"]
        by_organisation[group["organisation"]] += group["n"]
    top = sorted(by_organisation.items(), key=lambda item: (-item[1], item[0]))
    return {
        "check": KEY,
        "title": TITLE,
        "explanation": EXPLANATION,
        "total": sum(by_source.values()),
        "bySource": dict(sorted(by_source.items())),
        "byOrganisation": [{"organisation": o, "count": n} for o, n in top[:TOP]],
    }


def as_json(row: DiscoveredRepository) -> dict[str, Any]:
    return {
        "repository": row.full_name,
        "url": row.web_url or row.clone_url,
        "source": row.source.name,
        "organisation": row.organisation,
        "defaultBranch": row.default_branch or None,
        "lastPush": row.pushed_at.isoformat() if row.pushed_at else None,
        "topics": row.topics,
        "owners": row.owners,
    }


def as_row(row: DiscoveredRepository) -> list[Any]:
    """One spreadsheet row (lists joined by spaces)."""
    item = as_json(row)
    return [
        " ".join(v) if isinstance(v, list) else v
        for v in (item[column] for column in COLUMNS)
    ]
