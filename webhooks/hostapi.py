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
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from catalog.ingest.sync import check_url
from catalog.urlpolicy import UrlRefused

TIMEOUT_SECONDS = 10
MAX_ANSWER = 1024 * 1024
MAX_HOOK_ID = 100  # Webhook.host_hook_id


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
        check_url(url)
    except UrlRefused as exc:
        raise HostError(f"the host's API address is refused: {exc}") from None
    request = urllib.request.Request(  # noqa: S310 - checked by the URL policy above
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            **headers,
            "Content-Type": "application/json",
            "User-Agent": "Greenroom",
        },
    )
    try:
        with _opener().open(request, timeout=TIMEOUT_SECONDS) as response:
            data = response.read(MAX_ANSWER + 1)
    except urllib.error.HTTPError as exc:
        raise HostError(f"the host answered {exc.code} {exc.reason}") from None
    except (ValueError, http.client.HTTPException):  # never quote the request
        raise HostError("the request to the host could not be sent") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HostError(f"the host could not be reached: {reason}") from None
    try:
        answer = json.loads(data[:MAX_ANSWER])
    except ValueError:
        raise HostError("the host's answer is not JSON") from None
    return answer if isinstance(answer, dict) else {}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect could carry the token to another address


def _opener() -> urllib.request.OpenerDirector:
    # No redirects, and no proxies picked up from the environment.
    return urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))
