"""The audit log in the API: GET /api/audit (compliance staff and admins)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from audit import query
from audit.api import schema
from core.api import params
from core.api.base import ApiView
from core.api.errors import InputError
from core.roles import can_audit


@extend_schema_view(get=schema.AUDIT)
class AuditListApi(ApiView):
    """GET /api/audit: the log, filtered like the page, newest first."""

    def get(self, request: Request) -> Response:
        if not can_audit(request.user):
            raise PermissionDenied("The audit log is for compliance staff and admins")
        try:
            rows = query.filtered(request.query_params)
        except query.FilterError as exc:
            raise InputError(str(exc)) from None
        q = request.query_params
        limit = params.integer(q, "limit", minimum=1, maximum=params.max_page()) or 100
        offset = params.integer(q, "offset", minimum=0, maximum=10**9) or 0
        page = [query.as_json(e) for e in rows[offset : offset + limit]]
        return Response({"items": page})
