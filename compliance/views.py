"""Coverage in the portal (`/compliance/`), each page also as CSV and JSON
(`?format=csv` / `?format=json`, the latter built by compliance/api/). Thin views
over compliance/coverage.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.views.generic import ListView, TemplateView

from compliance import coverage, repositories
from compliance.api import views as api
from core import spreadsheet

LIST_COLUMNS = ("entityRef", "kind", "owner", "lifecycle")
RELATION_COLUMNS = ("source", "type", "target")


class CoveragePage(TemplateView):
    """Every check: its total, per kind and per owning group."""

    template_name = "compliance/coverage.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        now = coverage.counted()
        found = now.checks
        fmt = request.GET.get("format")
        if fmt == "json":
            return api.coverage_export(now)
        if fmt == "csv":
            summary = [*_summary_rows(found), *_repository_rows(repositories.count())]
            return spreadsheet.response(
                "coverage", ("check", "by", "value", "count"), summary
            )
        context = self.get_context_data(
            checks=found,
            counted=now,
            share=repositories.share(),
            repositories=repositories.count(),
        )
        return self.render_to_response(context)


def _summary_rows(found: list[dict[str, Any]]) -> Iterator[tuple[str, str, str, int]]:
    for check in found:
        yield check["check"], "total", "", check["total"]
        for kind, count in check["byKind"].items():
            yield check["check"], "kind", kind, count
        for row in check["byOwner"]:
            yield check["check"], "owner", row["owner"], row["count"]


def _repository_rows(check: dict[str, Any]) -> Iterator[tuple[str, str, str, int]]:
    yield check["check"], "total", "", check["total"]
    for source, count in check["bySource"].items():
        yield check["check"], "source", source, count
    for row in check["byOrganisation"]:
        yield check["check"], "organisation", row["organisation"], row["count"]


class RepositoryListPage(ListView):
    """`/compliance/repositories?source=&organisation=`: the repositories without
    a descriptor, with what the host knows of each."""

    template_name = "compliance/repositories.html"
    paginate_by = 100
    context_object_name = "rows"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        source = request.GET.get("source", "")
        organisation = request.GET.get("organisation", "")
        self.rows = repositories.rows(source, organisation)
        fmt = request.GET.get("format")
        if fmt == "json":
            return api.repositories_export(self.rows)
        if fmt == "csv":
            found = (repositories.as_row(r) for r in self.rows.iterator())
            return spreadsheet.response(repositories.KEY, repositories.COLUMNS, found)
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return self.rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {
            "title": repositories.TITLE,
            "explanation": repositories.EXPLANATION,
            "source": self.request.GET.get("source", ""),
            "organisation": self.request.GET.get("organisation", ""),
        }


class CheckListPage(ListView):
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
        if fmt == "json":
            return api.check_export(self.check.key, self.rows)
        if fmt == "csv":
            items = (coverage.as_json(self.check.key, r) for r in self.rows.iterator())
            columns = RELATION_COLUMNS if self.check.relations else LIST_COLUMNS
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
