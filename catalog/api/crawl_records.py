"""What crawls recorded, in Greenroom's own API at /api/ (not Backstage's): entity
history, current processing errors, a location's crawls."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api import schema
from catalog.models import CrawlRun, EntityRevision, Location, ProcessingError
from core.api import params
from core.api.base import ApiView
from core.api.errors import InputError, NotFoundError


def _page(request: Request) -> tuple[int, int]:
    query = request.query_params
    limit = params.integer(query, "limit", minimum=1, maximum=params.max_page()) or 100
    offset = params.integer(query, "offset", minimum=0, maximum=10**9) or 0
    return offset, limit


@extend_schema_view(get=schema.HISTORY)
class EntityHistoryApi(ApiView):
    """GET /api/entities/{kind}/{namespace}/{name}/history: revisions, newest first."""

    def get(self, request: Request, kind: str, namespace: str, name: str) -> Response:
        ref = f"{kind}:{namespace}/{name}".lower()
        offset, limit = _page(request)
        rows = EntityRevision.objects.filter(ref=ref).order_by("-recorded_at", "-id")
        items = [_revision(r) for r in rows[offset : offset + limit]]
        if not items and offset == 0:
            raise NotFoundError(f"No history for {ref}")
        return Response({"items": items})


def _revision(row: EntityRevision) -> dict[str, Any]:
    return {
        "entityRef": row.ref,
        "uid": str(row.entity_uid),
        "action": row.action,
        "recordedAt": row.recorded_at.isoformat(),
        "repository": row.repository,
        "path": row.path,
        "commit": row.commit,
        "owner": row.owner_ref or None,
        "entity": row.descriptor,
    }


@extend_schema_view(get=schema.ERROR_LIST)
class ProcessingErrorListApi(ApiView):
    """GET /api/errors?level=&entityRef=&location=: the current processing errors."""

    def get(self, request: Request) -> Response:
        query = request.query_params
        rows = ProcessingError.objects.select_related("location").order_by("id")
        if (level := query.get("level")) is not None:
            if level not in ProcessingError.Level.values:
                raise InputError("level must be error or warning")
            rows = rows.filter(level=level)
        if ref := query.get("entityRef"):
            rows = rows.filter(entity_ref=ref.lower())
        if location := query.get("location"):
            key = params.parse_uuid(location)
            if key is None:
                raise NotFoundError(f"Found no location with ID {location}")
            rows = rows.filter(location__uid=key)
        offset, limit = _page(request)
        return Response(
            {
                "totalItems": rows.count(),
                "items": [
                    {
                        "location": str(e.location.uid),
                        "path": e.path,
                        "entityRef": e.entity_ref or None,
                        "level": e.level,
                        "message": e.message,
                        "commit": e.commit,
                    }
                    for e in rows[offset : offset + limit]
                ],
            }
        )


@extend_schema_view(get=schema.CRAWLS)
class LocationCrawlsApi(ApiView):
    """GET /api/locations/{id}/crawls: its state and recent crawls, newest first."""

    def get(self, request: Request, uid: str) -> Response:
        key = params.parse_uuid(uid)
        location = Location.objects.filter(uid=key).first() if key else None
        if location is None:
            raise NotFoundError(f"Found no location with ID {uid}")
        offset, limit = _page(request)
        runs = CrawlRun.objects.filter(location=location).order_by("-started_at", "-id")
        return Response(
            {
                "status": location.status,
                "lastCommit": location.last_commit or None,
                "lastError": location.last_error or None,
                "items": [_run(run) for run in runs[offset : offset + limit]],
            }
        )


def _run(run: CrawlRun) -> dict[str, Any]:
    return {
        "status": run.status,
        "forced": run.forced,
        "commit": run.commit or None,
        "startedAt": run.started_at.isoformat(),
        "finishedAt": run.finished_at.isoformat() if run.finished_at else None,
        "added": run.added,
        "changed": run.changed,
        "removed": run.removed,
        "unchanged": run.unchanged,
        "errors": run.errors,
        "error": run.error or None,
    }
