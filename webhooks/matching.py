"""Which of our locations a push is about, and whether it can change anything.

A repository has many URLs (https, ssh, scp-like `git@host:path`, with or without
`.git`, any case of host, Bitbucket's `/scm/` clone path): all reduce to one key,
`host/path` in lower case, ports and users left out. The payload's URLs are only
compared with keys; what is fetched is always the location's own URL.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from catalog.hosts import repository_key
from catalog.ingest.reader import compile_glob, is_glob
from catalog.locations import locations_of
from catalog.models import Location

CATALOG_SUFFIXES = (".yaml", ".yml", ".json")  # new descriptors, targets, placeholders


def owner_key(url: str) -> str:
    """The key prefix of a host organisation (`github.com/acme/`)."""
    key = repository_key(url)
    return f"{key}/" if key else ""


def locations_for(
    urls: Iterable[str], *, location: Location | None = None, owner_url: str = ""
) -> list[Location]:
    """Our locations of the repository the payload names, within the webhook's
    scope: its one location, or the locations under its organisation."""
    urls = list(urls)
    keys = {key for key in map(repository_key, urls) if key}
    if not keys:
        return []
    if location is not None:
        return [location] if repository_key(location.url) in keys else []
    prefix = owner_key(owner_url)
    if not prefix or not any(key.startswith(prefix) for key in keys):
        return []
    return [c for c in locations_of(urls) if repository_key(c.url).startswith(prefix)]


def may_change(
    paths: Iterable[str], location: Location, docs_folders: Iterable[str]
) -> bool:
    """Could a commit changing `paths` change this location's catalog or docs?

    Yes when it touches a file the last crawl read, the location's own target
    (or its glob), any YAML or JSON file (a new descriptor or target), or a docs
    folder's config or pages. With no record of what was read, always yes.
    """
    read = set(location.input_paths or ())
    if not read:
        return True
    root = compile_glob(location.path) if is_glob(location.path) else None
    folders = [f.strip("/") for f in docs_folders]
    for path in paths:
        if path in read or path == location.path or path.endswith(CATALOG_SUFFIXES):
            return True
        if root is not None and root.match(path):
            return True
        for folder in folders:
            base = f"{folder}/" if folder else ""
            if path.startswith(f"{base}docs/") or path in (
                f"{base}mkdocs.yml",
                f"{base}mkdocs.yaml",
            ):
                return True
            if folder and posixpath.commonpath([folder, path]) == folder:
                return True
    return False
