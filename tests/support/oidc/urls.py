"""The provider's pages: its login form and django-oauth-toolkit's OAuth 2.0 and
OpenID Connect endpoints at the root, so the issuer is http://127.0.0.1:PORT and
discovery is at /.well-known/openid-configuration."""

from django.contrib.auth.views import LoginView
from django.urls import include, path
from oauth2_provider import urls as oauth2_urls

endpoints = oauth2_urls.base_urlpatterns + oauth2_urls.oidc_urlpatterns

urlpatterns = [
    path("accounts/login/", LoginView.as_view(template_name="login.html")),
    path("", include((endpoints, "oauth2_provider"))),
]
