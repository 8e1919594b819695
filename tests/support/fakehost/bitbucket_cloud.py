"""Bitbucket Cloud (/2.0): REST routes and shapes. Owners are workspaces."""

from __future__ import annotations

import math
import time
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from tests.support.fakehost import paging
from tests.support.fakehost.credentials import basic_password, scheme
from tests.support.fakehost.host import FakeHost
from tests.support.fakehost.model import FakePull, FakeRepo
from tests.support.fakehost.routes import Answer, Call, Kind, Router, as_json, as_text
from tests.support.fakehost.shapes import DROP, fill, retarget, shape

router = Router()
SAMPLE = "atlassian_tutorial/helloworld"
RESERVED = {"message", "author", "parents", "branch", "files"}  # POST /src form fields


def _when(moment: datetime | None) -> str | None:
    return f"{moment:%Y-%m-%dT%H:%M:%S}.000000+00:00" if moment else None


def _uuid(kind: str, key: object) -> str:
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"fakehost:{kind}:{key}")) + "}"


def _hosts(host: FakeHost, repo: FakeRepo | None = None) -> list[tuple[str, str]]:
    pairs = [
        ("https://api.bitbucket.org/2.0", host.api_url),
        ("https://bitbucket.org", host.web_url),
        ("https://bytebucket.org", host.web_url),
        ("git@bitbucket.org:", "git@127.0.0.1:"),
    ]
    return [*pairs, (SAMPLE, repo.full_name)] if repo else pairs


def _error(status: int, name: str, message: str | None = None) -> Answer:
    body = shape("bitbucket-cloud", name)
    if message:
        body["error"]["message"] = message
    return as_json(status, body)


def _not_found(host: FakeHost) -> Answer:
    return _error(404, "error-not-found", "Resource not found")


def _workspace(host: FakeHost, template: dict[str, Any], slug: str) -> dict[str, Any]:
    data = retarget(template, [*_hosts(host), ("atlassian_tutorial", slug)])
    return fill(
        data, {"uuid": _uuid("workspace", slug.casefold()), "name": slug, "slug": slug}
    )


def repo_json(call: Call, repo: FakeRepo, template: dict[str, Any]) -> dict[str, Any]:
    host = call.host
    data = retarget(template, _hosts(host, repo))
    owner = retarget(
        template["owner"], [*_hosts(host), ("atlassian_tutorial", repo.owner)]
    )
    clone = [
        {"name": "https", "href": host.clone_url(repo)},
        {"name": "ssh", "href": f"git@127.0.0.1:{repo.full_name}.git"},
    ]
    return fill(
        data,
        {
            "full_name": repo.full_name,
            "name": repo.name,
            "slug": repo.name,
            "description": repo.description,
            "is_private": repo.private,
            "uuid": _uuid("repository", repo.id),
            "created_on": _when(repo.created_at),
            "updated_on": _when(repo.pushed_at),
            "mainbranch": {"name": repo.default_branch},
            "owner": fill(
                owner,
                {
                    "display_name": repo.owner,
                    "username": repo.owner,
                    "uuid": _uuid("workspace", repo.owner.casefold()),
                },
            ),
            "workspace": _workspace(host, template["workspace"], repo.owner),
            "links": {"clone": clone},
        },
    )


def _repo(call: Call) -> FakeRepo | None:
    repo = call.host.find(call.params["workspace"], call.params["slug"])
    return repo if repo and call.host.visible(repo, call.authed) else None


# -- identity and limits ------------------------------------------------------


@router.add("GET", "/user")
def user(call: Call) -> Answer:
    if not call.authed:
        return _error(401, "error-unauthorized")
    return as_json(200, _bot(call.host))


def _bot(host: FakeHost) -> dict[str, Any]:
    data = retarget(
        shape("bitbucket-cloud", "user"), [*_hosts(host), ("tutorial-bot", host.login)]
    )
    return fill(
        data,
        {
            "display_name": host.login.replace("-", " ").title(),
            "username": host.login,
            "nickname": host.login,
            "uuid": _uuid("user", host.login),
        },
    )


def _rate_headers(host: FakeHost, authed: bool) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "1000",
        "X-RateLimit-Resource": "api/repositories",
        "X-RateLimit-NearLimit": "false",
    }


def _limited(host: FakeHost, until: float) -> Answer:
    status, headers, body = _error(429, "error-rate-limited")
    headers["Retry-After"] = str(max(1, math.ceil(until - time.time())))
    return status, headers, body


# -- repositories -------------------------------------------------------------


@router.add("GET", "/repositories/{workspace}")
def workspace_repositories(call: Call) -> Answer:
    workspace, host = call.params["workspace"], call.host
    if not host.owner_known(workspace):
        return _error(
            404, "error-not-found", f"No workspace with identifier '{workspace}'."
        )
    repos = [
        repo for repo in host.owned_by(workspace) if host.visible(repo, call.authed)
    ]
    size = call.number("pagelen", 10, 1, host.page_max)
    page = call.number("page", 1)
    last = paging.pages(len(repos), size)
    recorded = shape("bitbucket-cloud", "workspace-repositories")
    template = recorded["values"][0]
    base = host.api_url + call.path

    def url(number: int) -> str:
        return f"{base}?{urlencode({**call.query, 'page': str(number)})}"

    return as_json(
        200,
        fill(
            recorded,
            {
                "pagelen": size,
                "size": len(repos),
                "page": page,
                "values": [
                    repo_json(call, repo, template)
                    for repo in paging.window(repos, page, size)
                ],
                "next": url(page + 1) if page < last else DROP,
                "previous": url(page - 1) if page > 1 else DROP,
            },
        ),
    )


