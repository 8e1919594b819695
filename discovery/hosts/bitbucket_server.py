"""Bitbucket Data Center (REST API 1.0).

Scopes: `projects/<KEY>`, or `instance` (every repository the credential can
see). Pages follow `nextPageStart` until `isLastPage`. The user a token stands
for is the `X-AUSERNAME` header of any answer.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from discovery import hostclient
from discovery.hosts.base import (
    PAGE_SIZE,
    Api,
    HostRepository,
    Identity,
    Page,
    flag,
    items,
    link,
    owners_from_codeowners,
    text,
)


def whoami(api: Api) -> Identity:
    answer = api.get(api.url("/projects", limit=1))
    name = answer.headers.get("x-ausername", "").strip()[:200]
    if not name:
        raise hostclient.HostApiError(
            "the host answered as to an anonymous user: the token was not accepted"
        )
    return Identity(name)


def first_page(api: Api, scope: str) -> str:
    what, _, key = scope.partition("/")
    if what == "projects" and key and "/" not in key:
        return api.url(
            f"/projects/{quote(key, safe='')}/repos", start=0, limit=PAGE_SIZE
        )
    if what == "instance" and not key:
        return api.url("/repos", start=0, limit=PAGE_SIZE)
    raise hostclient.HostApiError(
        "a Bitbucket Data Center scope is projects/<KEY> or instance"
    )


def page(api: Api, answer: hostclient.Answer) -> Page:
    found = [r for item in items(answer, "values") if (r := _repository(api, item))]
    body = answer.json()
    following = body.get("nextPageStart")
    if body.get("isLastPage") is not False or not _is_int(following):
        return Page(found, "")
    return Page(found, _with_start(answer.url, following))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _with_start(url: str, start: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "start"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("start", start)])))


def _repository(api: Api, item: dict[str, Any]) -> HostRepository | None:
    project = item.get("project") if isinstance(item.get("project"), dict) else {}
    key, slug = text(project.get("key"), 100), text(item.get("slug"), 200)
    links = item.get("links") if isinstance(item.get("links"), dict) else {}
    clone = next(
        (
            text(link.get("href"))
            for link in links.get("clone", []) or []
            if isinstance(link, dict) and link.get("name") in ("http", "https")
        ),
        "",
    )
    web = next(
        (text(link.get("href")) for link in links.get("self", []) or []
         if isinstance(link, dict)),
        "",
    )  # fmt: skip
    if not key or not slug or not clone or item.get("id") is None:
        return None
    return HostRepository(
        host_id=text(str(item["id"]), 100),
        full_name=f"{key}/{slug}",
        clone_url=_without_user(clone),
        web_url=link(web),
        default_branch=_default_branch(api, key, slug),
        archived=flag(item.get("archived")),
        fork=isinstance(item.get("origin"), dict),
        private=not flag(item.get("public")),
        description=text(item.get("description")),
    )


def _default_branch(api: Api, key: str, slug: str) -> str:
    route = f"{_repo_route(key, slug)}/default-branch"
    try:
        body = api.get(api.url(route)).json()
    except hostclient.NotFound:  # an empty repository has none
        return ""
    return text(body.get("displayId"), 250) if isinstance(body, dict) else ""


def _without_user(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}{sep}{host.rpartition('@')[2]}{slash}{path}"


def read_file(api: Api, repo: HostRepository, path: str, ref: str) -> str | None:
    key, _, slug = repo.full_name.partition("/")
    route = f"{_repo_route(key, slug)}/raw/{quote(path)}"
    try:
        answer = api.get(api.url(route, at=ref or None))
    except hostclient.NotFound:
        return None
    try:
        return answer.body.decode()
    except UnicodeDecodeError:
        return None


def _repo_route(key: str, slug: str) -> str:
    return f"/projects/{quote(key, safe='')}/repos/{quote(slug, safe='')}"


def repository(api: Api, full_name: str) -> HostRepository | None:
    """One repository by KEY/slug (None: the host does not have it)."""
    key, _, slug = full_name.partition("/")
    try:
        body = api.get(api.url(_repo_route(key, slug))).json()
    except hostclient.NotFound:
        return None
    return _repository(api, body) if isinstance(body, dict) else None


CODEOWNERS = ("CODEOWNERS", ".bitbucket/CODEOWNERS", "docs/CODEOWNERS")


def owners(api: Api, repo: HostRepository) -> list[str]:
    """CODEOWNERS' default owners (Bitbucket keeps no team rights we can read
    with a repository token)."""
    read = partial(read_file, api, repo, ref=repo.default_branch)
    return owners_from_codeowners(read, CODEOWNERS)
