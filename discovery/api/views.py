"""Discovery in the API, at /api/discovery: a repository's proposed descriptor,
and the pull (merge) request that adds it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.base import ApiView
from core.api.errors import InputError, NotFoundError
from discovery import proposals
from discovery.api import schema
from discovery.models import DescriptorRequest, DiscoveredRepository


def _repository(pk: str) -> DiscoveredRepository:
    key = int(pk) if pk.isascii() and pk.isdigit() and len(pk) < 19 else None
    found = (
        DiscoveredRepository.objects.select_related("source__connection")
        .filter(pk=key)
        .first()
        if key is not None
        else None
    )
    if found is None:
        raise NotFoundError(f"Found no discovered repository {pk}")
    return found


def request_json(request: DescriptorRequest) -> dict[str, Any]:
    return {
        "number": request.number,
        "url": request.url or None,
        "state": request.state,
        "openedAt": request.opened_at.isoformat(),
    }


@extend_schema_view(get=schema.PROPOSAL)
class ProposalApi(ApiView):
    def get(self, request: Request, pk: str) -> Response:
        row = _repository(pk)
        return Response(
            {
                "repository": row.full_name,
                "path": proposals.PATH,
                "yaml": proposals.proposal_yaml(row),
                "entity": proposals.proposed_entity(row),
                "requests": [request_json(r) for r in row.requests.all()],
            }
        )


@extend_schema_view(post=schema.OPEN)
class OpenRequestApi(ApiView):
    def post(self, request: Request, pk: str) -> Response:
        try:
            opened = proposals.open_request(_repository(pk))
        except proposals.ProposalError as exc:
            raise InputError(str(exc)) from None
        return Response(request_json(opened), status=201)
