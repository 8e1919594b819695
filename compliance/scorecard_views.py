"""Scorecards in the portal and the API: the catalog, each owner, each entity.
Thin views over compliance/scoring.py; every list also as CSV and JSON."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.generic import ListView, TemplateView
from drf_spectacular.utils import extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.descriptor.refs import RefError, parse_ref
from catalog.views.common import EntityMixin, entity_or_404
from compliance import schema, scoring
from compliance.rules import Scorecard
from core import spreadsheet
from core.api import params
from core.api.base import ApiView
from core.api.errors import InputError, NotFoundError

OWNERS_SHOWN = 200
CHART_WIDTH, CHART_HEIGHT = 600, 120
SCORE_COLUMNS = ("entityRef", "kind", "owner", "level", "passed", "total")


def scorecard_or_404(card_id: str) -> Scorecard:
    card = scoring.rules_in_force().get(card_id)
    if card is None:
        raise Http404("No such scorecard")
    return card


def score_json(card: Scorecard, score: Any) -> dict[str, Any]:
    return {
        "entityRef": score.ref,
        "kind": score.kind,
        "owner": score.owner_ref or None,
        "level": card.level_name(score.level) or "none",
        "passed": score.passed,
        "total": score.total,
    }


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


class ScorecardsView(TemplateView):
    """Every scorecard: the catalog's levels and each rule's pass rate."""

    template_name = "compliance/scorecards.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        rules = scoring.rules_in_force()
        cards = [(card, scoring.catalog_summary(card)) for card in rules.scorecards]
        if request.GET.get("format") == "json":
            return JsonResponse({"scorecards": [s for _, s in cards]})
        context = {"rules": rules, "cards": [(c, s, chart(c)) for c, s in cards]}
        return self.render_to_response(self.get_context_data(**context))


class ScorecardView(TemplateView):
    """One scorecard: levels, rules and every owner's level, with the trend."""

    template_name = "compliance/scorecard.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        card = scorecard_or_404(kwargs["card"])
        summary = scoring.catalog_summary(card)
        owners = scoring.owner_levels(card)
        fmt = request.GET.get("format")
        if fmt == "json":
            return JsonResponse(summary | {"owners": owners})
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


class ScoreFilter:
    """`?rule=&result=failed|passed&owner=&level=` over one scorecard's scores."""

    def filtered(self, card: Scorecard, query: Any) -> Any:
        rule = query.get("rule", "")
        if rule and card.rule(rule) is None:
            raise Http404("No such rule")
        level = query.get("level", "")
        names = ["none", *card.levels]
        if level and level not in names:
            raise Http404("No such level")
        return scoring.scores(
            card,
            rule,
            passed=query.get("result") == "passed",
            owner=_owner(query.get("owner", "")),
            level=names.index(level) if level else None,
        )


def _owner(value: str) -> str:
    if not value:
        return ""
    try:  # `group:ghosts` or `ghosts` means group:default/ghosts
        return parse_ref(value, default_kind="group").ref
    except RefError:
        return value.lower()


class ScoreListView(ScoreFilter, ListView):
    template_name = "compliance/score_list.html"
    paginate_by = 100
    context_object_name = "scores"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.card = scorecard_or_404(kwargs["card"])
        self.rows = self.filtered(self.card, request.GET)
        fmt = request.GET.get("format")
        if fmt in ("csv", "json"):
            items = (score_json(self.card, s) for s in self.rows.iterator())
            if fmt == "json":
                return JsonResponse({"scorecard": self.card.id, "items": list(items)})
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


class EntityScorecardsView(EntityMixin, TemplateView):
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


# ---------------------------------------------------------------------------
# API


def card_json(card: Scorecard) -> dict[str, Any]:
    return {
        "id": card.id,
        "title": card.title,
        "description": card.description,
        "kinds": card.kind_names,
        "levels": list(card.levels),
        "rules": [
            {
                "id": rule.id,
                "title": rule.title,
                "check": rule.check,
                "level": card.level_name(rule.level),
                "kinds": sorted(rule.kinds),
            }
            for rule in card.rules
        ],
    }


def _api_card(card_id: str) -> Scorecard:
    card = scoring.rules_in_force().get(card_id)
    if card is None:
        raise NotFoundError(f"No scorecard {card_id!r}")
    return card


@extend_schema_view(get=schema.SCORECARDS)
class ScorecardsApiView(ApiView):
    def get(self, request: Request) -> Response:
        rules = scoring.rules_in_force()
        return Response(
            {
                "errors": list(rules.errors),
                "scorecards": [
                    card_json(card) | {"summary": scoring.catalog_summary(card)}
                    for card in rules.scorecards
                ],
            }
        )


@extend_schema_view(get=schema.SCORECARD)
class ScorecardApiView(ApiView):
    def get(self, request: Request, card: str) -> Response:
        found = _api_card(card)
        return Response(
            card_json(found)
            | {
                "summary": scoring.catalog_summary(found),
                "owners": scoring.owner_levels(found),
            }
        )


@extend_schema_view(get=schema.SCORES)
class ScoresApiView(ScoreFilter, ApiView):
    def get(self, request: Request, card: str) -> Response:
        found = _api_card(card)
        q = request.query_params
        limit = params.integer(q, "limit", minimum=1, maximum=params.max_page()) or 100
        offset = params.integer(q, "offset", minimum=0, maximum=10**9) or 0
        try:
            rows = self.filtered(found, q)
        except Http404 as exc:
            raise InputError(str(exc)) from None
        page = rows[offset : offset + limit]
        return Response(
            {
                "scorecard": found.id,
                "totalItems": rows.count(),
                "items": [score_json(found, s) for s in page],
            }
        )


@extend_schema_view(get=schema.ENTITY_SCORES)
class EntityScoresApiView(ApiView):
    def get(self, request: Request, kind: str, namespace: str, name: str) -> Response:
        try:
            entity = entity_or_404(namespace, kind, name)
        except Http404 as exc:
            raise NotFoundError(str(exc)) from None
        return Response(
            {
                "entityRef": entity.ref,
                "scorecards": [
                    {
                        "scorecard": found["scorecard"].id,
                        "level": found["level"] or "none",
                        "passed": found["score"].passed,
                        "total": found["score"].total,
                        "computedAt": found["score"].computed_at,
                        "current": found["current"],
                        "rules": [
                            {
                                "rule": row["rule"].id,
                                "level": row["level"],
                                "passed": row["result"].passed,
                                "detail": row["result"].detail,
                            }
                            for row in found["rules"]
                        ],
                    }
                    for found in scoring.entity_results(
                        entity, scoring.rules_in_force()
                    )
                ],
            }
        )
