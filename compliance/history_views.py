"""The catalog as it was, in the portal: thin views over history.py (the API and
the `?format=json` answers are built in compliance/api/).

`at` is a date (the end of that day, UTC) or a date and time; absent, now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.views.generic import TemplateView

from catalog.models import EntityRevision
from compliance import history
from compliance.api import views as api
from core import spreadsheet

COLUMNS = ("entityRef", "kind", "owner", "commit", "repository", "path", "since")


def _rows(at: datetime, kind: str, owner: str) -> Any:
    rows = history.catalog_at(at).order_by("ref")
    if kind:
        rows = rows.filter(kind__iexact=kind)
    if owner:
        rows = rows.filter(owner_ref=owner.lower())
    return rows


class CatalogAtPage(TemplateView):
    """`/compliance/history?at=&kind=&owner=&after=`: every entity in the catalog
    then, a page at a time (by ref)."""

    template_name = "compliance/catalog_at.html"
    page_size = 100

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.at = api.moment(request.GET.get("at"))
        except api.BadMoment as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain")
        self.kind = request.GET.get("kind", "").strip()
        self.owner = request.GET.get("owner", "").strip()
        fmt = request.GET.get("format")
        if fmt in ("json", "csv"):
            rows = _rows(self.at, self.kind, self.owner)
            if fmt == "json":
                return api.catalog_at_export(self.at, rows)
            lines = (
                [api.revision_json(r)[c] for c in COLUMNS] for r in rows.iterator()
            )
            return spreadsheet.response("catalog-at", COLUMNS, lines)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        after = self.request.GET.get("after", "")
        page = history.catalog_page(
            self.at, after=after, size=self.page_size, kind=self.kind, owner=self.owner
        )
        return super().get_context_data(**kwargs) | {
            "revisions": page,
            "next_after": page[-1].ref if len(page) == self.page_size else "",
            "after": after,
            "at": self.at,
            "at_text": self.request.GET.get("at", ""),
            "kind": self.kind,
            "owner": self.owner,
        }


class EntityAtPage(TemplateView):
    """`/compliance/history/<kind>/<ns>/<name>?at=`: the entity then, and its owners."""

    template_name = "compliance/entity_at.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.at = api.moment(request.GET.get("at"))
        except api.BadMoment as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ref = f"{kwargs['kind']}:{kwargs['namespace']}/{kwargs['name']}".lower()
        timeline = history.ownership(ref)
        if not timeline:
            raise Http404("This entity was never in the catalog")
        then = history.entity_at(ref, self.at)
        latest = EntityRevision.objects.filter(ref=ref).order_by("-recorded_at", "-id")
        return super().get_context_data(**kwargs) | {
            "ref": ref,
            "at": self.at,
            "at_text": self.request.GET.get("at", ""),
            "then": then,
            "yaml": history.as_yaml(then.descriptor) if then else "",
            "timeline": timeline,
            "latest": latest.first(),
        }


class DiffPage(TemplateView):
    """`/compliance/diff?from=<revision>&to=<revision>`: what changed between them."""

    template_name = "compliance/diff.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        before, after = api.revision_pair(
            self.request.GET.get("from"), self.request.GET.get("to")
        )
        if after is None:
            raise Http404("No such revisions")
        return super().get_context_data(**kwargs) | {
            "before": before,
            "after": after,
            "lines": history.diff(before, after),
        }