@router.add("GET", "/repositories/{workspace}/{slug}")
def get_repository(call: Call) -> Answer:
    repo = _repo(call)
    if repo is None:
        return _not_found(call.host)
    return as_json(200, repo_json(call, repo, shape("bitbucket-cloud", "repository")))


@router.add("GET", "/repositories/{workspace}/{slug}/src/{ref}/{path+}")
def get_source(call: Call) -> Answer:
    repo = _repo(call)
    if repo is None:
        return _not_found(call.host)
    path = call.params["path"]
    data = call.host.read(repo, call.params["ref"], path)
    if data is None:
        return _error(404, "error-not-found", f"No such file or directory: {path}")
    return as_text(200, data)


@router.add("POST", "/repositories/{workspace}/{slug}/src")
def post_source(call: Call) -> Answer:
    if not call.authed:
        return _error(401, "error-unauthorized")
    repo = _repo(call)
    if repo is None:
        return _not_found(call.host)
    form, host = call.form(), call.host
    branch = form.get("branch") or repo.default_branch
    changes: dict[str, str | None] = {
        key.lstrip("/"): value for key, value in form.items() if key not in RESERVED
    }
    for path in form.get("files", "").split(","):
        if path.strip() and path.strip().lstrip("/") not in changes:
            changes[path.strip().lstrip("/")] = None
    start = None
    if host.branch_sha(repo, branch) is None:
        start = host.branch_sha(repo, form.get("parents") or repo.default_branch)
        if start is None:
            return _error(400, "error-bad-request", "parents: no such commit")
    sha = host.commit(
        repo, branch, changes, form.get("message") or "Edited online", start=start
    )
    location = f"{host.api_url}/repositories/{repo.full_name}/commit/{sha}"
    return 201, {"Location": location, "Content-Type": "text/plain"}, b""


# -- pull requests ------------------------------------------------------------


def pull_json(call: Call, pull: FakePull, name: str) -> dict[str, Any]:
    host, repo = call.host, pull.repo
    template = shape("bitbucket-cloud", name)
    data = retarget(
        template,
        [
            *_hosts(host, repo),
            ("/pullrequests/1", f"/pullrequests/{pull.number}"),
            ("/pull-requests/1", f"/pull-requests/{pull.number}"),
        ],
    )
    bot = {key: value for key, value in _bot(host).items() if key in template["author"]}
    head = host.branch_sha(repo, pull.source_branch) if pull.state == "open" else None
    base = host.branch_sha(repo, pull.target_branch)

    def end(side: str, branch: str, sha: str | None) -> dict[str, Any]:
        return {
            "branch": {"name": branch},
            "commit": {"hash": (sha or "")[:12]},
            "repository": {
                "full_name": repo.full_name,
                "name": repo.name,
                "uuid": _uuid("repository", repo.id),
            },
        }

    rendered = {
        "type": "rendered",
        "raw": pull.body,
        "markup": "markdown",
        "html": f"<p>{pull.body}</p>" if pull.body else "",
    }
    return fill(
        data,
        {
            "id": pull.number,
            "title": pull.title,
            "description": pull.body,
            "rendered": {
                "title": {"raw": pull.title, "html": f"<p>{pull.title}</p>"},
                "description": rendered,
            },
            "summary": rendered,
            "state": {"open": "OPEN", "merged": "MERGED", "closed": "DECLINED"}[
                pull.state
            ],
            "merge_commit": {"hash": pull.merge_sha[:12]} if pull.merge_sha else None,
            "closed_by": bot if pull.state != "open" else None,
            "author": bot,
            "created_on": _when(pull.created_at),
            "updated_on": _when(pull.updated_at),
            "source": end("source", pull.source_branch, head or pull.head_sha),
            "destination": end("destination", pull.target_branch, base),
        },
    )


@router.add("POST", "/repositories/{workspace}/{slug}/pullrequests")
def create_pull(call: Call) -> Answer:
    if not call.authed:
        return _error(401, "error-unauthorized")
    repo = _repo(call)
    if repo is None:
        return _not_found(call.host)
    body, host = call.json(), call.host

    def branch(side: str) -> str:
        value = body.get(side)
        name = value.get("branch", {}).get("name") if isinstance(value, dict) else None
        return str(name or "")

    source = branch("source")
    target = branch("destination") or repo.default_branch
    if not body.get("title"):
        return _error(400, "error-bad-request", "title: This field is required.")
    for side, name in (("source", source), ("destination", target)):
        if host.branch_sha(repo, name) is None:
            return _error(400, "error-bad-request", f"{side}: Branch not found: {name}")
    pull = host.open_pull(
        repo, source, target, str(body["title"]), str(body.get("description", ""))
    )
    return as_json(201, pull_json(call, pull, "create-pullrequest"))


@router.add("GET", "/repositories/{workspace}/{slug}/pullrequests/{number}")
def get_pull(call: Call) -> Answer:
    repo = _repo(call)
    number = call.params["number"]
    pull = call.host.find_pull(repo, int(number)) if repo and number.isdigit() else None
    return (
        as_json(200, pull_json(call, pull, "pullrequest"))
        if pull
        else _not_found(call.host)
    )


KIND = Kind(
    name="bitbucket-cloud",
    api_prefix="/2.0",
    router=router,
    token=lambda headers: scheme(headers, "bearer") or basic_password(headers),
    answer_headers=_rate_headers,
    limited=_limited,
    not_found=_not_found,
)
