"""The catalog list with facets."""

from __future__ import annotations

from typing import Any

from django.views.generic import ListView

from catalog import listing
from catalog.models import EntitySummary
from catalog.search import search


class EntityListPage(ListView):
    template_name = "catalog/entity_list.html"
    paginate_by = 50
    context_object_name = "entities"

    def get_queryset(self) -> Any:
        self.choices = listing.Choices.from_query(self.request.GET)
        # Searched once: the page and the facet counts share the matches.
        self.matches = search(EntitySummary.objects.all(), self.choices.query)
        return listing.ordered(listing.choose(self.matches, self.choices), self.choices)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context |= listing.facet_counts(self.matches.order_by(), self.choices)
        context["choices"] = self.choices
        context["sorts"] = listing.SORT_LABELS
        context["search_query"] = self.choices.query
        return context
