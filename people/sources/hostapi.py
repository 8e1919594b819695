"""Reading an organisation from a git host's REST API (the GitHub and GitLab sources).

Requests go through the host connection's own API client (discovery/hosts/base.py
`Api`, discovery/hostclient.py): the URL policy, the credential in a header and
only to the connection's API origin, answers read up to a size limit, redirects
and rate limits as errors. This module adds what a directory read needs on top:
every page of a listing (Link headers, as the hosts page), and each failure as a
`SourceError` naming what was being read, the request and what the host answered.
Never the credential: hostclient's messages carry only the host's status.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from catalog.storable import has_unstorable
from core.secrets import UnreadableSecret
from discovery import credentials, hostclient
from discovery.hosts.base import MAX_PAGES, PAGE_SIZE, Api
from people.directory import Team
from people.models import OrgProvider
from people.sources import SourceError

# A listing longer than this is refused rather than held in memory: a hundred
# thousand members of one team or organisation is already past any real one.
MAX_ITEMS = 100_000
MAX_NAME = 255  # GitLab's longest username and path segment; GitHub's are shorter


class HostReader:
    """The provider's host connection, for one read."""

    def __init__(self, provider: OrgProvider, kind: str) -> None:
        connection = provider.connection
        if connection is None:
            raise SourceError("the provider has no host connection to read with")
        if connection.kind != kind:
            raise SourceError(
                f"a {kind} provider reads through a {kind} host connection, "
                f"not a {connection.kind} one"
            )
        self.api = Api(connection)

    def get(self, route: str, what: str, *, missing_ok: bool = False,
            **query: Any) -> dict[str, Any] | None:  # fmt: skip
        """The object a route answers; None for a 404 when `missing_ok`."""
        with _reading(what, route):
            try:
                answer = self.api.get(self.api.url(route, **query))
            except hostclient.NotFound:
                if missing_ok:
                    return None
                raise
            body = answer.json()
        if not isinstance(body, dict):
            raise SourceError(f"{_could_not(what, route)}: the answer is not an object")
        return body

    def listing(self, route: str, what: str, **query: Any) -> list[dict[str, Any]]:
        """Every object of a paged listing, following its `rel="next"` links."""
        url = self.api.url(route, per_page=PAGE_SIZE, **query)
        found: list[dict[str, Any]] = []
        asked: set[str] = set()
        for page in range(1, MAX_PAGES + 1):
            with _reading(what, route, page):
                answer = self.api.get(url)
                body = answer.json()
            if not isinstance(body, list) or not all(
                isinstance(entry, dict) for entry in body
            ):
                raise SourceError(
                    f"{_could_not(what, route, page)}: the answer is not a list "
                    "of objects"
                )
            found += body
            if len(found) > MAX_ITEMS:
                raise SourceError(
                    f"{_could_not(what, route)}: more than {MAX_ITEMS} entries"
                )
            asked.add(url)
            url = hostclient.next_link(answer)
            if not url:
                return found
            if url in asked:
                raise SourceError(
                    f"{_could_not(what, route, page)}: the host's pages do not advance"
                )
        raise SourceError(f"{_could_not(what, route)}: more than {MAX_PAGES} pages")


def _could_not(what: str, route: str, page: int = 1) -> str:
    # The route is ours (the scope quoted in it); a next-page address is the
    # host's, so only its number is shown.
    where = f"GET {route}" + (f", page {page}" if page > 1 else "")
    return f"could not read {what} ({where})"


@contextmanager
def _reading(what: str, route: str, page: int = 1) -> Iterator[None]:
    """Turn the host client's failures into a SourceError that says where."""
    try:
        yield
    except hostclient.NotFound as exc:
        raise SourceError(
            f"{_could_not(what, route, page)}: {exc} (it does not exist, or the "
            "credential cannot see it)"
        ) from exc
    except (hostclient.HostApiError, credentials.CredentialError) as exc:
        raise SourceError(f"{_could_not(what, route, page)}: {exc}") from exc
    except UnreadableSecret:
        raise SourceError(
            "the host connection's credential was sealed under another key: rotate it"
        ) from None


def identity(value: Any, what: str) -> str:
    """A login, slug or path that names someone or something in the directory.

    Refused (the read fails) rather than cut or escaped: a changed name would be
    somebody else's, and an entry skipped would be removed as a leaver."""
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > MAX_NAME
        or has_unstorable(value)
    ):
        raise SourceError(f"the host's answer has {what} that is not a usable name")
    return value


def number(value: Any, what: str) -> int:
    """An id the host gives as a JSON integer."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise SourceError(f"the host's answer has {what} that is not a number")
    return value


class Notes:
    """A read's problems, each said once, in the order found."""

    def __init__(self) -> None:
        self._found: dict[str, None] = {}

    def add(self, note: str) -> None:
        self._found.setdefault(note, None)

    def all(self) -> list[str]:
        return list(self._found)


def check_parents(teams: dict[str, Team], notes: Notes) -> None:
    """Cut, with a note, a parent that is not among the teams read (one the
    credential cannot see) and a loop of parents (no real host has one)."""
    for name, team in teams.items():
        if team.parent and team.parent not in teams:
            notes.add(
                f"{name}'s parent {team.parent} is not among the teams read: "
                "shown at the top"
            )
            team.parent = ""
    for name, team in teams.items():
        seen, current = {name}, team.parent
        while current and current not in seen:
            seen.add(current)
            current = teams[current].parent
        if current == name:  # a loop through this team (others are cut at theirs)
            notes.add(f"{name}'s parents go round in a loop: cut there")
            team.parent = ""
