"""Docs kept in another repository (`url:` elsewhere): a bare mirror of each.

The URL goes through the same policy as a location's (allowed hosts, no local
paths unless allowed), and the same git calls fetch it: shallow, one branch,
nothing run from the repository. One mirror per repository URL, whoever names
it; a PostgreSQL advisory lock keeps two workers from fetching into it at once.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from catalog.hosts import repository_key
from catalog.ingest import git as gitio
from catalog.ingest.sync import check_url
from techdocs.source import DocsSource

LOCK_NAMESPACE = 0x6764  # "gd": apart from the crawl's locks


def mirror_path(repository: str) -> Path:
    key = repository_key(repository) or repository
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return Path(settings.DATA_DIR) / "docs-mirrors" / f"{digest}.git"


def update(source: DocsSource) -> tuple[Path, str]:
    """The docs repository's branch fetched into its mirror: (mirror, commit).

    Raises UrlRefused for a URL the policy refuses and GitError when the
    repository or branch cannot be read. Asks the remote first, so an unchanged
    branch costs one `ls-remote`."""
    repo = check_url(source.repository)
    mirror = mirror_path(source.repository)
    options = {
        "timeout": settings.GREENROOM_GIT_TIMEOUT,
        "allow_local": settings.GREENROOM_ALLOW_LOCAL_REPOS,
    }
    with _lock(mirror):
        if gitio.has_mirror(mirror):
            head = gitio.remote_head(repo, source.branch, **options)
            if gitio.read_ref(mirror, f"refs/heads/{head.branch}") == head.commit:
                return mirror, head.commit
            bare, head = gitio.fetch(mirror, repo, head.branch, **options)
        else:
            bare, head = gitio.clone(mirror, repo, source.branch, **options)
        bare.close()
    return mirror, head.commit


@contextmanager
def _lock(mirror: Path) -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    key = zlib.crc32(mirror.name.encode()) & 0x7FFFFFFF
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, key])
