"""Creating the hook on the git host for the user (GitHub and GitLab), and only that.

The user's token is used for this one request and then dropped: it is never
stored, logged or put in an error message. The host's API address is derived
from the repository's (api.github.com for github.com, `/api/v3` on GitHub
Enterprise, `/api/v4` on GitLab) and goes through the same URL policy as every
other address Greenroom calls.
"""

from __future__ import annotations

import http.client
import json
import logging
import ssl
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlsplit

from catalog import pinnedhttp
from catalog.pinnedhttp import dial as _dial
from catalog.urlpolicy import RepoUrl, UrlRefused, check_url

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
MAX_ANSWER = 1024 * 1024
MAX_HOOK_ID = 100  # Webhook.host_hook_id
UNREACHABLE = "the host's API could not be reached, or did not answer over HTTP"


class HostError(Exception):
    """The host refused or could not be reached; the message is safe to show."""


@dataclass(frozen=True, slots=True)
class HostHook:
    id: str


def create_hook(
    kind: str, scope_url: str, *, organisation: bool, payload_url: str, secret: str,
    token: str,
) -> HostHook:  # fmt: skip
    """Create a push hook on the host for a repository (or an organisation/group)."""
    if not (token.isascii() and token.isprintable() and " " not in token):
        raise HostError("the token is not valid (printable ASCII, no spaces)")
    base, path = _api_base(kind, scope_url)
    if kind == "github":
        route = f"/orgs/{quote(path.split('/')[0])}/hooks" if organisation else (
            f"/repos/{'/'.join(quote(p) for p in path.split('/')[:2])}/hooks"
        )  # fmt: skip
        body: dict[str, Any] = {
            "name": "web",
            "active": True,
            "events": ["push"],
            "config": {
                "url": payload_url,
                "content_type": "json",
                "secret": secret,
                "insecure_ssl": "0",
            },
        }
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
    elif kind == "gitlab":
        route = (
            f"/{'groups' if organisation else 'projects'}/{quote(path, safe='')}/hooks"
        )
        body = {
            "url": payload_url,
            "token": secret,
            "push_events": True,
            "tag_push_events": False,
            "merge_requests_events": False,
            "enable_ssl_verification": True,
        }
        headers = {"PRIVATE-TOKEN": token}
    else:
        raise HostError("hooks can be created on GitHub and GitLab only")
    answer = _post(base + route, body, headers)
    hook_id = answer.get("id")
    usable = (isinstance(hook_id, int) and not isinstance(hook_id, bool)) or (
        isinstance(hook_id, str) and 0 < len(hook_id) <= MAX_HOOK_ID
    )
    if not usable or len(str(hook_id)) > MAX_HOOK_ID:
        raise HostError("the host answered without a usable hook id")
    return HostHook(str(hook_id))


def _api_base(kind: str, scope_url: str) -> tuple[str, str]:
    """The host's API root and the repository's (or organisation's) path."""
    parts = urlsplit(scope_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise HostError("hooks can be created for http(s):// repository URLs only")
    path = parts.path.strip("/").removesuffix(".git")
    if not path:
        raise HostError("the URL names no repository or organisation")
    host = parts.netloc.rpartition("@")[2]
    if kind == "github":
        base = (
            "https://api.github.com"
            if parts.hostname == "github.com"
            else f"{parts.scheme}://{host}/api/v3"
        )
    else:
        base = f"{parts.scheme}://{host}/api/v4"
    return base, path


def _post(url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    try:
        repo = check_url(url)
    except UrlRefused as exc:
        raise HostError(f"the host's API address is refused: {exc}") from None
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = _connection(repo)
    try:
        try:
            connection.request(
                "POST",
                target,
                body=json.dumps(body).encode(),
                headers={
                    **headers,
                    "Content-Type": "application/json",
                    "User-Agent": "Greenroom",
                },
            )
        except (ValueError, http.client.InvalidURL):  # never quote the request
            raise HostError("the request to the host could not be sent") from None
        response = connection.getresponse()
        data = response.read(MAX_ANSWER + 1)
    except (OSError, http.client.HTTPException) as exc:
        # One message for a closed port, a silent one and one that is not HTTP:
        # the difference would make this a port scanner. The reason is logged.
        logger.warning("the API of %s could not be called: %r", repo.host, exc)
        raise HostError(UNREACHABLE) from None
    finally:
        connection.close()
    # Redirects are answers, never followed: one could carry the token elsewhere.
    if not 200 <= response.status < 300:
        raise HostError(f"the host answered {response.status} {_phrase(response)}")
    try:
        answer = json.loads(data[:MAX_ANSWER])
    except ValueError:
        raise HostError("the host's answer is not JSON") from None
    return answer if isinstance(answer, dict) else {}


def _phrase(response: http.client.HTTPResponse) -> str:
    # The standard phrase, not the host's own words.
    try:
        return HTTPStatus(response.status).phrase
    except ValueError:
        return ""


def _connection(
    repo: RepoUrl, context: ssl.SSLContext | None = None
) -> http.client.HTTPConnection:
    """A connection pinned to the vetted addresses (catalog/pinnedhttp.py)."""
    return pinnedhttp.connection(repo, TIMEOUT_SECONDS, context, dial=_dial)
