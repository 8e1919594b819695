"""The signed-in person's own page: their teams, what those own and what needs
attention there, and what changed in it lately.

Portal's, because it reads every app: the catalog (teams, ownership, processing
errors, dependencies), compliance (failing scorecard rules) and techdocs (failed
docs builds). A fixed number of queries whatever the person owns: each list is
capped, and each flag is one grouped query over the owned refs.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.views.generic import TemplateView

from catalog import ownership
from catalog.identity import owners_for, teams_of
from catalog.models import EntityRevision, EntitySummary, ProcessingError, Relation
from compliance.models import RuleResult
from people.identity import catalog_user
from techdocs.models import DocsBuild, DocsSite

OWNED_SHOWN = 200
CHANGES_SHOWN = 20
DEPENDS = ("dependsOn", "consumesApi")


class HomePage(TemplateView):
    template_name = "portal/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        me = catalog_user(self.request)
        context = super().get_context_data(**kwargs) | {"me": me}
        if me is None:
            return context
        return context | home_of(me["ref"])


def home_of(ref: str) -> dict[str, Any]:
    teams = teams_of(ref)
    owners = owners_for(ref)
    owned_rows = ownership.owned(list(owners))
    total = owned_rows.count()
    owned = list(
        owned_rows.order_by("kind", "name").values(
            "ref", "kind", "name", "title", "owner_ref", "lifecycle"
        )[:OWNED_SHOWN]
    )
    refs = [row["ref"] for row in owned]
    flags = attention(refs)
    for row in owned:
        row["flags"] = flags.get(row["ref"], {})
    changes = EntityRevision.objects.filter(owner_ref__in=owners).order_by(
        "-recorded_at", "-id"
    )[:CHANGES_SHOWN]
    return {
        "teams": teams,
        "owned": owned,
        "owned_total": total,
        "owned_shown": OWNED_SHOWN,
        "needs_attention": sum(1 for row in owned if row["flags"]),
        "changes": changes,
    }


def attention(refs: list[str]) -> dict[str, dict[str, Any]]:
    """Per ref, what needs looking at: open processing errors, failing scorecard
    rules, a failed last docs build, dependencies on deprecated entities."""
    flags: dict[str, dict[str, Any]] = {}

    def flag(ref: str, key: str, value: Any) -> None:
        flags.setdefault(ref, {})[key] = value

    errors = (
        ProcessingError.objects.filter(entity_ref__in=refs, level="error")
        .values_list("entity_ref")
        .annotate(n=Count("id"))
    )
    for ref, count in errors:
        flag(ref, "errors", count)
    failing = (
        RuleResult.objects.filter(ref__in=refs, passed=False)
        .values_list("ref")
        .annotate(n=Count("id"))
    )
    for ref, count in failing:
        flag(ref, "failing_rules", count)
    last_status = DocsBuild.objects.filter(site=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    docs = DocsSite.objects.filter(entity_ref__in=refs).annotate(
        last=Subquery(last_status.values("status")[:1])
    )
    for ref, status in docs.values_list("entity_ref", "last"):
        if status == DocsBuild.Status.FAILED:
            flag(ref, "docs_failed", True)
    depends = list(
        Relation.objects.filter(source_ref__in=refs, type__in=DEPENDS).values_list(
            "source_ref", "target_ref"
        )
    )
    deprecated = set(
        EntitySummary.objects.filter(
            ref__in={target for _, target in depends}, lifecycle="deprecated"
        ).values_list("ref", flat=True)
    )
    on_deprecated = Counter(
        source for source, target in depends if target in deprecated
    )
    for ref, count in on_deprecated.items():
        flag(ref, "deprecated_dependencies", count)
    return flags
