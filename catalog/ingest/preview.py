"""A dry run of a registration: what a target would produce, stored nowhere."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from catalog.ingest import git as gitio
from catalog.ingest.reader import ReadResult
from catalog.ingest.sync import read_tree
from catalog.models import Location
from catalog.urlpolicy import check_url


@dataclass(frozen=True, slots=True)
class Preview:
    branch: str
    commit: str
    read: ReadResult


def preview_target(url: str, branch: str, path: str) -> Preview:
    """Clone the target into a throwaway folder and read it as a crawl would.

    Raises UrlRefused or GitError (their messages are safe to show).
    """
    repo = check_url(url)
    with tempfile.TemporaryDirectory(prefix="greenroom-preview-") as work:
        bare, head = gitio.clone(
            Path(work) / "mirror.git",
            repo,
            branch,
            timeout=settings.GREENROOM_GIT_TIMEOUT,
            allow_local=settings.GREENROOM_ALLOW_LOCAL_REPOS,
        )
        try:
            tree = gitio.CommitTree(
                bare, head.commit, settings.GREENROOM_MAX_FILE_BYTES
            )
            read = read_tree(tree, Location(url=repo.url, branch=branch, path=path))
        finally:
            bare.close()
    return Preview(head.branch, head.commit, read)
