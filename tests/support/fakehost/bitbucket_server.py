"""Bitbucket Server / Data Center (/rest/api/1.0): REST routes and shapes.

Owners are project keys; git is served under /scm/<key>/<slug>.git.
"""

from __future__ import annotations

import math
import secrets
import time
from typing import Any

from tests.support.fakehost.credentials import basic_password, scheme
from tests.support.fakehost.host import FakeHost
from tests.support.fakehost.model import FakeRepo
from tests.support.fakehost.routes import Answer, Call, Kind, Router, as_json, as_text
from tests.support.fakehost.shapes import DROP, fill, item, shape

router = Router()


def _error(status: int, name: str, message: str | None = None) -> Answer:
    body = shape("bitbucket-server", name)
    if message:
        body["errors"][0]["message"] = message
    return as_json(status, body)


def _not_found(host: FakeHost) -> Answer:
    return _error(404, "error-not-found", "The requested resource does not exist.")


def repo_json(call: Call, repo: FakeRepo, template: dict[str, Any]) -> dict[str, Any]:
    host = call.host
    browse = f"{host.web_url}/projects/{repo.owner}/repos/{repo.name}/browse"
    return fill(
        template,
        {
            "slug": repo.name,
            "id": repo.id,
            "name": repo.name,
            "description": repo.description or DROP,
            "hierarchyId": f"{repo.id:020x}",
            "project": {
                "key": repo.owner,
                "id": host.account_id(repo.owner),
                "name": repo.owner,
                "description": DROP,
                "public": False,
                "links": {"self": [{"href": f"{host.web_url}/projects/{repo.owner}"}]},
            },
            "public": not repo.private,
            "archived": repo.archived,
            "links": {
                "clone": [
                    {
                        "href": f"ssh://git@127.0.0.1:7999/{repo.full_name.lower()}.git",
                        "name": "ssh",
                    },
                    {"href": host.clone_url(repo), "name": "http"},
                ],
                "self": [{"href": browse}],
            },
        },
    )


def _paged(call: Call, repos: list[FakeRepo], name: str) -> Answer:
    start = call.number("start", 0, 0)
    limit = call.number("limit", 25, 1, call.host.page_max)
    chunk = repos[start : start + limit]
    last = start + limit >= len(repos)
    template = item("bitbucket-server", name)
    return as_json(
        200,
        fill(
            shape("bitbucket-server", name),
            {
                "size": len(chunk),
                "limit": limit,
                "isLastPage": last,
                "start": start,
                "values": [repo_json(call, repo, template) for repo in chunk],
                "nextPageStart": DROP if last else start + len(chunk),
            },
        ),
    )


def _repo(call: Call) -> FakeRepo | None:
    repo = call.host.find(call.params["key"], call.params["slug"])
    return repo if repo and call.host.visible(repo, call.authed) else None


def _headers(host: FakeHost, authed: bool) -> dict[str, str]:
    """Every answer has a request id; an authenticated one names the user."""
    headers = {
        "X-AREQUESTID": f"@{secrets.token_hex(4).upper()}x{int(time.time()) % 1000}x0"
    }
    if authed:
        headers["X-AUSERNAME"] = host.login
    return headers


def _limited(host: FakeHost, until: float) -> Answer:
    status, headers, body = _error(429, "error-rate-limited")
    headers.update(
        {
            "Retry-After": str(max(1, math.ceil(until - time.time()))),
            "X-RateLimit-Limit": "60",
            "X-RateLimit-Interval-Seconds": "1",
            "X-RateLimit-FillRate": "5",
        }
    )
    return status, headers, body


@router.add("GET", "/projects/{key}/repos")
def project_repos(call: Call) -> Answer:
    key, host = call.params["key"], call.host
    if not host.owner_known(key):
        return _error(404, "error-not-found", f"Project {key} does not exist.")
    repos = [repo for repo in host.owned_by(key) if host.visible(repo, call.authed)]
    return _paged(call, repos, "project-repos")


@router.add("GET", "/repos")
def all_repos(call: Call) -> Answer:
    name = call.query.get("name", "").casefold()
    project = call.query.get("projectname", "").casefold()
    archived = call.query.get("archived", "ALL").upper()
    repos = [
        repo
        for repo in call.host.all_repos()
        if call.host.visible(repo, call.authed)
        and name in repo.name.casefold()
        and project in repo.owner.casefold()
        and (archived == "ALL" or repo.archived == (archived == "ARCHIVED"))
    ]
    return _paged(call, repos, "repos")


@router.add("GET", "/projects/{key}/repos/{slug}")
def get_repo(call: Call) -> Answer:
    repo = _repo(call)
    if repo is None:
        message = (
            f"Repository {call.params['key']}/{call.params['slug']} does not exist."
        )
        return _error(404, "error-not-found", message)
    return as_json(200, repo_json(call, repo, shape("bitbucket-server", "repo")))


@router.add("GET", "/projects/{key}/repos/{slug}/default-branch")
def default_branch(call: Call) -> Answer:
    repo = _repo(call)
    if repo is None:
        return _not_found(call.host)
    sha = call.host.branch_sha(repo, repo.default_branch)
    return as_json(
        200,
        fill(
            shape("bitbucket-server", "default-branch"),
            {
                "id": f"refs/heads/{repo.default_branch}",
                "displayId": repo.default_branch,
                "latestCommit": sha,
                "latestChangeset": sha,
            },
        ),
    )


@router.add("GET", "/projects/{key}/repos/{slug}/raw/{path+}")
def raw(call: Call) -> Answer:
    repo = _repo(call)
    if repo is None:
        return _not_found(call.host)
    at = call.query.get("at") or repo.default_branch
    path = call.params["path"]
    data = call.host.read(repo, at, path)
    if data is None:
        message = f'The path "{path}" does not exist at revision "{at}"'
        return _error(404, "error-not-found", message)
    return as_text(200, data)


KIND = Kind(
    name="bitbucket-server",
    api_prefix="/rest/api/1.0",
    router=router,
    token=lambda headers: scheme(headers, "bearer") or basic_password(headers),
    answer_headers=_headers,
    limited=_limited,
    not_found=_not_found,
    git_prefix="/scm",
)
