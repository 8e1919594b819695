"""GitLab (REST API v4), gitlab.com or self-managed.

Scopes: `groups/<full path>` (with its subgroups), `users/<user>`, or
`instance` (every project the credential can see: a whole self-managed GitLab
with an administrator's token). Pages follow the Link header (keyset or offset).
"""

from __future__ import annotations

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
    decoded,
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
    answer = api.get(api.url("/user"))
    name = user_name(answer, "username")
    remaining = answer.header_int("ratelimit-remaining")
    return Identity(name, remaining, answer.header_int("ratelimit-limit"))


def first_page(api: Api, scope: str) -> str:
    what, _, who = scope.partition("/")
    query: dict[str, Any] = {"per_page": PAGE_SIZE, "order_by": "id", "sort": "asc"}
    if what == "groups" and who:
        route = f"/groups/{quote(who, safe='')}/projects"
        query |= {"include_subgroups": "true", "with_shared": "false"}
    elif what == "users" and who and "/" not in who:
        route = f"/users/{quote(who, safe='')}/projects"
    elif what == "instance" and not who:
        route = "/projects"
    else:
        raise hostclient.HostApiError(
            "a GitLab scope is groups/<group path>, users/<user> or instance"
        )
    return api.url(route, **query)


def page(api: Api, answer: hostclient.Answer) -> Page:
    found = [r for item in items(answer) if (r := _repository(item))]
    return Page(found, hostclient.next_link(answer))


def _repository(item: dict[str, Any]) -> HostRepository | None:
    full_name = text(item.get("path_with_namespace"), 300)
    clone = text(item.get("http_url_to_repo"))
    if not full_name or not clone or item.get("id") is None:
        return None
    return HostRepository(
        host_id=text(str(item["id"]), 100),
        full_name=full_name,
        clone_url=clone,
        web_url=link(item.get("web_url")),
        default_branch=text(item.get("default_branch"), 250),
        archived=flag(item.get("archived")),
        fork=isinstance(item.get("forked_from_project"), dict),
        private=item.get("visibility") != "public",
        description=text(item.get("description")),
        topics=topics(item.get("topics") or item.get("tag_list")),
        pushed_at=when(item.get("last_activity_at")),
    )


def read_file(api: Api, repo: HostRepository, path: str, ref: str) -> str | None:
    route = (
        f"/projects/{quote(repo.host_id, safe='')}/repository/files/"
        f"{quote(path, safe='')}"
    )
    body = fetch_object(api, api.url(route, ref=ref or repo.default_branch or "HEAD"))
    return decoded(body) if body is not None else None


def repository(api: Api, full_name: str) -> HostRepository | None:
    """One project by its full path (None: the host does not have it)."""
    body = fetch_object(api, api.url(f"/projects/{quote(full_name, safe='')}"))
    return _repository(body) if body is not None else None


CODEOWNERS = ("CODEOWNERS", ".gitlab/CODEOWNERS", "docs/CODEOWNERS")
MAINTAINER = 40  # GitLab's access level of Maintainer; Owner is 50


def owners(api: Api, repo: HostRepository) -> list[str]:
    """CODEOWNERS' default owners, else the project's maintainers and owners."""
    read = partial(read_file, api, repo, ref=repo.default_branch)
    if found := owners_from_codeowners(read, CODEOWNERS):
        return found
    route = f"/projects/{quote(repo.host_id, safe='')}/members/all"
    try:
        members = api.get(api.url(route, per_page=100)).json()
    except hostclient.NotFound:
        return []
    return [
        f"@{text(member.get('username'), 100)}"
        for member in (members if isinstance(members, list) else [])[:100]
        if isinstance(member, dict)
        and isinstance(member.get("access_level"), int)
        and member["access_level"] >= MAINTAINER
        and text(member.get("username"), 100)
    ][:MAX_OWNERS]


def open_request(
    api: Api, repo: HostRepository, branch: str, path: str, content: str,
    title: str, body: str,
) -> tuple[int, str]:  # fmt: skip
    """A branch, the file on it, and a merge request."""
    route = f"/projects/{quote(repo.host_id, safe='')}"
    api.send_json("POST", f"{route}/repository/branches",
          {"branch": branch, "ref": repo.default_branch})  # fmt: skip
    api.send_json("POST", f"{route}/repository/files/{quote(path, safe='')}",
          {"branch": branch, "content": content, "commit_message": title})  # fmt: skip
    answer = api.send_json("POST", f"{route}/merge_requests", {
        "source_branch": branch, "target_branch": repo.default_branch,
        "title": title, "description": body,
    })  # fmt: skip
    number = answer.get("iid")
    if not isinstance(number, int) or isinstance(number, bool):
        raise hostclient.HostApiError("the host answered without a merge request iid")
    return number, link(answer.get("web_url"))


def request_state(api: Api, repo: HostRepository, number: int) -> str:
    route = f"/projects/{quote(repo.host_id, safe='')}/merge_requests/{number}"
    answer = api.get(api.url(route)).json()
    state = answer.get("state") if isinstance(answer, dict) else ""
    return {"merged": "merged", "closed": "closed"}.get(str(state), "open")
