"""GitHub and GitHub Enterprise Server (REST API, version 2022-11-28).

Scopes: `orgs/<org>`, `users/<user>`, or `installation` (every repository a
GitHub App's installation can read). Pages follow the Link header.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import quote

from discovery import hostclient
from discovery.hosts.base import (
    MAX_OWNERS,
    PAGE_SIZE,
    Api,
    HostRepository,
    Identity,
    Page,
    contents_file,
    fetch_object,
    flag,
    items,
    link,
    owners_from_codeowners,
    text,
    topics,
    user_name,
    when,
)


def whoami(api: Api) -> Identity:
    if api.connection.is_github_app:
        # An installation token has no user: the installation's repositories
        # answer for it (one page of one), and the rate limit with them.
        answer = api.get(api.url("/installation/repositories", per_page=1))
        body = answer.json()
        count = body.get("total_count") if isinstance(body, dict) else None
        name = (
            f"GitHub App {api.connection.app_id}, installation "
            f"{api.connection.installation_id} ({count} repositories)"
        )
    else:
        answer = api.get(api.url("/user"))
        name = user_name(answer, "login")
    return Identity(
        name,
        answer.header_int("x-ratelimit-remaining"),
        answer.header_int("x-ratelimit-limit"),
    )


def first_page(api: Api, scope: str) -> str:
    what, _, who = scope.partition("/")
    if what == "installation" and not who:
        return api.url("/installation/repositories", per_page=PAGE_SIZE)
    if what in ("orgs", "users") and who and "/" not in who:
        route = f"/{what}/{quote(who, safe='')}/repos"
        return api.url(route, type="all", per_page=PAGE_SIZE)
    raise hostclient.HostApiError(
        "a GitHub scope is orgs/<organisation>, users/<user> or installation"
    )


def page(api: Api, answer: hostclient.Answer) -> Page:
    body = answer.json()
    key = "repositories" if isinstance(body, dict) else None
    found = [r for item in items(answer, key) if (r := parse_repository(item))]
    return Page(found, hostclient.next_link(answer))


def parse_repository(
    item: dict[str, Any], pushed: str = "pushed_at"
) -> HostRepository | None:
    """A repository in GitHub's shape (Gitea's is the same, its push time aside)."""
    full_name, clone = text(item.get("full_name"), 300), text(item.get("clone_url"))
    if not full_name or not clone or item.get("id") is None:
        return None
    return HostRepository(
        host_id=text(str(item["id"]), 100),
        full_name=full_name,
        clone_url=clone,
        web_url=link(item.get("html_url")),
        default_branch=text(item.get("default_branch"), 250),
        archived=flag(item.get("archived")) or flag(item.get("disabled")),
        fork=flag(item.get("fork")),
        private=flag(item.get("private")),
        description=text(item.get("description")),
        topics=topics(item.get("topics")),
        pushed_at=when(item.get(pushed)),
    )


def read_file(api: Api, repo: HostRepository, path: str, ref: str) -> str | None:
    return contents_file(api, f"/repos/{_repo_path(repo)}/contents/{quote(path)}", ref)


def _repo_path(repo: HostRepository) -> str:
    return "/".join(quote(part, safe="") for part in repo.full_name.split("/", 1))


def repository(
    api: Api,
    full_name: str,
    parse: Callable[..., HostRepository | None] = parse_repository,
) -> HostRepository | None:
    """One repository by its owner/name (None: the host does not have it)."""
    owner, _, name = full_name.partition("/")
    body = fetch_object(
        api, api.url(f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}")
    )
    return parse(body) if body is not None else None


CODEOWNERS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
OWNING_PERMISSIONS = ("admin", "maintain")


def owners(api: Api, repo: HostRepository) -> list[str]:
    """CODEOWNERS' default owners, else the teams with admin or maintain rights."""
    read = partial(read_file, api, repo, ref=repo.default_branch)
    if found := owners_from_codeowners(read, CODEOWNERS):
        return found
    try:
        teams = api.get(api.url(f"/repos/{_repo_path(repo)}/teams")).json()
    except hostclient.NotFound:
        return []
    owner = repo.full_name.partition("/")[0]
    return [
        f"@{owner}/{text(team.get('slug'), 100)}"
        for team in (teams if isinstance(teams, list) else [])[:100]
        if isinstance(team, dict)
        and team.get("permission") in OWNING_PERMISSIONS
        and text(team.get("slug"), 100)
    ][:MAX_OWNERS]


def open_request(
    api: Api, repo: HostRepository, branch: str, path: str, content: str,
    title: str, body: str,
) -> tuple[int, str]:  # fmt: skip
    """A branch from the default one, the file on it, and a pull request."""
    route = f"/repos/{_repo_path(repo)}"
    head = api.get(api.url(f"{route}/git/ref/heads/{quote(repo.default_branch)}"))
    sha = _field(head.json(), "object", "sha")
    api.send_json(
        "POST", f"{route}/git/refs", {"ref": f"refs/heads/{branch}", "sha": sha}
    )
    encoded = base64.b64encode(content.encode()).decode()
    message = {"message": title, "content": encoded, "branch": branch}
    api.send_json("PUT", f"{route}/contents/{quote(path)}", message)
    pull = {"title": title, "head": branch, "base": repo.default_branch, "body": body}
    answer = api.send_json("POST", f"{route}/pulls", pull)
    number = answer.get("number")
    if not isinstance(number, int) or isinstance(number, bool):
        raise hostclient.HostApiError("the host answered without a pull request number")
    return number, link(answer.get("html_url"))


def request_state(api: Api, repo: HostRepository, number: int) -> str:
    answer = api.get(api.url(f"/repos/{_repo_path(repo)}/pulls/{number}")).json()
    if not isinstance(answer, dict):
        return "open"
    if answer.get("merged") is True or answer.get("merged_at"):
        return "merged"
    return "closed" if answer.get("state") == "closed" else "open"


def _field(body: Any, *keys: str) -> str:
    for key in keys:
        body = body.get(key) if isinstance(body, dict) else None
    if not isinstance(body, str) or not body:
        raise hostclient.HostApiError("the host's answer lacks " + ".".join(keys))
    return body
