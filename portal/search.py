"""The search page: the catalog's entities and the documentation's sections at once.

It lives in portal, the wiring layer above the apps, because it spans two of
them; its address and name stay the catalog's (`/search`, `catalog:search`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.views.generic import ListView

from catalog.descriptor.kinds import KINDS
from catalog.models import EntitySummary
from catalog.search import search
from techdocs.search import search as search_docs

DOCS_SECTIONS = 5  # shown on the search page; the rest on /docs/search


class CappedPaginator(Paginator):
    """Counts at most GREENROOM_SEARCH_MAX_COUNT results: a common word can match
    most of the catalog, and nobody pages that far; the page says "more than"."""

    @cached_property
    def cap(self) -> int:
        return int(settings.GREENROOM_SEARCH_MAX_COUNT)

    @cached_property
    def count(self) -> int:
        return int(self.object_list.order_by()[: self.cap + 1].count())

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class SearchPage(ListView):
    template_name = "portal/search.html"
    paginate_by = 20
    paginator_class = CappedPaginator
    context_object_name = "results"

    def get_queryset(self) -> Any:
        self.query = self.request.GET.get("query", "").strip()[:200]
        self.kind = self.request.GET.get("kind", "").strip().lower()
        if not self.query:
            return EntitySummary.objects.none()
        rows = EntitySummary.objects.all()
        if self.kind:
            rows = rows.filter(kind__iexact=self.kind)
        return search(rows, self.query)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["search_query"] = self.query
        context["kind"] = self.kind
        context["kinds"] = sorted(kind.lower() for kind in KINDS)
        if self.query:  # the documentation's sections too, the best few
            found = search_docs(self.query, self.kind)
            context["docs_sections"] = found[:DOCS_SECTIONS]
            context["docs_count"] = len(found)
        return context
