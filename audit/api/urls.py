"""The audit log's API route: /api/audit (mounted there by portal/urls.py)."""

from __future__ import annotations

from django.urls import path

from audit.api.views import AuditListApi
from core.api.base import api

urlpatterns = [path("", api(AuditListApi), name="audit-api")]
