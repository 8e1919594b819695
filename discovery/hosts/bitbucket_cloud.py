"""Bitbucket Cloud (REST API 2.0).

Scope: `<workspace>` (or `workspaces/<workspace>`). Pages follow the answer's
`next` address. Bitbucket Cloud has no archived flag and no topics.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import quote

from discovery import hostclient
from discovery.hosts.base import (
    Api,
    HostRepository,
    Identity,
    Page,
    flag,
    items,
    link,
    owners_from_codeowners,
    text,
    user_name,
    when,
)

PAGE_SIZE = 100  # Bitbucket Cloud's largest pagelen


def whoami(api: Api) -> Identity:
    return Identity(user_name(api.get(api.url("/user")), "username", "display_name"))


def first_page(api: Api, scope: str) -> str:
    workspace = scope.removeprefix("workspaces/").strip("/")
    if not workspace or "/" in workspace:
        raise hostclient.HostApiError("a Bitbucket Cloud scope is <workspace>")
    return api.url(f"/repositories/{quote(workspace, safe='')}", pagelen=PAGE_SIZE)


def page(api: Api, answer: hostclient.Answer) -> Page:
    found = [r for item in items(answer, "values") if (r := _repository(item))]
    body = answer.json()
    return Page(found, text(body.get("next")) if isinstance(body, dict) else "")


def _repository(item: dict[str, Any]) -> HostRepository | None:
    full_name = text(item.get("full_name"), 300)
    links = item.get("links") if isinstance(item.get("links"), dict) else {}
    clone = next(
        (
            text(link.get("href"))
            for link in links.get("clone", []) or []
            if isinstance(link, dict) and link.get("name") == "https"
        ),
        "",
    )
    html = links.get("html") if isinstance(links.get("html"), dict) else {}
    branch = item.get("mainbranch") if isinstance(item.get("mainbranch"), dict) else {}
    if not full_name or not clone or item.get("uuid") is None:
        return None
    return HostRepository(
        host_id=text(str(item["uuid"]), 100),
        full_name=full_name,
        clone_url=_without_user(clone),
        web_url=link(html.get("href")),
        default_branch=text(branch.get("name"), 250),
        fork=isinstance(item.get("parent"), dict),
        private=flag(item.get("is_private")),
        description=text(item.get("description")),
        pushed_at=when(item.get("updated_on")),
    )


def _without_user(url: str) -> str:
    # Bitbucket puts the caller's name in clone links (https://me@bitbucket.org/...).
    scheme, sep, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}{sep}{host.rpartition('@')[2]}{slash}{path}"


def read_file(api: Api, repo: HostRepository, path: str, ref: str) -> str | None:
    workspace, _, slug = repo.full_name.partition("/")
    route = (
        f"/repositories/{quote(workspace, safe='')}/{quote(slug, safe='')}/src/"
        f"{quote(ref or repo.default_branch or 'HEAD', safe='')}/{quote(path)}"
    )
    try:
        answer = api.get(api.url(route))
    except hostclient.NotFound:
        return None
    try:
        return answer.body.decode()
    except UnicodeDecodeError:
        return None


def repository(api: Api, full_name: str) -> HostRepository | None:
    """One repository by workspace/slug (None: the host does not have it)."""
    workspace, _, slug = full_name.partition("/")
    route = f"/repositories/{quote(workspace, safe='')}/{quote(slug, safe='')}"
    try:
        body = api.get(api.url(route)).json()
    except hostclient.NotFound:
        return None
    return _repository(body) if isinstance(body, dict) else None


CODEOWNERS = ("CODEOWNERS", ".bitbucket/CODEOWNERS", "docs/CODEOWNERS")


def owners(api: Api, repo: HostRepository) -> list[str]:
    """CODEOWNERS' default owners (Bitbucket keeps no team rights we can read
    with a repository token)."""
    read = partial(read_file, api, repo, ref=repo.default_branch)
    return owners_from_codeowners(read, CODEOWNERS)
