"""The types and helpers every kind of host's module shares (discovery/hosts/).

What Greenroom asks of a git host's API, the same for every kind of host.

Each kind's module (github, gitlab, gitea, bitbucket_cloud, bitbucket_server)
turns the host's routes and answer shapes into these few calls and types:
who the credential is (`whoami`), the repositories of a scope
(`repositories`), and one file at a branch (`read_file`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from catalog.storable import storable_text
from discovery import credentials, hostclient
from discovery.models import HostConnection

PAGE_SIZE = 100
MAX_PAGES = 10_000  # a host that pages for ever is stopped (a million repositories)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the credential is, and the requests it has left where the host says."""

    name: str
    rate_remaining: int | None = None
    rate_limit: int | None = None

    def describe(self) -> str:
        rate = (
            f"{self.rate_remaining} of {self.rate_limit} requests left"
            if self.rate_remaining is not None and self.rate_limit is not None
            else f"{self.rate_remaining} requests left"
            if self.rate_remaining is not None
            else "no rate limit reported"
        )
        return f"signed in as {self.name}; {rate}"


@dataclass(frozen=True, slots=True)
class HostRepository:
    """One repository as the host lists it."""

    host_id: str  # the host's id: stays the same across renames and transfers
    full_name: str  # owner/name (GitLab: the whole namespace path)
    clone_url: str  # https
    web_url: str
    default_branch: str  # "" for an empty repository
    archived: bool = False
    fork: bool = False
    private: bool = False
    description: str = ""
    topics: tuple[str, ...] = ()
    pushed_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        return self.full_name.rpartition("/")[2]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing, and the address of the next ("" after the last)."""

    repositories: list[HostRepository]
    next_url: str


class Kind(Protocol):
    def whoami(self, api: Api) -> Identity: ...

    def first_page(self, api: Api, scope: str) -> str: ...

    def page(self, api: Api, answer: hostclient.Answer) -> Page: ...

    def repository(self, api: Api, full_name: str) -> HostRepository | None: ...

    def read_file(
        self, api: Api, repo: HostRepository, path: str, ref: str
    ) -> str | None: ...

    def owners(self, api: Api, repo: HostRepository) -> list[str]: ...


class Api:
    """A connection's API: its base address and credential, for one run."""

    def __init__(self, connection: HostConnection) -> None:
        self.connection = connection
        self.base = connection.api_url.rstrip("/")
        self.requests = 0
        self._headers: dict[str, str] | None = None

    def url(self, route: str, **query: Any) -> str:
        params = {k: v for k, v in query.items() if v is not None}
        return self.base + route + (f"?{urlencode(params)}" if params else "")

    def get(self, url: str) -> hostclient.Answer:
        """GET an address on this host (a route from `url`, or a next-page link)."""
        if not _same_origin(url, self.base):
            raise hostclient.HostApiError(
                "the host's answer pointed to another host; it is not followed"
            )
        if self._headers is None:
            self._headers = credentials.api_headers(self.connection)
        self.requests += 1
        return hostclient.request("GET", url, self._headers)

    def send(self, method: str, url: str, body: bytes, content_type: str
             ) -> hostclient.Answer:  # fmt: skip
        if self._headers is None:
            self._headers = credentials.api_headers(self.connection)
        self.requests += 1
        return hostclient.request(
            method, url, self._headers, body=body, content_type=content_type
        )

    def send_json(
        self, method: str, route: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """A JSON write to a route; the answer's object ({} for none)."""
        answer = self.send(method, self.url(route), json.dumps(body).encode(),
                           "application/json")  # fmt: skip
        found = answer.json() if answer.body else {}
        return found if isinstance(found, dict) else {}


def _same_origin(url: str, base: str) -> bool:
    one, other = urlsplit(url), urlsplit(base)
    return (one.scheme, one.netloc.lower()) == (other.scheme, other.netloc.lower())


def text(value: Any, limit: int = 2000) -> str:
    """A string field of an answer, or "" for anything else; cut to `limit` and
    storable (NUL and lone surrogates escaped, catalog/storable.py)."""
    return storable_text(value, limit) if isinstance(value, str) else ""


def link(value: Any) -> str:
    """A web address from an answer, if it is an http(s) one (pages link to it)."""
    found = text(value)
    return found if found.startswith(("https://", "http://")) else ""


def flag(value: Any) -> bool:
    return value is True


def when(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else None


def topics(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(text(t, 100) for t in value[:100] if isinstance(t, str) and t)


def items(answer: hostclient.Answer, key: str | None = None) -> list[dict[str, Any]]:
    """The objects of a list answer (or of its `key`); a clear error otherwise."""
    body = answer.json()
    if key is not None:
        body = body.get(key) if isinstance(body, dict) else None
    if not isinstance(body, list):
        raise hostclient.HostApiError("the host's answer is not a list of repositories")
    return [item for item in body if isinstance(item, dict)]


MAX_OWNERS = 20


def codeowners(content: str) -> list[str]:
    """The default owners a CODEOWNERS file names: those of its last rule for
    every file (`*`, `/`, `/*`, `**`), else of its first rule; at most MAX_OWNERS."""
    default: list[str] = []
    first: list[str] = []
    for line in content.splitlines()[:2000]:
        words = line.split("#", 1)[0].split()
        if len(words) < 2 or words[0].startswith("["):  # GitLab's [Section]
            continue
        owners = [text(w, 100) for w in words[1:] if "@" in w]
        if words[0] in ("*", "/", "/*", "**", "/**"):
            default = owners
        elif not first:
            first = owners
    return (default or first)[:MAX_OWNERS]


def owners_from_codeowners(
    read: Callable[[str], str | None], paths: tuple[str, ...]
) -> list[str]:
    """The default owners of the first CODEOWNERS file found (`read` reads one
    path at the default branch)."""
    for path in paths:
        found = read(path)
        if found is not None:
            return codeowners(found)
    return []


def fetch_object(api: Api, url: str) -> dict[str, Any] | None:
    """The JSON object at an address; None when the host has none (404)."""
    try:
        body = api.get(url).json()
    except hostclient.NotFound:
        return None
    return body if isinstance(body, dict) else None


def contents_file(api: Api, route: str, ref: str) -> str | None:
    """A file through GitHub's (and Gitea's) contents API: base64 in `content`."""
    body = fetch_object(api, api.url(route, ref=ref or None))
    if body is None or body.get("type", "file") != "file":
        return None
    return decoded(body)


def decoded(body: dict[str, Any]) -> str | None:
    try:
        return base64.b64decode(text(body.get("content"), 10**8)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def user_name(answer: hostclient.Answer, *keys: str) -> str:
    """Who an identity answer (`GET /user`) names: the first of `keys` it has."""
    body = answer.json()
    for key in keys:
        if name := (text(body.get(key), 200) if isinstance(body, dict) else ""):
            return name
    raise hostclient.HostApiError("the host's answer names no user")
