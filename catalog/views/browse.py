"""The catalog list with facets, and the search page."""

from __future__ import annotations

from typing import Any

from django.views.generic import ListView

from catalog import listing
from catalog.descriptor.kinds import KINDS
from catalog.models import EntitySummary
from catalog.search import search

VIA_ENTITY = "entity__"  # summaries search through their entity's vector and name


class EntityListView(ListView):
    template_name = "catalog/entity_list.html"
    paginate_by = 50
    context_object_name = "entities"

    def get_queryset(self) -> Any:
        self.choices = listing.Choices.from_query(self.request.GET)
        rows = search(EntitySummary.objects.all(), self.choices.query, VIA_ENTITY)
        return listing.ordered(listing.choose(rows, self.choices), self.choices)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        everything = search(
            EntitySummary.objects.all(), self.choices.query, VIA_ENTITY
        ).order_by()
        context |= listing.facet_counts(everything, self.choices)
        context["choices"] = self.choices
        context["sorts"] = listing.SORT_LABELS
        context["search_query"] = self.choices.query
        return context


class SearchView(ListView):
    template_name = "catalog/search.html"
    paginate_by = 20
    context_object_name = "results"

    def get_queryset(self) -> Any:
        self.query = self.request.GET.get("query", "").strip()[:200]
        self.kind = self.request.GET.get("kind", "").strip().lower()
        if not self.query:
            return EntitySummary.objects.none()
        rows = EntitySummary.objects.all()
        if self.kind:
            rows = rows.filter(kind__iexact=self.kind)
        return search(rows, self.query, VIA_ENTITY)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["search_query"] = self.query
        context["kind"] = self.kind
        context["kinds"] = sorted(kind.lower() for kind in KINDS)
        return context
