"""What Greenroom asks of a git host's API, the same for every kind of host.

Each kind's module (github, gitlab, gitea, bitbucket_cloud, bitbucket_server)
turns the host's routes and answer shapes into the few calls and types of
discovery/hosts/base.py; this module picks the kind and pages through a scope.
"""

from __future__ import annotations

from collections.abc import Iterator

from discovery import hostclient
from discovery.hosts import (
    bitbucket_cloud,
    bitbucket_server,
    gitea,
    github,
    gitlab,
)
from discovery.hosts.base import (
    MAX_PAGES,
    Api,
    HostRepository,
    Identity,
    Kind,
    Page,
)
from discovery.models import HostConnection

__all__ = ["Api", "HostRepository", "Identity", "Page", "check", "in_scope", "kind",
           "pages", "repositories"]  # fmt: skip

KINDS: dict[str, Kind] = {
    "github": github,
    "gitlab": gitlab,
    "gitea": gitea,
    "bitbucket-cloud": bitbucket_cloud,
    "bitbucket-server": bitbucket_server,
}


def kind(name: str) -> Kind:
    return KINDS[name]


def pages(api: Api, scope: str, start: str = "") -> Iterator[Page]:
    """The scope's repositories page by page, from its first page or from `start`
    (a run going on where it stopped)."""
    adapter = kind(api.connection.kind)
    url = start or adapter.first_page(api, scope)
    for _ in range(MAX_PAGES):
        page = adapter.page(api, api.get(url))
        yield page
        if not page.next_url:
            return
        if page.next_url == url:
            raise hostclient.HostApiError("the host's pages do not advance")
        url = page.next_url
    raise hostclient.HostApiError(f"the host gave more than {MAX_PAGES} pages")


def in_scope(scope: str, full_name: str) -> bool:
    """Whether a repository's full name is inside a source's scope (what the
    scope's listing would show): its owner, group path, workspace or project."""
    what, _, who = scope.partition("/")
    if what in ("instance", "installation") and not who:
        return True
    owner = who if what in ("orgs", "users", "groups", "projects", "workspaces") else (
        scope
    )  # fmt: skip
    return bool(owner) and full_name.lower().startswith(owner.lower().strip("/") + "/")


def repositories(api: Api, scope: str) -> Iterator[HostRepository]:
    for page in pages(api, scope):
        yield from page.repositories


def check(connection: HostConnection) -> Identity:
    """Call the host once with the connection's credential: who it is, and the
    rate limit left. Raises HostApiError (or CredentialError) with the reason."""
    return kind(connection.kind).whoami(Api(connection))
