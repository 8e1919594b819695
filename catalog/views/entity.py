"""Entity pages: overview, history and the descriptor as written."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.views.generic import TemplateView

from catalog import history, neighbours, ownership
from catalog.hosts import edit_url, web_file_url, web_repository_url
from catalog.models import ProcessingError
from catalog.views.common import EntityMixin

OWNED_SHOWN = 50
LOCATION_ERRORS_SHOWN = 20


class EntityDetailPage(EntityMixin, TemplateView):
    template_name = "catalog/entity_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        entity = self.entity
        groups = neighbours.relation_groups(entity.ref)
        context["relation_groups"] = groups
        location_errors = ProcessingError.objects.filter(location=entity.location_id)
        context["errors"] = location_errors.filter(entity_ref=entity.ref)[:100]
        context["location_errors"] = location_errors.exclude(entity_ref=entity.ref)[
            :LOCATION_ERRORS_SHOWN
        ]
        context["links"] = [
            link
            for link in context["meta"].get("links") or []
            if isinstance(link, dict)
        ]
        context["source"] = _source(entity)
        if entity.kind.lower() == "group":
            context["ownership"] = _group_ownership(entity.ref)
        elif entity.kind.lower() == "user":
            context["ownership"] = _ownership([entity.ref])
        return context


def _source(entity: Any) -> dict[str, str]:
    """Links to the repository, the file and its editor: the host's pages where
    the host kind is known (catalog/hosts.py), none invented elsewhere."""
    location = entity.location
    if location.is_provider:
        return {}  # no repository: the page names the provider
    branch = location.resolved_branch or location.branch
    return {
        "repository": web_repository_url(location.url),
        "file": web_file_url(location.url, branch, entity.path) if branch else "",
        "edit": edit_url(location.url, branch, entity.path) if branch else "",
    }


def _group_ownership(ref: str) -> dict[str, Any]:
    descendants = ownership.descendant_groups(ref)
    return _ownership([ref, *descendants]) | {"descendants": descendants}


def _ownership(owners: list[str]) -> dict[str, Any]:
    owned = ownership.owned(owners)
    return {
        "owners": owners,
        "by_kind": ownership.counts_by_kind(owned),
        "entities": list(
            owned.order_by("kind", "name").values_list("ref", "owner_ref")[:OWNED_SHOWN]
        ),
        "shown": OWNED_SHOWN,
        "query": urlencode([("owner", owner) for owner in owners]),
    }


class EntityHistoryPage(EntityMixin, TemplateView):
    template_name = "catalog/entity_history.html"
    tab = "history"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {
            "changes": history.changes(self.entity.ref)
        }


class EntityYamlPage(EntityMixin, TemplateView):
    template_name = "catalog/entity_yaml.html"
    tab = "yaml"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {
            "yaml": history.as_yaml(self.entity.descriptor)
        }
