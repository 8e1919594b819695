"""Bare mirrors of repositories a location reads from without crawling them.

TechDocs `url:` refs to another repository and `$text`/`$json`/`$yaml`
placeholders naming a file of another repository both read through here. The
URL goes through the same policy as a location's (allowed hosts, no local paths
unless allowed), and the same git calls fetch it: shallow, one branch, nothing
run from the repository. One mirror per repository URL, whoever names it (kept
under `docs-mirrors/`, where TechDocs first put them); a PostgreSQL advisory
lock keeps two workers from fetching into it at once.

A crawled location has a mirror of its own (`location_mirror_path`, under
`mirrors/`), written only by its crawl and dropped with the location.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

from catalog.hosts import repository_key
from catalog.ingest import git as gitio
from catalog.urlpolicy import check_url
from core.locks import MIRROR, advisory_lock

if TYPE_CHECKING:
    from catalog.models import Location

COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def location_mirror_path(location: Location) -> Path:
    return Path(settings.DATA_DIR) / "mirrors" / f"{location.pk}.git"


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
    repo = check_url(repository)
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
    repo = check_url(repository)
    mirror = mirror_path(repository)
    ref = f"refs/greenroom/commits/{commit}"
    with _lock(mirror):
        if not gitio.has_mirror(mirror):
            bare, _ = gitio.clone(mirror, repo, "", **_options())
            bare.close()
        if gitio.read_ref(mirror, ref) != commit:
            gitio.fetch_commit(mirror, repo, commit, ref, **_options())
    return mirror


def _options() -> dict[str, Any]:
    return {
        "timeout": settings.GREENROOM_GIT_TIMEOUT,
        "allow_local": settings.GREENROOM_ALLOW_LOCAL_REPOS,
    }


def _lock(mirror: Path) -> AbstractContextManager[bool]:
    """The mirror's lock, waited for: one fetch into a mirror at a time."""
    return advisory_lock(MIRROR, zlib.crc32(mirror.name.encode()) & 0x7FFFFFFF)
