"""Where an entity's docs are: `backstage.io/techdocs-ref` read against the catalog.

`dir:<path>` is relative to the folder of the entity's descriptor file, in the same
repository and at the same commit, and may not leave the repository. `url:` names a
repository, or a folder in one as a git host shows it (`.../tree/main/docs`): the
entity's own repository is read at the crawled commit; another one is mirrored
for its docs (techdocs/mirrors.py), under the same URL policy as locations.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from catalog.hosts import same_repository
from catalog.models import Entity
from catalog.urlpolicy import split_host_file_url

ANNOTATION = "backstage.io/techdocs-ref"


class SourceError(ValueError):
    """The annotation cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class DocsSource:
    repository: str
    folder: str  # "" for the repository's root
    branch: str = ""  # of another repository; "" for its default branch
    external: bool = False  # not the entity's own repository


def annotation(entity: Entity) -> str:
    metadata = entity.processed.get("metadata") or {}
    value = (metadata.get("annotations") or {}).get(ANNOTATION)
    return value.strip() if isinstance(value, str) else ""


def docs_source(entity: Entity) -> DocsSource | None:
    """The docs folder of an entity, or None when it has no techdocs-ref."""
    value = annotation(entity)
    if not value:
        return None
    kind, _, target = value.partition(":")
    repository = entity.location.url
    if kind == "dir":
        return DocsSource(
            repository, _inside(posixpath.dirname(entity.path), target.strip())
        )
    if kind == "url":
        split = split_host_file_url(target.strip())
        folder = _inside("", split.path or "")
        if same_repository(split.repo_url, repository):
            return DocsSource(repository, folder)
        return DocsSource(split.repo_url, folder, split.branch or "", external=True)
    raise SourceError(f"{ANNOTATION} {value!r}: the type must be dir: or url:")


def _inside(base: str, path: str) -> str:
    if path.startswith(("/", "\\")) or "\\" in path or "\0" in path:
        raise SourceError(f"docs folder {path!r} is not a relative path")
    normal = posixpath.normpath(posixpath.join(base, path or "."))
    if normal == ".." or normal.startswith("../"):
        raise SourceError(f"docs folder {path!r} leaves the repository")
    return "" if normal == "." else normal
