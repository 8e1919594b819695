"""A dry run of a registration: what a target would produce, stored nowhere."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from catalog.descriptor.refs import RefError
from catalog.ingest import git as gitio
from catalog.ingest.reader import ReadResult
from catalog.ingest.sync import read_tree
from catalog.models import Entity, Location
from catalog.urlpolicy import UrlRefused, check_url


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


@dataclass(frozen=True, slots=True)
class DryRun:
    """What registering (url, branch, path) would do, for the register page and
    `POST /locations?dryRun=true`."""

    existing: Location | None  # this very registration, when it exists
    preview: Preview | None  # None when the target could not be read
    failure: str | None  # why not (safe to show)
    elsewhere: dict[str, str]  # ref -> URL of the location that already holds it


def dry_run(url: str, branch: str, path: str) -> DryRun:
    existing = Location.objects.filter(url=url, branch=branch, path=path).first()
    try:
        preview = preview_target(url, branch, path)
    except (UrlRefused, gitio.GitError, RefError) as exc:
        return DryRun(existing, None, str(exc), {})
    refs = [entity.ref for entity in preview.read.entities]
    elsewhere = dict(
        Entity.objects.filter(ref__in=refs)
        .exclude(location=existing)
        .values_list("ref", "location__url")
    )
    return DryRun(existing, preview, None, elsewhere)
