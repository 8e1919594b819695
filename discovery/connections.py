"""Adding, rotating, checking and removing host connections: what the command,
the admin and the pages call. Each write is one transaction with its audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from audit import log as audit
from catalog.urlpolicy import UrlRefused, check_url
from core.secrets import UnreadableSecret
from discovery import credentials, hostclient, hosts
from discovery.models import HostConnection

# Where a kind's API lives by default, and the prefix of its git URLs.
DEFAULT_API = {
    "github": "https://api.github.com",
    "bitbucket-cloud": "https://api.bitbucket.org/2.0",
}
API_SUFFIXES = {
    "github": "/api/v3",
    "gitlab": "/api/v4",
    "gitea": "/api/v1",
    "bitbucket-cloud": "/2.0",
    "bitbucket-server": "/rest/api/1.0",
}
KNOWN_GIT_HOSTS = {"api.github.com": "github.com", "api.bitbucket.org": "bitbucket.org"}


class HostConnectionError(ValueError):
    """A connection that cannot be saved as asked; the message is safe to show."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    ok: bool
    message: str


def default_git_url(kind: str, api_url: str) -> str:
    """The prefix of git URLs on the host whose API is `api_url`."""
    parts = urlsplit(api_url.rstrip("/"))
    host = KNOWN_GIT_HOSTS.get(parts.hostname or "", parts.netloc)
    path = parts.path.removesuffix(API_SUFFIXES.get(kind, ""))
    return f"{parts.scheme}://{host}{path}"


def checked_address(url: str, what: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise HostConnectionError(f"the {what} must be an http(s) address")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise HostConnectionError(
            f"the {what} must not hold a user, a password, a query or a fragment"
        )
    try:
        # The policy judges the scheme, host and port; its parser wants a path,
        # which an API root or a host-wide prefix may not have.
        check_url(url if parts.path.strip("/") else f"{url}/_")
    except UrlRefused as exc:
        raise HostConnectionError(f"the {what} is refused: {exc}") from None
    return url


@sensitive_variables("token", "private_key")
def add_connection(
    name: str, kind: str, *, api_url: str = "", git_url: str = "", username: str = "",
    token: str = "", app_id: int | None = None, installation_id: int | None = None,
    private_key: str = "",
) -> HostConnection:  # fmt: skip
    """A new connection, its credential sealed. Either a token, or (GitHub) an
    app id, an installation id and the app's private key."""
    if kind not in HostConnection.Kind.values:
        raise HostConnectionError(
            f"the kind must be one of {', '.join(HostConnection.Kind.values)}"
        )
    if HostConnection.objects.filter(name=name).exists():
        raise HostConnectionError(f"a connection named {name!r} exists already")
    api = checked_address(api_url or DEFAULT_API.get(kind, ""), "API address")
    connection = HostConnection(
        name=name,
        kind=kind,
        api_url=api,
        git_url=checked_address(git_url or default_git_url(kind, api), "git URL"),
        username=username.strip()[:200],
    )
    set_credential(
        connection,
        token=token,
        app_id=app_id,
        installation_id=installation_id,
        private_key=private_key,
    )
    try:
        connection.full_clean()
    except Exception as exc:  # ValidationError: name, lengths
        raise HostConnectionError(_first_message(exc)) from None
    with transaction.atomic():
        connection.save()
        audit.record("host.add", name, kind=kind, api=api)
    return connection


@sensitive_variables("token", "private_key")
def rotate_credential(
    connection: HostConnection, *, token: str = "", app_id: int | None = None,
    installation_id: int | None = None, private_key: str = "",
) -> None:  # fmt: skip
    set_credential(
        connection,
        token=token,
        app_id=app_id,
        installation_id=installation_id,
        private_key=private_key,
    )
    credentials.rotated(connection)
    with transaction.atomic():
        connection.save()
        audit.record("host.rotate", connection.name)


@sensitive_variables("token", "private_key")
def set_credential(
    connection: HostConnection, *, token: str = "", app_id: int | None = None,
    installation_id: int | None = None, private_key: str = "",
) -> None:  # fmt: skip
    """Seal a new credential on the (unsaved) connection: a token, or a GitHub
    App's ids and private key."""
    try:
        if app_id is not None or private_key:
            if connection.kind != "github":
                raise HostConnectionError("only GitHub connections can be a GitHub App")
            if app_id is None or installation_id is None or not private_key:
                raise HostConnectionError(
                    "a GitHub App needs its app id, installation id and private key"
                )
            credentials.set_private_key(connection, private_key)
            connection.app_id, connection.installation_id = app_id, installation_id
            connection.sealed_token = ""
        else:
            credentials.set_token(connection, token)
            connection.app_id = connection.installation_id = None
            connection.sealed_private_key = ""
    except credentials.CredentialError as exc:
        raise HostConnectionError(str(exc)) from None


def remove_connection(connection: HostConnection) -> None:
    with transaction.atomic():
        connection.delete()
        audit.record("host.remove", connection.name)


def check_connection(connection: HostConnection) -> CheckResult:
    """Call the host once: who the credential is and the rate limit left, kept on
    the connection (shown in the admin and `hosts list`)."""
    try:
        result = CheckResult(True, hosts.check(connection).describe())
    except (hostclient.HostApiError, credentials.CredentialError) as exc:
        result = CheckResult(False, str(exc))
    except UnreadableSecret:
        result = CheckResult(
            False, "the credential was sealed under another key: rotate it"
        )
    connection.checked_at = timezone.now()
    connection.check_result = ("ok: " if result.ok else "failed: ") + result.message
    connection.check_result = connection.check_result[:500]
    connection.save(update_fields=["checked_at", "check_result"])
    return result


def _first_message(exc: Exception) -> str:
    messages = getattr(exc, "message_dict", None)
    if isinstance(messages, dict):
        for field, found in messages.items():
            return f"{field}: {found[0]}"
    return str(exc)
