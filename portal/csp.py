"""A Content-Security-Policy on every page that does not set its own.

Nothing on our pages is inline or from another host, so the policy can be strict:
entity text is escaped anyway, and this is the second lock on the door.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)
EXEMPT = ("/admin/",)  # Django's admin uses inline styles


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and not request.path.startswith(
            EXEMPT
        ):
            response["Content-Security-Policy"] = POLICY
        return response
