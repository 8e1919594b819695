"""The audit log in the portal (compliance staff and admins); its API is audit/api/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic import ListView

from audit import query
from audit.models import AuditEntry
from core import spreadsheet
from core.roles import AuditorRequiredMixin


class AuditLogPage(AuditorRequiredMixin, ListView):
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
