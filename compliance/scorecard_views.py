"""Scorecards in the portal: the catalog, each owner, each entity. Thin views over
compliance/scoring.py; every list also as CSV and JSON (built by compliance/api/)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.views.generic import ListView, TemplateView

from catalog.views.common import EntityMixin
from compliance import scoring
from compliance.api import views as api
from compliance.rules import Scorecard
from core import spreadsheet

OWNERS_SHOWN = 200
CHART_WIDTH, CHART_HEIGHT = 600, 120
SCORE_COLUMNS = ("entityRef", "kind", "owner", "level", "passed", "total")


def scorecard_or_404(card_id: str) -> Scorecard:
    card = scoring.rules_in_force().get(card_id)
    if card is None:
        raise Http404("No such scorecard")
    return card


def chart(card: Scorecard, owner: str = "") -> dict[str, Any]:
    """The trend as SVG polylines: per level, the share of entities at or above it."""
    snapshots = scoring.trend(card, owner)
    if len(snapshots) < 2:
        return {"points": len(snapshots), "series": []}
    step = CHART_WIDTH / (len(snapshots) - 1)
    series = []
    for level in range(1, len(card.levels) + 1):
        points = []
        for i, snap in enumerate(snapshots):
            share = sum(snap.levels[level:]) / snap.entities if snap.entities else 0
            points.append(f"{i * step:.1f},{CHART_HEIGHT * (1 - share):.1f}")
        latest = snapshots[-1]
        share = sum(latest.levels[level:]) / latest.entities if latest.entities else 0
        series.append(
            {
                "level": card.levels[level - 1],
                "index": level,
                "points": " ".join(points),
                "latest": round(100 * share),
            }
        )
    return {
        "points": len(snapshots),
        "series": series,
        "first": snapshots[0].taken_at,
        "last": snapshots[-1].taken_at,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
    }


class ScorecardsPage(TemplateView):
    """Every scorecard: the catalog's levels and each rule's pass rate."""

    template_name = "compliance/scorecards.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        rules = scoring.rules_in_force()
        cards = [(card, scoring.catalog_summary(card)) for card in rules.scorecards]
        if request.GET.get("format") == "json":
            return api.scorecards_export([s for _, s in cards])
        context = {"rules": rules, "cards": [(c, s, chart(c)) for c, s in cards]}
        return self.render_to_response(self.get_context_data(**context))


class ScorecardPage(TemplateView):
    """One scorecard: levels, rules and every owner's level, with the trend."""

    template_name = "compliance/scorecard.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        card = scorecard_or_404(kwargs["card"])
        summary = scoring.catalog_summary(card)
        owners = scoring.owner_levels(card)
        fmt = request.GET.get("format")
        if fmt == "json":
            return api.scorecard_export(summary, owners)
        if fmt == "csv":
            columns = ("owner", "level", "entities", "passed", "total")
            rows = ([row[c] for c in columns] for row in owners)
            return spreadsheet.response(f"{card.id}-owners", columns, rows)
        context = {
            "card": card,
            "summary": summary,
            "owners": owners[:OWNERS_SHOWN],
            "owner_count": len(owners),
            "chart": chart(card),
        }
        return self.render_to_response(self.get_context_data(**context))


class ScoreListPage(api.ScoreFilter, ListView):
    template_name = "compliance/score_list.html"
    paginate_by = 100
    context_object_name = "scores"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.card = scorecard_or_404(kwargs["card"])
        self.rows = self.filtered(self.card, request.GET)
        fmt = request.GET.get("format")
        if fmt == "json":
            return api.scores_export(self.card, self.rows)
        if fmt == "csv":
            items = (api.score_json(self.card, s) for s in self.rows.iterator())
            rows = ([item[c] for c in SCORE_COLUMNS] for item in items)
            return spreadsheet.response(self.card.id, SCORE_COLUMNS, rows)
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return self.rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        query = self.request.GET
        rule = self.card.rule(query.get("rule", ""))
        return super().get_context_data(**kwargs) | {
            "card": self.card,
            "rule": rule,
            "result": "passed" if query.get("result") == "passed" else "failed",
            "owner": query.get("owner", ""),
            "level": query.get("level", ""),
            "query": query.urlencode(),
        }


class EntityScorecardsPage(EntityMixin, TemplateView):
    """The entity's Scorecards tab; a group's also shows what it owns."""

    template_name = "compliance/entity_scorecards.html"
    tab = "scorecards"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rules = scoring.rules_in_force()
        context["results"] = scoring.entity_results(self.entity, rules)
        if self.entity.kind.lower() in ("group", "user"):
            context["owned"] = [
                (card, found, chart(card, self.entity.ref))
                for card in rules.scorecards
                if (found := scoring.owner_level(card, self.entity.ref))
            ]
        return context
