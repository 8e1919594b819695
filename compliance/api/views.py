"""Compliance in the API, under /api/compliance: coverage, scorecards and the
catalog as it was. The portal's pages answer `?format=json` with the `*_export`
functions here (the whole selection, unpaginated, as those pages always have), so
each JSON shape is built in this one module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, JsonResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.descriptor.refs import RefError, parse_ref
from catalog.models import EntityRevision
from catalog.views.common import entity_or_404
from compliance import coverage, history, repositories, scoring
from compliance.api import schema
from compliance.rules import Scorecard
from core import inputs
from core.api import params
from core.api.base import ApiView
from core.api.errors import InputError, NotFoundError

# ---------------------------------------------------------------------------
# Coverage


def coverage_json(now: coverage.Counted) -> dict[str, Any]:
    return {
        "countedAt": now.counted_at,
        "current": now.current,
        "checks": now.checks,
        "repositories": {**repositories.share(), **repositories.count()},
    }


def coverage_export(now: coverage.Counted) -> JsonResponse:
    """`/compliance/?format=json`: the same answer as GET /api/compliance/coverage."""
    return JsonResponse(coverage_json(now))


def check_export(check: str, rows: Any) -> JsonResponse:
    """`/compliance/coverage/<check>?format=json`: every row behind the number."""
    items = [coverage.as_json(check, row) for row in rows.iterator()]
    return JsonResponse({"check": check, "items": items})


def repositories_export(rows: Any) -> JsonResponse:
    """`/compliance/repositories?format=json`: every repository listed."""
    items = [repositories.as_json(row) for row in rows.iterator()]
    return JsonResponse({"check": repositories.KEY, "items": items})


@extend_schema_view(get=schema.REPOSITORIES)
class RepositoriesApi(ApiView):
    """The repositories without a descriptor, paged, by source or organisation."""

    def get(self, request: Request) -> Response:
        q = request.query_params
        limit = params.integer(q, "limit", minimum=1, maximum=params.max_page()) or 100
        offset = params.integer(q, "offset", minimum=0, maximum=10**9) or 0
        found = repositories.rows(q.get("source", ""), q.get("organisation", ""))
        page = found[offset : offset + limit]
        return Response(
            {
                "check": repositories.KEY,
                "totalItems": found.count(),
                "items": [repositories.as_json(row) for row in page],
            }
        )


@extend_schema_view(get=schema.COVERAGE)
class CoverageApi(ApiView):
    def get(self, request: Request) -> Response:
        return Response(coverage_json(coverage.counted()))


@extend_schema_view(get=schema.CHECK)
class CheckApi(ApiView):
    def get(self, request: Request, check: str) -> Response:
        if check not in coverage.CHECKS:
            raise NotFoundError(f"No coverage check {check!r}")
        q = request.query_params
        limit = params.integer(q, "limit", minimum=1, maximum=params.max_page()) or 100
        offset = params.integer(q, "offset", minimum=0, maximum=10**9) or 0
        found = coverage.narrowed(check, q.get("kind", ""), q.get("owner", ""))
        page = found.order_by("pk")[offset : offset + limit]
        return Response(
            {
                "check": check,
                "totalItems": found.count(),
                "items": [coverage.as_json(check, row) for row in page],
            }
        )


# ---------------------------------------------------------------------------
# Scorecards


def score_json(card: Scorecard, score: Any) -> dict[str, Any]:
    return {
        "entityRef": score.ref,
        "kind": score.kind,
        "owner": score.owner_ref or None,
        "level": card.level_name(score.level) or "none",
        "passed": score.passed,
        "total": score.total,
    }


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


def scorecards_export(summaries: list[dict[str, Any]]) -> JsonResponse:
    """`/compliance/scorecards/?format=json`: each scorecard's catalog summary."""
    return JsonResponse({"scorecards": summaries})


def scorecard_export(summary: dict[str, Any], owners: list[Any]) -> JsonResponse:
    """`/compliance/scorecards/<card>?format=json`: the summary and every owner."""
    return JsonResponse(summary | {"owners": owners})


