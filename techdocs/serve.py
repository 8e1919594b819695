"""Reading a published site back from storage: pages, navigation, files.

Addresses mirror MkDocs' own (`guide/` for guide.md), so the relative links and
images inside pages resolve under `/docs/<namespace>/<kind>/<name>/`. Only the
cleaned page fragments are ever shown as HTML. Other files are on the portal's
origin, so a browser must never run them: images keep their type (an SVG opened
by itself is sandboxed by the view's CSP), everything else (scripts, styles,
HTML-like XML, anything unknown) is `application/octet-stream`, a download, which
with `nosniff` no `<script>` or `<link>` will use.
"""

from __future__ import annotations

import json
import mimetypes
import posixpath
from dataclasses import dataclass
from typing import Any

from catalog.refs_display import safe_url
from techdocs.models import DocsBuild, DocsSite
from techdocs.sites import METADATA, storage

IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}
DOWNLOAD = "application/octet-stream"


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


def nav_links(items: list[dict[str, Any]], base: str, url: str) -> list[dict[str, Any]]:
    """The site's navigation with the address each entry links to, or none.

    Pages link inside the site. Links the config wrote are the repository's
    text: they pass the catalog's check for entity links (http, https, mailto),
    or the entry shows as plain text.
    """
    links = []
    for item in items:
        entry: dict[str, Any] = {"title": item.get("title") or ""}
        if "url" in item:
            entry["href"] = f"{base}{item['url']}"
            entry["current"] = item["url"] == url
        elif item.get("link"):
            entry["href"] = safe_url(item["link"])
            entry["external"] = True
        entry["children"] = nav_links(item.get("children") or [], base, url)
        links.append(entry)
    return links


def toc_links(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A page's contents: each heading as a same-page link (`#id`)."""
    return [
        {
            "title": item.get("title") or "",
            "href": f"#{item.get('id') or ''}",  # only ever this page
            "children": toc_links(item.get("children") or []),
        }
        for item in items
    ]


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
    return File(data, *content_type(path))


def content_type(path: str) -> tuple[str, bool]:
    """(Content-Type, shown inline) for a file of a site: only images display."""
    if path == METADATA:
        return "application/json", True  # Backstage's techdocs_metadata.json
    guessed = mimetypes.guess_type(path)[0]
    if guessed is not None and guessed in IMAGES:
        return guessed, True
    return DOWNLOAD, False


def current_site(namespace: str, kind: str, name: str) -> DocsSite | None:
    return (
        DocsSite.objects.select_related("current")
        .filter(namespace=namespace.lower(), kind=kind.lower(), name=name.lower())
        .first()
    )
