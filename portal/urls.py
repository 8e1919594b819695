from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from audit.views import AuditListView
from catalog.api.urls import api
from portal import health, metrics
from portal.login import ThrottledLoginView
from techdocs.views import DocsTabView

urlpatterns = [
    # Unauthenticated probes (HealthProbeMiddleware answers them first) and the
    # Prometheus scrape, restricted by address or token.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    # Before Django's own: the same sign-in page, throttled.
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/catalog/", include("catalog.api.urls")),
    path("api/", include("webhooks.api_urls")),
    path("api/audit", api(AuditListView), name="audit-api"),
    path("api/", include("catalog.api.greenroom_urls")),
    path("docs/", include("techdocs.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("audit/", include("audit.urls")),
    path("", include("compliance.urls")),
    path(
        "catalog/<str:namespace>/<str:kind>/<str:name>/docs",
        DocsTabView.as_view(),
        name="entity-docs",
    ),
    path("", include("catalog.urls")),
]