def scores_export(card: Scorecard, rows: Any) -> JsonResponse:
    """`/compliance/scorecards/<card>/entities?format=json`: every score selected."""
    items = [score_json(card, score) for score in rows.iterator()]
    return JsonResponse({"scorecard": card.id, "items": items})


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
class ScorecardsApi(ApiView):
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
class ScorecardApi(ApiView):
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
class ScoresApi(ScoreFilter, ApiView):
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
class EntityScoresApi(ApiView):
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


# ---------------------------------------------------------------------------
# The catalog as it was: `at` is a date (the end of that day, UTC) or a date and
# time; absent, now.

# Dates are read by core/inputs.py, which refuses what cannot be queried.
BadMoment = inputs.InputRefused


def moment(text: str | None) -> datetime:
    """`2026-03-01` (the end of that day, UTC), `2026-03-01T12:00[+01:00]`, or now."""
    if not text:
        return timezone.now()
    return inputs.moment(text, "at")


def revision_json(revision: EntityRevision) -> dict[str, Any]:
    return {
        "revision": revision.pk,
        "entityRef": revision.ref,
        "kind": revision.kind,
        "owner": revision.owner_ref or None,
        "commit": revision.commit or None,
        "repository": revision.repository,
        "path": revision.path,
        "since": revision.recorded_at.isoformat(),
    }


def catalog_at_export(at: datetime, rows: Any) -> JsonResponse:
    """`/compliance/history?format=json`: every entity in the catalog then."""
    items = [revision_json(revision) for revision in rows.iterator()]
    return JsonResponse({"at": at.isoformat(), "items": items})


def revision_pair(
    old: str | None, new: str | None
) -> tuple[EntityRevision | None, EntityRevision | None]:
    def one(text: str | None) -> EntityRevision | None:
        try:
            pk = inputs.integer(text, "revision", minimum=1, maximum=inputs.BIGINT)
        except inputs.InputRefused:
            return None  # no such revision
        return EntityRevision.objects.filter(pk=pk).first()

    return one(old), one(new)


@extend_schema_view(get=schema.CATALOG_AT)
class CatalogAtApi(ApiView):
    def get(self, request: Request) -> Response:
        q = request.query_params
        try:
            at = moment(q.get("at"))
        except BadMoment as exc:
            raise InputError(str(exc)) from None
        limit = params.integer(q, "limit", minimum=1, maximum=params.max_page()) or 100
        page = history.catalog_page(
            at,
            after=q.get("after", ""),
            size=limit,
            kind=q.get("kind", "").strip(),
            owner=q.get("owner", "").strip(),
        )
        return Response(
            {
                "at": at.isoformat(),
                "items": [revision_json(r) for r in page],
                "nextAfter": page[-1].ref if len(page) == limit else None,
            }
        )


@extend_schema_view(get=schema.ENTITY_AT)
class EntityAtApi(ApiView):
    def get(self, request: Request, kind: str, namespace: str, name: str) -> Response:
        try:
            at = moment(request.query_params.get("at"))
        except BadMoment as exc:
            raise InputError(str(exc)) from None
        ref = f"{kind}:{namespace}/{name}".lower()
        timeline = history.ownership(ref)
        if not timeline:
            raise NotFoundError(f"{ref} was never in the catalog")
        then = history.entity_at(ref, at)
        return Response(
            {
                "entityRef": ref,
                "at": at.isoformat(),
                "inCatalog": then is not None,
                "revision": revision_json(then) if then else None,
                "entity": then.descriptor if then else None,
                "owners": [
                    {"owner": o.owner or None, "since": revision_json(o.since)}
                    for o in timeline
                ],
            }
        )


@extend_schema_view(get=schema.DIFF)
class DiffApi(ApiView):
    def get(self, request: Request) -> Response:
        before, after = revision_pair(
            request.query_params.get("from"), request.query_params.get("to")
        )
        if after is None:
            raise NotFoundError("No such revisions (from and to are revision ids)")
        return Response(
            {
                "from": revision_json(before) if before else None,
                "to": revision_json(after),
                "lines": [
                    {"kind": line.kind, "text": line.text}
                    for line in history.diff(before, after)
                ],
            }
        )
