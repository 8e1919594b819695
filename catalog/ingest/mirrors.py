"""Bare mirrors of repositories a location reads from without crawling them.

TechDocs `url:` refs to another repository and `$text`/`$json`/`$yaml`
placeholders naming a file of another repository both read through here. The
URL goes through the same policy as a location's (allowed hosts, no local paths
unless allowed), and the same git calls fetch it: shallow, one branch, nothing
run from the repository. One mirror per repository URL, whoever names it (kept
under `docs-mirrors/`, where TechDocs first put them); a PostgreSQL advisory
lock keeps two workers from fetching into it at once.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from catalog.hosts import repository_key
from catalog.ingest import git as gitio
from catalog.urlpolicy import RepoUrl, check_repo_url

LOCK_NAMESPACE = 0x6764  # "gd": apart from the crawl's locks
COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def mirror_path(repository: str) -> Path:
    key = repository_key(repository) or repository
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return Path(settings.DATA_DIR) / "docs-mirrors" / f"{digest}.git"


def update(repository: str, branch: str) -> tuple[Path, str]:
    """The repository's branch ("" for its default) fetched into its mirror:
    (mirror, commit).

    Raises UrlRefused for a URL the policy refuses and GitError when the
    repository or branch cannot be read. Asks the remote first, so an unchanged
    branch costs one `ls-remote`."""
    if branch and not gitio.is_valid_branch(branch):
        # Checked here, as it becomes part of a refspec: `a:b` or `*` would
        # write or fetch other refs.
        raise gitio.GitError("the branch name is not a valid git branch name")
    repo = _checked(repository)
    mirror = mirror_path(repository)
    options = _options()
    with _lock(mirror):
        if gitio.has_mirror(mirror):
            head = gitio.remote_head(repo, branch, **options)
            if gitio.read_ref(mirror, f"refs/heads/{head.branch}") == head.commit:
                return mirror, head.commit
            bare, head = gitio.fetch(mirror, repo, head.branch, **options)
        else:
            bare, head = gitio.clone(mirror, repo, branch, **options)
        bare.close()
    return mirror, head.commit


def update_commit(repository: str, commit: str) -> Path:
    """The repository's mirror with `commit` (a full commit id) in it.

    Fetched once, as a commit never changes, under a ref of its own so that no
    branch update drops it. Hosts serve a commit that no branch points at over
    git's protocol v2 (GitHub, GitLab, git over http(s)); over git:// (v0) only
    branch heads can be fetched. Raises as `update` does.
    """
    if not COMMIT_ID.fullmatch(commit):
        raise gitio.GitError("not a full commit id")
    repo = _checked(repository)
    mirror = mirror_path(repository)
    ref = f"refs/greenroom/commits/{commit}"
    with _lock(mirror):
        if not gitio.has_mirror(mirror):
            bare, _ = gitio.clone(mirror, repo, "", **_options())
            bare.close()
        if gitio.read_ref(mirror, ref) != commit:
            gitio.fetch_commit(mirror, repo, commit, ref, **_options())
    return mirror


def _checked(repository: str) -> RepoUrl:
    return check_repo_url(
        repository,
        allowed_hosts=settings.GREENROOM_ALLOWED_GIT_HOSTS,
        allow_local=settings.GREENROOM_ALLOW_LOCAL_REPOS,
    )


def _options() -> dict[str, Any]:
    return {
        "timeout": settings.GREENROOM_GIT_TIMEOUT,
        "allow_local": settings.GREENROOM_ALLOW_LOCAL_REPOS,
    }


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
