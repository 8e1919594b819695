"""Who may call the API: bearer tokens or the browser's session; writes need the
editor role (or, on the routes a view lists in `owner_writes`, the ownership rules
the view checks) and, with a token, its write scope; requests are throttled per
token."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.settings import api_settings

from core import logs
from core.roles import can_edit, has_role
from core.tokens import find_token, token_model


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header")
        token = find_token(header[1].decode("latin-1"))
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token")
        logs.bind(user_id=token.user_id, token_id=token.pk)
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return f'{self.keyword} realm="api"'


class ApiAccess(permissions.BasePermission):
    """Reads: anyone with a role. Writes: editors, and tokens with the write scope.

    Views that read through POST (by-refs, by-query) set `reads_only = True`.
    """

    message = "This needs the editor role and, with a token, a read-write token"

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if not has_role(request.user):
            self.message = "You have no role in Greenroom yet: ask an admin for access"
            return False
        if request.method in permissions.SAFE_METHODS or getattr(
            view, "reads_only", False
        ):
            return True
        model = token_model()
        token = request.auth if isinstance(request.auth, model) else None
        if token is not None and token.scope != model.Scope.WRITE:
            return False
        if request.method in getattr(view, "owner_writes", ()):
            # Editors or the owners of what it changes: the view decides, with
            # the object in hand (catalog/permissions.py).
            return True
        return can_edit(request.user)


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """One budget per token (or per signed-in person without one), counted in
    fixed windows: one atomic increment per request (shared by every worker when
    the cache is Redis), where DRF's default keeps and rewrites the time of every
    request in the window."""

    scope = "api"

    def get_rate(self) -> str | None:
        # Read on every request, so that a changed setting applies at once.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Any, view: Any) -> bool:
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        now = self.timer()
        window = int(now // self.duration)
        key = f"{self.get_cache_key(request, view)}:{window}"
        self.cache.add(key, 0, timeout=self.duration + 1)
        try:
            count = self.cache.incr(key)
        except ValueError:  # expired between add and incr
            self.cache.set(key, 1, timeout=self.duration + 1)
            count = 1
        self.wait_seconds = (window + 1) * self.duration - now
        return bool(count <= self.num_requests)

    def wait(self) -> float | None:
        return max(self.wait_seconds, 0.0)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if isinstance(request.auth, token_model()):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
