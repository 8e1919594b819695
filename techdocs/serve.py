"""Reading a published site back from storage: pages, navigation, files.

Addresses mirror MkDocs' own (`guide/` for guide.md), so the relative links and
images inside pages resolve under `/docs/<namespace>/<kind>/<name>/`. Only the
cleaned page fragments are ever shown as HTML; other files are images (served
as such, under a CSP that forbids everything else) or downloads.
"""

from __future__ import annotations

import json
import mimetypes
import posixpath
from dataclasses import dataclass
from typing import Any

from techdocs.models import DocsBuild, DocsSite
from techdocs.sites import METADATA, storage

IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}


class NotInSite(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class File:
    data: bytes
    content_type: str
    inline: bool


def clean_path(path: str) -> str:
    """A path inside the site (`guide/`, `img/a.png`), or NotInSite."""
    if "\\" in path or "\0" in path:
        raise NotInSite(path)
    normal = posixpath.normpath("/" + path).lstrip("/")
    if path.endswith("/") and normal:
        normal += "/"
    if normal.startswith(".."):
        raise NotInSite(path)
    return normal


def navigation(build: DocsBuild) -> dict[str, Any]:
    with storage().open(f"{build.prefix}/techdocs_nav.json") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def page_html(build: DocsBuild, url: str) -> str | None:
    name = f"{build.prefix}/{url}index.html"
    store = storage()
    if not store.exists(name):
        return None
    with store.open(name) as handle:
        text: str = handle.read().decode()
    return text


def site_file(build: DocsBuild, path: str) -> File | None:
    if path.endswith((".html", ".htm")) or path == "techdocs_nav.json":
        return None
    name = f"{build.prefix}/{path}"
    store = storage()
    if not store.exists(name):
        return None
    try:
        with store.open(name) as handle:
            data = handle.read()
    except OSError:  # a folder of the site, not a file
        return None
    if path == METADATA:
        return File(data, "application/json", True)
    guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return File(data, guessed, guessed in IMAGES)


def current_site(namespace: str, kind: str, name: str) -> DocsSite | None:
    return (
        DocsSite.objects.select_related("current")
        .filter(namespace=namespace.lower(), kind=kind.lower(), name=name.lower())
        .first()
    )
