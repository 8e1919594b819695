"""Files that `$text`, `$json` and `$yaml` placeholders name by URL, read in a crawl.

A URL is one of three things:

1. a git host's URL of a file of the crawled repository (any ref): the file at
   the crawled commit, read by the caller like any other path. Backstage reads
   the ref the URL names; the crawled commit keeps an entity and its definition
   from the same commit, and costs no network;
2. a git host's URL of a file of another repository: that repository's mirror
   (catalog/ingest/mirrors.py, the one TechDocs uses), updated at most once per
   crawl per repository and ref, read at the ref's head, under the git URL policy;
3. any other http(s) URL: downloaded from hosts in GREENROOM_READ_ALLOWED_HOSTS
   only (urlpolicy.check_read_url), pinned to the vetted addresses, within
   GREENROOM_MAX_FILE_BYTES and READ_SECONDS, each redirect checked again.

Every failure is a `RemoteFileError` whose message is safe to show: the caller
turns it into a warning and keeps the placeholder's text.
"""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import git
from gitdb.exc import ODBError

from catalog import pinnedhttp
from catalog.hosts import repository_key, same_repository
from catalog.ingest import git as gitio
from catalog.ingest import mirrors
from catalog.ingest.reader import clean_relative
from catalog.urlpolicy import (
    HostFileUrl,
    RepoUrl,
    UrlRefused,
    check_read_url,
    split_file_url,
)

logger = logging.getLogger(__name__)

READ_SECONDS = 20  # one download, from the request to the last byte
MAX_REDIRECTS = 3
# One crawl's reach: another repository is a mirror on disk, and every read
# waits on the network, so a descriptor naming hundreds of them stops here.
MAX_REPOSITORIES = 20
CRAWL_SECONDS = 180
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
UNREACHABLE = (
    "the host could not be reached, did not answer in time, or did not answer over HTTP"
)


class RemoteFileError(ValueError):
    """A URL that was not read; the message says why and is safe to show."""


@dataclass(frozen=True, slots=True)
class _Answer:
    body: bytes = b""
    redirect: str | None = None


