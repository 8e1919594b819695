"""The catalog as it was, in the portal and the API (thin views over history.py).

`at` is a date (the end of that day, UTC) or a date and time; absent, now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.generic import TemplateView
from drf_spectacular.utils import extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.models import EntityRevision
from compliance import history, schema
from core import inputs, spreadsheet
from core.api import params
from core.api.base import ApiView
from core.api.errors import InputError, NotFoundError

COLUMNS = ("entityRef", "kind", "owner", "commit", "repository", "path", "since")


# Dates are read by core/inputs.py, which refuses what cannot be queried.
BadMoment = inputs.InputRefused


def moment(text: str | None) -> datetime:
    """`2026-03-01` (the end of that day, UTC), `2026-03-01T12:00[+01:00]`, or now."""
    if not text:
        return timezone.now()
    return inputs.moment(text, "at")


def _rows(at: datetime, kind: str, owner: str) -> Any:
    rows = history.catalog_at(at).order_by("ref")
    if kind:
        rows = rows.filter(kind__iexact=kind)
    if owner:
        rows = rows.filter(owner_ref=owner.lower())
    return rows


def as_json(revision: EntityRevision) -> dict[str, Any]:
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


class CatalogAtView(TemplateView):
    """`/compliance/history?at=&kind=&owner=&after=`: every entity in the catalog
    then, a page at a time (by ref)."""

    template_name = "compliance/catalog_at.html"
    page_size = 100

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.at = moment(request.GET.get("at"))
        except BadMoment as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain")
        self.kind = request.GET.get("kind", "").strip()
        self.owner = request.GET.get("owner", "").strip()
        fmt = request.GET.get("format")
        if fmt in ("json", "csv"):
            rows = _rows(self.at, self.kind, self.owner).iterator()
            if fmt == "json":
                items = [as_json(r) for r in rows]
                return JsonResponse({"at": self.at.isoformat(), "items": items})
            lines = ([as_json(r)[c] for c in COLUMNS] for r in rows)
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


class EntityAtView(TemplateView):
    """`/compliance/history/<kind>/<ns>/<name>?at=`: the entity then, and its owners."""

    template_name = "compliance/entity_at.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.at = moment(request.GET.get("at"))
        except BadMoment as exc:
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


class DiffView(TemplateView):
    """`/compliance/diff?from=<revision>&to=<revision>`: what changed between them."""

    template_name = "compliance/diff.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        before, after = _pair(self.request.GET.get("from"), self.request.GET.get("to"))
        if after is None:
            raise Http404("No such revisions")
        return super().get_context_data(**kwargs) | {
            "before": before,
            "after": after,
            "lines": history.diff(before, after),
        }


def _pair(
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
class CatalogAtApiView(ApiView):
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
                "items": [as_json(r) for r in page],
                "nextAfter": page[-1].ref if len(page) == limit else None,
            }
        )


@extend_schema_view(get=schema.ENTITY_AT)
class EntityAtApiView(ApiView):
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
                "revision": as_json(then) if then else None,
                "entity": then.descriptor if then else None,
                "owners": [
                    {"owner": o.owner or None, "since": as_json(o.since)}
                    for o in timeline
                ],
            }
        )


@extend_schema_view(get=schema.DIFF)
class DiffApiView(ApiView):
    def get(self, request: Request) -> Response:
        before, after = _pair(
            request.query_params.get("from"), request.query_params.get("to")
        )
        if after is None:
            raise NotFoundError("No such revisions (from and to are revision ids)")
        return Response(
            {
                "from": as_json(before) if before else None,
                "to": as_json(after),
                "lines": [
                    {"kind": line.kind, "text": line.text}
                    for line in history.diff(before, after)
                ],
            }
        )
