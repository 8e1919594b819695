"""Signing in at the provider without a browser: urllib with a cookie jar, as a
person's browser would, for tests that drive Greenroom with Django's test client.

`sign_in` follows the provider's redirects (authorize -> login form -> authorize)
and returns the first redirect that leaves the provider: the client's redirect URI
with `code` and `state`, which it does not fetch.
"""

from __future__ import annotations

import http.cookiejar
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from typing import Any

MAX_HOPS = 10
MAX_PAGE = 1_000_000


class SignInRefused(Exception):
    """The provider answered something other than a redirect back to the client."""


class _Redirects(urllib.request.HTTPErrorProcessor):
    """Hands every answer back, redirects and errors included, unfollowed."""

    def http_response(self, request: Any, response: Any) -> Any:
        return response


class _Inputs(HTMLParser):
    """The name and value of each <input> on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name"):
            self.values[str(found["name"])] = found.get("value") or ""


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc


def sign_in(authorize_url: str, username: str, password: str) -> str:
    """Sign in as `username` at the provider of `authorize_url` (an authorization
    request's full URL); return the redirect back to the client."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _Redirects()
    )
    provider = _origin(authorize_url)
    url, form = authorize_url, None
    for _ in range(MAX_HOPS):
        request = urllib.request.Request(url)
        if form is not None:
            request.data = urllib.parse.urlencode(form).encode()
            request.add_header("Referer", url)
        with opener.open(request, timeout=10) as response:
            status: int = response.status
            location: str | None = response.headers.get("Location")
            page = response.read(MAX_PAGE).decode("utf-8", "replace")
        if status in (301, 302, 303, 307) and location:
            url, form = urllib.parse.urljoin(url, location), None
            if _origin(url) != provider:
                return url
        elif status == 200 and form is None and 'name="password"' in page:
            inputs = _Inputs()
            inputs.feed(page)
            form = {**inputs.values, "username": username, "password": password}
        else:
            reason = "the login form came back" if status == 200 else f"HTTP {status}"
            raise SignInRefused(f"{username} was not signed in at {url}: {reason}")
    raise SignInRefused(f"more than {MAX_HOPS} redirects from {authorize_url}")
