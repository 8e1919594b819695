"""A fake git host with an organisation on it, and a provider that reads it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from discovery.connections import add_connection
from people.models import OrgProvider
from people.providers import create_provider
from tests.support.fakehost import FakeHost


def start_host(kind: str, root: Path, settings: Any, **options: Any) -> FakeHost:
    """A started fake host that the URL policy lets the API client call."""
    host = FakeHost(kind, root, **options).start()
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [host.web_url.removeprefix("http://")]
    settings.GREENROOM_ALLOW_LOCAL_REPOS = False
    settings.GREENROOM_HOST_API_TIMEOUT = 2
    return host


def provider_for(
    host: FakeHost, scope: str = "acme", *, token: str | None = None,
    name: str = "acme",
) -> OrgProvider:  # fmt: skip
    """A provider of the host's kind reading `scope` through a new connection
    (with the host's token, or `token`)."""
    connection = add_connection(
        f"{name}-host", host.kind, api_url=host.api_url, git_url=host.web_url,
        token=host.token if token is None else token,
    )  # fmt: skip
    return create_provider(name=name, kind=host.kind, connection=connection,
                           scope=scope)  # fmt: skip


def get(host: FakeHost, route: str, token: str | None = None) -> tuple[int, Any]:
    """A plain GET of an API route; the token, if any, as a Bearer header."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(host.api_url + route, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as failure:
        return failure.code, json.loads(failure.read())
