"""Gitea and Forgejo (REST API v1).

Scopes: `orgs/<org>`, `users/<user>`, or `instance` (repos/search: every
repository the credential can see). Pages follow the Link header.
"""

from __future__ import annotations

import base64
from functools import partial
from urllib.parse import quote

from discovery import hostclient
from discovery.hosts import github
from discovery.hosts.base import (
    MAX_OWNERS,
    PAGE_SIZE,
    Api,
    HostRepository,
    Identity,
    Page,
    items,
    link,
    owners_from_codeowners,
    text,
    user_name,
)


def whoami(api: Api) -> Identity:
    return Identity(user_name(api.get(api.url("/user")), "login"))


def first_page(api: Api, scope: str) -> str:
    what, _, who = scope.partition("/")
    if what in ("orgs", "users") and who and "/" not in who:
        return api.url(f"/{what}/{quote(who, safe='')}/repos", limit=PAGE_SIZE, page=1)
    if what == "instance" and not who:
        return api.url("/repos/search", limit=PAGE_SIZE, page=1)
    raise hostclient.HostApiError(
        "a Gitea scope is orgs/<organisation>, users/<user> or instance"
    )


def page(api: Api, answer: hostclient.Answer) -> Page:
    body = answer.json()
    key = "data" if isinstance(body, dict) else None  # repos/search wraps its list
    found = [r for item in items(answer, key) if (r := _repository(item))]
    return Page(found, hostclient.next_link(answer))


# Gitea's API is GitHub's in these routes: the same paths and answer shapes, but
# for the push time, which Gitea calls `updated_at`.
_repository = partial(github.parse_repository, pushed="updated_at")
read_file = github.read_file
request_state = github.request_state


def repository(api: Api, full_name: str) -> HostRepository | None:
    """One repository by its owner/name (None: the host does not have it)."""
    return github.repository(api, full_name, parse=_repository)


def _repo_route(full_name: str) -> str:
    owner, _, name = full_name.partition("/")
    return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"


CODEOWNERS = (".gitea/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
OWNING_PERMISSIONS = ("admin", "owner")


def owners(api: Api, repo: HostRepository) -> list[str]:
    """CODEOWNERS' default owners, else the teams with admin rights."""
    read = partial(read_file, api, repo, ref=repo.default_branch)
    if found := owners_from_codeowners(read, CODEOWNERS):
        return found
    owner = repo.full_name.partition("/")[0]
    try:
        teams = api.get(api.url(f"{_repo_route(repo.full_name)}/teams")).json()
    except hostclient.NotFound:
        return []
    return [
        f"@{owner}/{text(team.get('name'), 100)}"
        for team in (teams if isinstance(teams, list) else [])[:100]
        if isinstance(team, dict)
        and team.get("permission") in OWNING_PERMISSIONS
        and text(team.get("name"), 100)
    ][:MAX_OWNERS]


def open_request(
    api: Api, repo: HostRepository, branch: str, path: str, content: str,
    title: str, body: str,
) -> tuple[int, str]:  # fmt: skip
    """The file on a new branch (one call), then a pull request."""
    route = _repo_route(repo.full_name)
    encoded = base64.b64encode(content.encode()).decode()
    api.send_json("POST", f"{route}/contents/{quote(path)}", {
        "content": encoded, "message": title, "branch": repo.default_branch,
        "new_branch": branch,
    })  # fmt: skip
    pull = {"title": title, "head": branch, "base": repo.default_branch, "body": body}
    answer = api.send_json("POST", f"{route}/pulls", pull)
    number = answer.get("number")
    if not isinstance(number, int) or isinstance(number, bool):
        raise hostclient.HostApiError("the host answered without a pull request number")
    return number, link(answer.get("html_url"))
