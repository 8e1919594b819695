"""Django's debug page: for this machine only, and never with a secret in it.

DEBUG is off unless asked for (portal/settings.py), but a portal started with
DEBUG=1 and reached from another machine (a laptop on a shared network, a tunnel,
a container's published port) would show any visitor who can cause an error the
frames' locals: webhook secrets, tokens. So the technical 500 page (HTML and
text) is served only to a loopback client that came through no proxy; everyone
else gets the plain 500 page. What the page does show is filtered: settings and
headers that name a secret, and URLs (a broker or cache URL may carry a
password), are cleansed, as are the locals of functions marked with
`sensitive_variables` (webhooks/verify.py, keys.py, registry.py).
"""

from __future__ import annotations

import ipaddress
import re

from django.conf import settings
from django.http import HttpRequest
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter
from django.views.defaults import server_error

# A request that passed through any of these came from elsewhere, whatever
# REMOTE_ADDR says (a proxy on this machine connects from loopback).
PROXY_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_FORWARDED",
    "HTTP_X_REAL_IP",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_CLIENT_IP",
    "HTTP_TRUE_CLIENT_IP",
    "HTTP_CF_CONNECTING_IP",
)
PLAIN_TEXT = "Server Error (500)\n"


def from_this_machine(request: HttpRequest) -> bool:
    """True only for a loopback REMOTE_ADDR with no proxy's header."""
    if any(request.META.get(name) for name in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(str(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return False  # a Unix socket, or nothing: not known to be this machine
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


class LoopbackOnlyExceptionReporter(ExceptionReporter):
    """The technical 500 page, or the plain one for another machine."""

    def _withheld(self) -> bool:
        # Only while DEBUG, and for a request: otherwise Django serves no
        # technical page, and this class only writes error reports (mail,
        # logs), which keep everything.
        request = self.request
        return (
            bool(settings.DEBUG)
            and request is not None
            and not from_this_machine(request)
        )

    def get_traceback_html(self) -> str:
        if self._withheld():
            return str(server_error(self.request).content.decode())
        return str(super().get_traceback_html())

    def get_traceback_text(self) -> str:
        if self._withheld():
            return PLAIN_TEXT
        return str(super().get_traceback_text())


class SecretsFilter(SafeExceptionReporterFilter):
    """Django's filter, on with DEBUG too, also hiding settings named *URL or
    *DSN (CELERY_BROKER_URL, CACHE_URL may hold passwords)."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|DSN|BROKER",
        flags=re.IGNORECASE,
    )

    def is_active(self, request: HttpRequest | None) -> bool:
        # Django's filter stands down while DEBUG ("the site is not safe
        # anyway"), which is exactly when the page is shown: always filter.
        return True
