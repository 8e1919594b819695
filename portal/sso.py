"""Single sign-on through a trusted proxy header (GREENROOM_SSO_HEADER).

The header is honoured only on requests that come from one of the proxies in
GREENROOM_SSO_TRUSTED_PROXIES; from anywhere else it is dropped, so a client that
reaches the portal directly cannot name a user. People the proxy names for the
first time are created without a role, and so see nothing until given one.
"""

from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.middleware import PersistentRemoteUserMiddleware
from django.http import HttpRequest

logger = logging.getLogger(__name__)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the connection itself (REMOTE_ADDR, not a header) is a proxy's."""
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    networks = _networks(tuple(settings.GREENROOM_SSO_TRUSTED_PROXIES))
    return any(address in network for network in networks)


class HeaderUserMiddleware(PersistentRemoteUserMiddleware):
    """Log in the user named by the proxy's header; the session outlives one request."""

    @property
    def meta_name(self) -> str:
        name = settings.SSO_HEADER.upper().replace("-", "_")
        return f"HTTP_{name}"

    @property
    def header(self) -> str:  # type: ignore[override]
        return self.meta_name

    def process_request(self, request: HttpRequest) -> None:
        self._drop_untrusted(request)
        super().process_request(request)

    async def aprocess_request(self, request: HttpRequest) -> None:
        # Django's async variant reads "HTTP_" + header: run the same checks.
        await sync_to_async(self.process_request, thread_sensitive=True)(request)

    def _drop_untrusted(self, request: HttpRequest) -> None:
        meta: dict[str, Any] = request.META
        if self.meta_name in meta and not from_trusted_proxy(request):
            logger.warning(
                "ignored %s from %s: not a trusted proxy",
                settings.SSO_HEADER,
                meta.get("REMOTE_ADDR"),
            )
            meta.pop(self.meta_name, None)
