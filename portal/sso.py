"""Single sign-on through a trusted proxy header (GREENROOM_SSO_HEADER)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.middleware import PersistentRemoteUserMiddleware


class HeaderUserMiddleware(PersistentRemoteUserMiddleware):
    """Log in the user named by the proxy's header; the session outlives one request.

    Only safe behind a proxy that sets the header itself and strips it from clients.
    """

    @property
    def header(self) -> str:  # type: ignore[override]
        name = settings.SSO_HEADER.upper().replace("-", "_")
        return f"HTTP_{name}"
