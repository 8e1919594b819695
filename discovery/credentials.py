"""The credential of a host connection, as each host wants it, and only where it goes.

A token (or a GitHub App's private key) is sealed in the database
(core/secrets.py) and unsealed only to build a header: for the host's API
(`api_headers`) and for git (`git_header`, registered with core/credentials.py,
so every git command the catalog runs against a URL under the connection's
`git_url` sends it, as `http.extraHeader` in git's environment: never in a URL,
an argument or an error). A GitHub App's installation token is minted when
needed and kept in this process until five minutes before it expires.
"""

from __future__ import annotations

import base64
import contextlib
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import jwt
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from catalog.urlpolicy import DEFAULT_PORTS
from core import secrets
from discovery import hostclient
from discovery.models import HostConnection

PURPOSE = "git hosts"  # the key derivation's label (core/secrets.py)
MAX_TOKEN = 4096
MAX_PRIVATE_KEY = 16 * 1024

# The user name git is given with a token, where the host wants Basic auth.
GIT_USERNAMES = {
    "github": "x-access-token",
    "gitlab": "oauth2",
    "gitea": "oauth2",
    "bitbucket-cloud": "x-token-auth",
}


class CredentialError(ValueError):
    """A token or key that cannot be a credential; the message is safe to show."""


@sensitive_variables()
def check_token(token: str) -> str:
    token = token.strip()
    if not token or len(token) > MAX_TOKEN:
        raise CredentialError(f"the token must be 1 to {MAX_TOKEN} characters")
    if not (token.isascii() and token.isprintable()) or " " in token:
        raise CredentialError("the token must be printable ASCII without spaces")
    return token


@sensitive_variables()
def check_private_key(pem: str) -> str:
    pem = pem.strip()
    if len(pem) > MAX_PRIVATE_KEY:
        raise CredentialError("the private key is too long")
    try:
        jwt.encode({"iss": "0"}, pem, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError):
        raise CredentialError("the private key is not an RSA key in PEM form") from None
    return pem


@sensitive_variables()
def set_token(connection: HostConnection, token: str) -> None:
    connection.sealed_token = secrets.seal(check_token(token), PURPOSE)


@sensitive_variables()
def set_private_key(connection: HostConnection, pem: str) -> None:
    connection.sealed_private_key = secrets.seal(check_private_key(pem), PURPOSE)


def rotated(connection: HostConnection) -> None:
    """After a new credential is set: forget minted tokens, note when."""
    connection.rotated_at = timezone.now()
    with _lock:
        _minted.pop(connection.pk, None)


# --- the token a request is made with ----------------------------------------


@dataclass(frozen=True, slots=True)
class _Minted:
    token: str
    expires: float  # time.time()
    sealed_key: str


_minted: dict[int, _Minted] = {}
_lock = threading.Lock()
APP_TOKEN_MARGIN = 300  # seconds before expiry a minted token is minted again


@sensitive_variables()
def token(connection: HostConnection) -> str:
    """The token to present: the stored one, or a GitHub App installation token."""
    if not connection.is_github_app:
        return secrets.unseal(connection.sealed_token, PURPOSE)
    with _lock:
        found = _minted.get(connection.pk)
    if (
        found
        and found.sealed_key == connection.sealed_private_key
        and found.expires - APP_TOKEN_MARGIN > time.time()
    ):
        return found.token
    minted = _mint_installation_token(connection)
    with _lock:
        _minted[connection.pk] = minted
    return minted.token


@sensitive_variables()
def app_jwt(connection: HostConnection) -> str:
    """The GitHub App's own short-lived token (RS256, ten minutes at most)."""
    now = int(time.time())
    claims = {"iat": now - 60, "exp": now + 540, "iss": str(connection.app_id)}
    key = secrets.unseal(connection.sealed_private_key, PURPOSE)
    return jwt.encode(claims, key, algorithm="RS256")


@sensitive_variables()
def _mint_installation_token(connection: HostConnection) -> _Minted:
    url = (
        f"{connection.api_url.rstrip('/')}/app/installations/"
        f"{connection.installation_id}/access_tokens"
    )
    headers = {**_github_headers(), "Authorization": f"Bearer {app_jwt(connection)}"}
    answer = hostclient.request("POST", url, headers, body=b"{}").json()
    minted = answer.get("token") if isinstance(answer, dict) else None
    if not isinstance(minted, str):
        raise hostclient.HostApiError("the host minted no installation token")
    expires = time.time() + 3600
    if isinstance(stamp := answer.get("expires_at"), str):
        with contextlib.suppress(ValueError):
            expires = datetime.fromisoformat(stamp).timestamp()
    return _Minted(check_token(minted), expires, connection.sealed_private_key)


def _github_headers() -> dict[str, str]:
    return {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }


@sensitive_variables()
def api_headers(connection: HostConnection) -> dict[str, str]:
    """The headers every API request to the connection's host carries."""
    secret = token(connection)
    kind = connection.kind
    if kind == "github":
        return {**_github_headers(), "Authorization": f"Bearer {secret}"}
    if kind == "gitea":
        return {"Authorization": f"token {secret}"}
    if kind == "bitbucket-cloud" and connection.username:
        return {"Authorization": _basic(connection.username, secret)}
    return {"Authorization": f"Bearer {secret}"}


@sensitive_variables()
def git_authorization(connection: HostConnection) -> str:
    """The Authorization header value git sends to the connection's git URLs."""
    secret = token(connection)
    if connection.kind == "bitbucket-server":
        return f"Bearer {secret}"
    user = connection.username or GIT_USERNAMES[connection.kind]
    return _basic(user, secret)


@sensitive_variables()
def _basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


# --- which connection a git URL belongs to -----------------------------------


def covers(connection: HostConnection, scheme: str, host: str, port: int | None,
           path: str) -> int:  # fmt: skip
    """How closely the connection's `git_url` covers a URL: the length of its path
    prefix plus one, or 0 when it does not (another scheme, host, port or path)."""
    prefix = urlsplit(connection.git_url)
    if prefix.scheme != scheme or (prefix.hostname or "") != host.lower():
        return 0
    try:
        prefix_port = prefix.port
    except ValueError:
        return 0
    default = DEFAULT_PORTS.get(scheme)
    if (prefix_port or default) != (port or default):
        return 0
    base = prefix.path.strip("/").lower()
    wanted = path.strip("/").lower()
    if base and not (wanted == base or wanted.startswith(base + "/")):
        return 0
    return len(base) + 1


def connection_for(
    scheme: str, host: str, port: int | None, path: str
) -> HostConnection | None:
    """The connection whose `git_url` covers the URL most closely, if any."""
    best, score = None, 0
    if scheme not in ("https", "http"):
        return None
    for connection in HostConnection.objects.all():
        found = covers(connection, scheme, host, port, path)
        if found > score:
            best, score = connection, found
    return best


@sensitive_variables()
def git_header(scheme: str, host: str, port: int | None, path: str) -> str:
    """core.credentials provider: the header for git, or "" (anonymous)."""
    connection = connection_for(scheme, host, port, path)
    if connection is None:
        return ""
    try:
        return git_authorization(connection)
    except (secrets.UnreadableSecret, hostclient.HostApiError, CredentialError):
        # Read anonymously: git then says the repository cannot be read, and
        # `manage.py hosts check` says why.
        return ""
