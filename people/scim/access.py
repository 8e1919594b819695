"""Who may call /scim/v2/: a SCIM provider's bearer token, and nothing else.

No session and no API token: the token names the provider (request.auth) whose
users and groups the request reads and writes, and a missing, unknown or
replaced token is a 401. Requests are throttled per provider, at the API's rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rest_framework import authentication, exceptions, permissions

from core.access import TokenRateThrottle
from people.models import OrgProvider
from people.scim.tokens import find_provider


@dataclass(frozen=True, slots=True)
class ScimClient:
    """The caller: the directory (Okta, Entra ID) behind a provider's token."""

    provider: OrgProvider
    pk = None
    id = None
    is_authenticated = True
    is_active = True
    is_superuser = False

    def get_username(self) -> str:
        return f"scim:{self.provider.name}"


class ScimTokenAuthentication(authentication.BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Any) -> tuple[ScimClient, OrgProvider] | None:
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != self.keyword or len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "send the provider's SCIM token as Authorization: Bearer <token>"
            )
        provider = find_provider(header[1].decode("latin-1"))
        if provider is None:
            raise exceptions.AuthenticationFailed("invalid or replaced SCIM token")
        return ScimClient(provider), provider

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="scim"'


def provider_of(request: Any) -> OrgProvider:
    provider = request.auth
    assert isinstance(provider, OrgProvider)  # ScimProviderOnly let it through
    return provider


class ScimProviderOnly(permissions.BasePermission):
    """A request authenticated by a SCIM token, for an enabled provider."""

    message = "this SCIM provider is disabled in Greenroom"

    def has_permission(self, request: Any, view: Any) -> bool:
        provider = request.auth
        if not isinstance(provider, OrgProvider):
            raise exceptions.NotAuthenticated("a SCIM bearer token is required")
        return provider.enabled


class ScimRateThrottle(TokenRateThrottle):
    """The API's per-token budget (GREENROOM_API_RATE), one per provider."""

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        provider = request.auth
        ident = (
            f"scim-{provider.pk}"
            if isinstance(provider, OrgProvider)
            else self.get_ident(request)
        )
        return self.cache_format % {"scope": self.scope, "ident": ident}
