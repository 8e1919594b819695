"""The audit log in the portal (compliance staff and admins) and in the API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic import ListView
from drf_spectacular.utils import extend_schema_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from audit import query, schema
from audit.models import AuditEntry
from core import spreadsheet
from core.api import params
from core.api.base import ApiView
from core.api.errors import InputError
from core.roles import AuditorRequiredMixin, can_audit


class AuditLogView(AuditorRequiredMixin, ListView):
    """`/audit/`: filterable, newest first; `?format=csv` downloads the selection."""

    template_name = "audit/log.html"
    paginate_by = 100
    context_object_name = "entries"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.rows = query.filtered(request.GET)
        except query.FilterError as exc:
            self.rows = AuditEntry.objects.none()
            self.error = str(exc)
        else:
            self.error = ""
            if request.GET.get("format") == "csv":
                rows = query.csv_rows(self.rows)
                return spreadsheet.response("audit", query.COLUMNS, rows)
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return self.rows

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> Any:
        status = 400 if self.error else 200
        return render(self.request, self.template_name, context, status=status)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        chosen = {name: self.request.GET.get(name, "") for name in query.FILTERS}
        return super().get_context_data(**kwargs) | {
            "chosen": chosen,
            "sources": AuditEntry.Source.choices,
            "error": self.error,
        }


@extend_schema_view(get=schema.AUDIT)
class AuditListView(ApiView):
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
