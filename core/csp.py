"""A Content-Security-Policy on every page that does not set its own.

Nothing on our pages is inline or from another host, so the policy can be strict:
entity text is escaped anyway, and this is the second lock on the door.

Scripts may come only from the portal's static files, not from anywhere on the
portal's origin: documentation sites are served from the same origin
(`/docs/...`) and a site may carry a `.js` file of its own. CSP cannot narrow
`'self'` to a path, so the source is the static URL made absolute from the
request's host (`portal.example/static/`); a path-restricted source matches that
folder and what is below it (CSP3, "path-part matching").
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

DIRECTIVES = [
    "default-src 'self'",
    "script-src {scripts}",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
]
EXEMPT = ("/admin/",)  # Django's admin uses inline styles


def script_source(request: HttpRequest) -> str:
    """The static folder as a CSP source: `<host>[:port]/static/`.

    Without a scheme the source takes the page's own (and an http one also
    allows https), so it holds behind a TLS proxy whatever the portal is told
    about the scheme."""
    static = str(settings.STATIC_URL or "/static/")
    if urlsplit(static).netloc:
        return static  # static files on their own host (a CDN): as configured
    try:
        host = request.get_host()
    except DisallowedHost:
        return "'self'"  # the answer is an error page anyway
    if host.startswith("["):
        # CSP host sources cannot name an IPv6 address: the origin, unnarrowed.
        return "'self'"
    return host + "/" + static.lstrip("/")


def policy(request: HttpRequest) -> str:
    return "; ".join(DIRECTIVES).format(scripts=script_source(request))


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and not request.path.startswith(
            EXEMPT
        ):
            response["Content-Security-Policy"] = policy(request)
        return response
