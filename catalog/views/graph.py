"""The Graph tab: an entity's neighbourhood drawn as SVG on the server."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.views.generic import TemplateView

from catalog.graph import PAIRS, PHRASES, canonical_type, layout, neighbourhood
from catalog.views.common import EntityMixin

DEPTHS = (1, 2, 3)
DEFAULT_DEPTH = 1
MAX_NODES = 60


def chosen_depth(query: QueryDict) -> int:
    """The `depth` parameter if it is one of DEPTHS; anything else is the default."""
    try:
        depth = int(query.get("depth", DEFAULT_DEPTH))
    except (TypeError, ValueError):
        return DEFAULT_DEPTH
    return depth if depth in DEPTHS else DEFAULT_DEPTH


def chosen_types(query: QueryDict) -> list[str]:
    """Known relation types from repeated `type` parameters, as drawn, in order."""
    known = {canonical_type(value) for value in query.getlist("type")}
    return [name for name in PAIRS if name in known]


class EntityGraphPage(EntityMixin, TemplateView):
    tab = "graph"
    template_name = "catalog/entity_graph.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        depth = chosen_depth(self.request.GET)
        types = chosen_types(self.request.GET)
        graph = neighbourhood(self.entity.ref, depth, types, max_nodes=MAX_NODES)
        context.update(
            graph=graph,
            drawing=layout(graph),
            depth=depth,
            depths=DEPTHS,
            types=types,
            relation_types=[(name, PHRASES[name]) for name in PAIRS],
            max_nodes=MAX_NODES,
        )
        return context
