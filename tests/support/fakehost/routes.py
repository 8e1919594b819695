"""A small router for one host kind's REST API, and the answers handlers give."""

from __future__ import annotations

import email
import email.message
import email.policy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

if TYPE_CHECKING:
    from tests.support.fakehost.host import FakeHost

Answer = tuple[int, dict[str, str], bytes]
Handler = Callable[["Call"], Answer]


@dataclass
class Call:
    """One API request, as a handler sees it."""

    host: FakeHost
    method: str
    path: str  # below the API prefix, still percent-encoded
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes
    authed: bool
    token: str | None = field(repr=False)
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def form(self) -> dict[str, str]:
        """Fields from the query, then a JSON, url-encoded or multipart body."""
        fields = dict(self.query)
        kind = self.headers.get("content-type", "")
        if "json" in kind:
            fields.update({k: v for k, v in self.json().items() if isinstance(v, str)})
        elif kind.startswith("multipart/form-data"):
            head = f"Content-Type: {kind}\r\n\r\n".encode()
            message = email.message_from_bytes(
                head + self.body, policy=email.policy.HTTP
            )
            assert isinstance(message, email.message.EmailMessage)
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if isinstance(name, str) and isinstance(payload, bytes):
                    fields[name] = payload.decode(errors="replace")
        elif self.body:
            fields.update(
                parse_qsl(self.body.decode(errors="replace"), keep_blank_values=True)
            )
        return fields

    def number(
        self, name: str, default: int, low: int = 1, high: int | None = None
    ) -> int:
        try:
            value = int(self.query.get(name, default))
        except ValueError:
            value = default
        value = max(value, low)
        return min(value, high) if high is not None else value


class Router:
    """Patterns like "/repos/{owner}/{repo}/contents/{path+}" to handlers."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        regex = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", pattern)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)

        def register(handler: Handler) -> Handler:
            self.routes.append((method, re.compile(f"^{regex}$"), handler))
            return handler

        return register

    def find(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        for verb, regex, handler in self.routes:
            match = regex.match(path)
            if verb == method and match:
                params = {
                    key: unquote(value) for key, value in match.groupdict().items()
                }
                return handler, params
        return None


def as_json(status: int, data: Any, headers: dict[str, str] | None = None) -> Answer:
    body = json.dumps(data, indent=None, separators=(",", ":")).encode()
    return (
        status,
        {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        body,
    )


def as_text(
    status: int, text: str | bytes, kind: str = "text/plain; charset=utf-8"
) -> Answer:
    data = text.encode() if isinstance(text, str) else text
    return status, {"Content-Type": kind}, data


def iso(when: datetime | None) -> str | None:
    """2024-03-02T10:00:00Z, as GitHub, GitLab and Gitea write times."""
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


@dataclass(frozen=True)
class Kind:
    """What makes one host kind: its API prefix, routes, credentials and limits."""

    name: str
    api_prefix: str
    router: Router
    token: Callable[[dict[str, str]], str | None]  # the credential a request carries
    # On every API answer: rate-limit headers, identity (Bitbucket DC's X-AUSERNAME).
    answer_headers: Callable[[FakeHost, bool], dict[str, str]]
    limited: Callable[[FakeHost, float], Answer]  # rate-limited until that epoch
    not_found: Callable[[FakeHost], Answer]
    git_prefix: str = ""  # Bitbucket DC serves git under /scm
    # Whether the credential is good for this path (default: the host's tokens).
    authenticate: Callable[[FakeHost, str, str | None], bool] | None = None
