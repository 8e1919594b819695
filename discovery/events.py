"""Repository events from the webhooks: which discovery sources an event (or a
push to a repository no location reads) concerns, so each can look at the
repository again at once instead of at its next run.

A source is concerned when its connection is the same kind of host as the
webhook, the repository's full name is inside its scope, and, where the event
carries the repository's URLs or the webhook names an organisation, they are on
the connection's git host. What the repository now is, is asked of the host's
API (discovery/runs.py `check_repository`): the payload only says where to look.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from catalog.hosts import repository_key
from discovery import hosts
from discovery.models import DiscoverySource


def sources_for(
    kind: str,
    names: list[str],
    *,
    urls: Sequence[str] = (),
    owner_url: str = "",
) -> list[tuple[DiscoverySource, str]]:
    """(source, full name) for each source a repository event concerns."""
    found = []
    candidates = DiscoverySource.objects.filter(
        enabled=True, connection__kind=kind
    ).select_related("connection")
    hosts_named = {_host(u) for u in [*urls, owner_url] if _host(u)}
    for source in candidates:
        git_host = _host(source.connection.git_url)
        if hosts_named and git_host not in hosts_named:
            continue
        for name in names:
            if hosts.in_scope(source.scope, name):
                found.append((source, name))
    return found


def _host(url: str) -> str:
    key = repository_key(url) if url else ""
    if key:
        return key.split("/", 1)[0]
    return (urlsplit(url).hostname or "").lower() if "://" in url else ""


def names_from_urls(urls: Sequence[str]) -> list[str]:
    """Full names (owner/name, GitLab's group/sub/name) of the repositories a
    payload's URLs point at, as the host spells them in its paths."""
    found: list[str] = []
    for url in urls:
        key = repository_key(url)
        name = key.partition("/")[2] if key else ""
        if "/" in name and name not in found:
            found.append(name)
    return found
