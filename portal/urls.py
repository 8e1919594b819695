from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from catalog import urls as catalog_urls
from people import signin
from portal import health, metrics
from portal.home import HomePage
from portal.login import ThrottledLoginView
from portal.search import SearchPage

# The search page spans the catalog and the docs, so it is portal's; it keeps
# the catalog's address and name (`catalog:search`) that links and templates use.
catalog_pages = [
    *catalog_urls.urlpatterns,
    path("search", SearchPage.as_view(), name="search"),
]

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
    # /api/webhooks has no trailing slash to mount at: its routes carry the prefix.
    path("api/", include("webhooks.api.urls")),
    path("api/audit", include("audit.api.urls")),
    path("api/compliance/", include("compliance.api.urls")),
    path("api/discovery/", include("discovery.api.urls")),
    path("api/", include("catalog.api.records_urls")),
    path("docs/", include("techdocs.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("discovery/", include("discovery.urls")),
    path("people/", include("people.urls")),
    # SCIM 2.0 for Okta and Entra ID: a provider's bearer token, no session or
    # CSRF (people/scim/).
    path("scim/v2/", include("people.scim.urls")),
    path("audit/", include("audit.urls")),
    # OpenID Connect sign-in (off, 404, unless configured: people/signin.py).
    path(
        "oidc/authenticate/",
        signin.AuthenticateView.as_view(),
        name="oidc_authentication_init",
    ),
    path(
        "oidc/callback/",
        signin.CallbackView.as_view(),
        name="oidc_authentication_callback",
    ),
    path("", HomePage.as_view(), name="home"),
    path("", include("compliance.urls")),
    path("", include((catalog_pages, catalog_urls.app_name))),
]
