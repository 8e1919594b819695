"""Coverage in the portal (`/compliance/`) and the API, each view also as CSV and
JSON (`?format=csv` / `?format=json`). Thin views over compliance/coverage.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.generic import ListView, TemplateView
from drf_spectacular.utils import extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from compliance import coverage, schema
from core import spreadsheet
from core.api import params
from core.api.base import ApiView
from core.api.errors import NotFoundError

LIST_COLUMNS = ("entityRef", "kind", "owner", "lifecycle")
RELATION_COLUMNS = ("source", "type", "target")


class CoverageView(TemplateView):
    """Every check: its total, per kind and per owning group."""

    template_name = "compliance/coverage.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        now = coverage.counted()
        found = now.checks
        fmt = request.GET.get("format")
        if fmt == "json":
            return JsonResponse(_as_json(now))
        if fmt == "csv":
            return spreadsheet.response(
                "coverage", ("check", "by", "value", "count"), _summary_rows(found)
            )
        context = self.get_context_data(checks=found, counted=now)
        return self.render_to_response(context)


def _as_json(now: coverage.Counted) -> dict[str, Any]:
    return {"countedAt": now.counted_at, "current": now.current, "checks": now.checks}


def _summary_rows(found: list[dict[str, Any]]) -> Iterator[tuple[str, str, str, int]]:
    for check in found:
        yield check["check"], "total", "", check["total"]
        for kind, count in check["byKind"].items():
            yield check["check"], "kind", kind, count
        for row in check["byOwner"]:
            yield check["check"], "owner", row["owner"], row["count"]


class CheckListView(ListView):
    """`/compliance/coverage/<check>?kind=&owner=`: the rows behind a number."""

    template_name = "compliance/check.html"
    paginate_by = 100
    context_object_name = "rows"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.check = coverage.CHECKS.get(kwargs["check"])
        if self.check is None:
            raise Http404("No such check")
        kind, owner = request.GET.get("kind", ""), request.GET.get("owner", "")
        self.rows = coverage.narrowed(self.check.key, kind, owner).order_by("pk")
        fmt = request.GET.get("format")
        if fmt in ("csv", "json"):
            items = (coverage.as_json(self.check.key, r) for r in self.rows.iterator())
            columns = RELATION_COLUMNS if self.check.relations else LIST_COLUMNS
            if fmt == "json":
                return JsonResponse({"check": self.check.key, "items": list(items)})
            rows = ([item[c] for c in columns] for item in items)
            return spreadsheet.response(self.check.key, columns, rows)
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return self.rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {
            "check": self.check,
            "kind": self.request.GET.get("kind", ""),
            "owner": self.request.GET.get("owner", ""),
        }


@extend_schema_view(get=schema.COVERAGE)
class CoverageApiView(ApiView):
    def get(self, request: Request) -> Response:
        return Response(_as_json(coverage.counted()))


@extend_schema_view(get=schema.CHECK)
class CheckApiView(ApiView):
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