class RemoteFiles:
    """What one crawl reads by URL; `close` when the crawl is done."""

    def __init__(
        self, location_url: str, *, max_bytes: int, read_hosts: Sequence[str]
    ) -> None:
        self.location_url = location_url
        self.max_bytes = max_bytes
        self.read_hosts = read_hosts
        self._heads: dict[tuple[str, str], tuple[Path, str] | RemoteFileError] = {}
        self._repos: dict[Path, git.Repo] = {}
        self._repositories: set[str] = set()
        self._deadline = time.monotonic() + CRAWL_SECONDS

    def own_path(self, url: str) -> str | None:
        """The path a URL names in the crawled repository, or None when it names
        anything else."""
        split = split_file_url(url)
        if split is None or not same_repository(split.repo_url, self.location_url):
            return None
        path = clean_relative(split.path or "")
        if path is None:
            raise RemoteFileError("the path leaves the repository")
        return path

    def read(self, url: str) -> bytes:
        """A file of another repository, or a download; RemoteFileError if not."""
        split = split_file_url(url)
        if split is not None:
            return self._read_mirrored(split)
        return self._download(url)

    def close(self) -> None:
        for repo in self._repos.values():
            repo.close()
        self._repos.clear()

    # --- another repository -------------------------------------------------

    def _read_mirrored(self, split: HostFileUrl) -> bytes:
        path = clean_relative(split.path or "")
        if path is None:
            raise RemoteFileError("the path leaves the repository")
        mirror, commit = self._head(split.repo_url, split.branch or "")
        try:
            return self._tree(mirror, commit).read(path)
        except FileNotFoundError:
            raise RemoteFileError(f"{path} not found in {split.repo_url}") from None

    def _tree(self, mirror: Path, commit: str) -> gitio.CommitTree:
        try:
            repo = self._repos.get(mirror)
            if repo is None:
                repo = self._repos[mirror] = git.Repo(mirror)
            return gitio.CommitTree(repo, commit, self.max_bytes)
        except (git.GitError, ODBError, ValueError) as exc:
            # A broken mirror (a disk error, a fetch killed half-way) is a
            # warning on this location, not a failed crawl.
            logger.warning("mirror %s could not be read: %r", mirror, exc)
            raise RemoteFileError("the repository's mirror could not be read") from None

    def _head(self, repository: str, ref: str) -> tuple[Path, str]:
        """The mirror and commit of a repository's ref, updated once per crawl."""
        key = (repository_key(repository) or repository, ref)
        if key not in self._heads:
            self._spend()
            if len(self._repositories | {key[0]}) > MAX_REPOSITORIES:
                raise RemoteFileError(
                    f"placeholders of one location read from at most "
                    f"{MAX_REPOSITORIES} other repositories"
                )
            self._repositories.add(key[0])
            self._heads[key] = _update(repository, ref)
        head = self._heads[key]
        if isinstance(head, RemoteFileError):
            raise head
        return head

    # --- a plain URL ---------------------------------------------------------

    def _download(self, url: str) -> bytes:
        self._spend()
        for _ in range(MAX_REDIRECTS + 1):
            try:
                checked = check_read_url(url, allowed_hosts=self.read_hosts)
            except UrlRefused as exc:
                raise RemoteFileError(f"URL refused: {exc}") from None
            answer = self._get(checked, url)
            if answer.redirect is None:
                return answer.body
            try:
                url = urljoin(url, answer.redirect)
            except ValueError:
                raise RemoteFileError("the host redirected to no valid URL") from None
        raise RemoteFileError(f"more than {MAX_REDIRECTS} redirects")

    def _get(self, checked: RepoUrl, url: str) -> _Answer:
        """The body of a 2xx answer, or where a redirect points."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        deadline = time.monotonic() + READ_SECONDS
        connection = pinnedhttp.connection(checked, READ_SECONDS)
        try:
            connection.request(
                "GET",
                target,
                headers={"User-Agent": "Greenroom", "Accept-Encoding": "identity"},
            )
            response = connection.getresponse()
            if response.status in _REDIRECTS:
                return _Answer(redirect=_location(response))
            if not 200 <= response.status < 300:
                raise RemoteFileError(f"the host answered {_status(response)}")
            return _Answer(body=self._body(response, deadline))
        except (OSError, http.client.HTTPException) as exc:
            # Only listed hosts get here, but their ports still read alike.
            logger.warning("reading %s failed: %r", checked.host, exc)
            raise RemoteFileError(UNREACHABLE) from None
        finally:
            connection.close()

    def _body(self, response: http.client.HTTPResponse, deadline: float) -> bytes:
        length = response.getheader("Content-Length") or ""
        if length.isdigit() and int(length) > self.max_bytes:
            raise RemoteFileError(self._too_big())
        data = bytearray()
        while chunk := response.read1(_CHUNK):
            data += chunk
            if len(data) > self.max_bytes:
                raise RemoteFileError(self._too_big())
            if time.monotonic() > deadline:
                raise RemoteFileError(f"not read within {READ_SECONDS} seconds")
        return bytes(data)

    def _spend(self) -> None:
        """Refuse any more network reads once the crawl has spent its time."""
        if time.monotonic() > self._deadline:
            raise RemoteFileError(
                f"not read: this crawl has spent its {CRAWL_SECONDS} seconds "
                "reading URLs"
            )

    def _too_big(self) -> str:
        return f"the file is larger than {self.max_bytes} bytes"


def _update(repository: str, ref: str) -> tuple[Path, str] | RemoteFileError:
    """The mirror and commit a ref names: a full commit id as it is, a branch
    at its head."""
    try:
        if mirrors.COMMIT_ID.fullmatch(ref.lower()):
            return mirrors.update_commit(repository, ref.lower()), ref.lower()
        return mirrors.update(repository, ref)
    except UrlRefused as exc:
        return RemoteFileError(f"repository refused: {exc}")
    except gitio.GitError as exc:
        return RemoteFileError(f"repository {repository}: {exc}")


def _location(response: http.client.HTTPResponse) -> str:
    location = response.getheader("Location") or ""
    if not location:
        raise RemoteFileError(f"the host answered {_status(response)}, nowhere")
    return location


def _status(response: http.client.HTTPResponse) -> str:
    # The standard phrase, not the host's own words.
    try:
        return f"{response.status} {HTTPStatus(response.status).phrase}"
    except ValueError:
        return str(response.status)
