"""The audit log's API route: /api/audit (see portal/urls.py)."""

from __future__ import annotations

from django.urls import path

from audit.views import AuditListView
from core.api.base import api

urlpatterns = [path("audit", api(AuditListView), name="audit-api")]
