"""Gitea (/api/v1): REST routes and shapes."""

from __future__ import annotations

import base64
import binascii
import math
import posixpath
import time
from typing import Any

from tests.support.fakehost import git, paging
from tests.support.fakehost.credentials import scheme
from tests.support.fakehost.host import FakeHost
from tests.support.fakehost.model import FakePull, FakeRepo
from tests.support.fakehost.routes import (
    Answer,
    Call,
    Kind,
    Router,
    as_json,
    as_text,
    iso,
)
from tests.support.fakehost.shapes import fill, item, retarget, shape

router = Router()
SAMPLE = "example-org/example-repo"
# FakeRepo.teams permissions as Gitea's access modes.
MODES = {
    "admin": "admin",
    "maintain": "write",
    "push": "write",
    "triage": "read",
    "pull": "read",
}


def _hosts(host: FakeHost, repo: FakeRepo | None = None) -> list[tuple[str, str]]:
    pairs = [
        ("https://gitea.example.com/api/v1", host.api_url),
        ("git@gitea.example.com:", "git@127.0.0.1:"),
        ("https://gitea.example.com", host.web_url),
    ]
    return [*pairs, (SAMPLE, repo.full_name)] if repo else pairs


def _error(
    host: FakeHost, status: int, name: str, message: str | None = None
) -> Answer:
    body = retarget(shape("gitea", name), _hosts(host))
    if message:
        body["message"] = message
        body.pop("errors", None)
    return as_json(status, body)


def _not_found(host: FakeHost) -> Answer:
    body = retarget(shape("gitea", "error-not-found"), _hosts(host))
    body["errors"] = []
    return as_json(404, body)


def _account(host: FakeHost, template: dict[str, Any], login: str) -> dict[str, Any]:
    org = not host.is_user(login)
    return fill(
        retarget(template, _hosts(host)),
        {
            "id": host.account_id(login),
            "login": login,
            "username": login,
            "full_name": "" if org else login.replace("-", " ").title(),
            "email": "" if org else f"{login}@noreply.example.invalid",
            "html_url": f"{host.web_url}/{login}",
        },
    )


def repo_json(call: Call, repo: FakeRepo, name: str = "org-repos") -> dict[str, Any]:
    host = call.host
    template = shape("gitea", name) if name == "repo" else item("gitea", name)
    data = retarget(template, _hosts(host, repo))
    perms = (
        {"admin": True, "push": True, "pull": True}
        if call.authed
        else {"admin": False, "push": False, "pull": True}
    )
    return fill(
        data,
        {
            "id": repo.id,
            "owner": _account(host, template["owner"], repo.owner),
            "name": repo.name,
            "full_name": repo.full_name,
            "description": repo.description,
            "empty": False,
            "private": repo.private,
            "fork": repo.fork,
            "html_url": f"{host.web_url}/{repo.full_name}",
            "clone_url": host.clone_url(repo),
            "ssh_url": f"git@127.0.0.1:{repo.full_name}.git",
            "default_branch": repo.default_branch,
            "archived": repo.archived,
            "created_at": iso(repo.created_at),
            "updated_at": iso(repo.pushed_at),
            "archived_at": iso(repo.pushed_at)
            if repo.archived
            else "1970-01-01T00:00:00Z",
            "permissions": perms,
            "topics": list(repo.topics),
            "internal": False,
        },
    )


def _paged(
    call: Call, repos: list[FakeRepo], render: Any
) -> tuple[list[Any], dict[str, str]]:
    size = call.number("limit", 30, 1, call.host.page_max)
    page = call.number("page", 1)
    last = paging.pages(len(repos), size)
    headers = {
        "X-Total-Count": str(len(repos)),
        "Access-Control-Expose-Headers": "X-Total-Count, Link",
    }
    # Gitea separates the links with a bare comma (docs/.../api-usage.en-us.md).
    link = paging.link(call.host.api_url + call.path, call.query, page, last, sep=",")
    if link:
        headers["Link"] = link
    return [render(repo) for repo in paging.window(repos, page, size)], headers


def _repo(call: Call) -> FakeRepo | None:
    repo = call.host.find(call.params["owner"], call.params["repo"])
    return repo if repo and call.host.visible(repo, call.authed) else None


# -- identity and limits ------------------------------------------------------


@router.add("GET", "/user")
def user(call: Call) -> Answer:
    if not call.authed:
        return _error(call.host, 401, "error-unauthorized")
    data = _account(call.host, shape("gitea", "user"), call.host.login)
    return as_json(200, data)


def _limited(host: FakeHost, until: float) -> Answer:
    status, headers, body = as_text(429, "Too Many Requests\n")
    headers["Retry-After"] = str(max(1, math.ceil(until - time.time())))
    return status, headers, body


# -- listing ------------------------------------------------------------------


def _listing(call: Call, repos: list[FakeRepo], name: str) -> Answer:
    visible = [repo for repo in repos if call.host.visible(repo, call.authed)]
    body, headers = _paged(call, visible, lambda repo: repo_json(call, repo, name))
    return as_json(200, body, headers)


@router.add("GET", "/orgs/{org}/repos")
def org_repos(call: Call) -> Answer:
    org = call.params["org"]
    if not call.host.owner_known(org) or call.host.is_user(org):
        return _not_found(call.host)
    return _listing(call, call.host.owned_by(org), "org-repos")


@router.add("GET", "/users/{user}/repos")
def user_repos(call: Call) -> Answer:
    owner = call.params["user"]
    if not call.host.owner_known(owner) and not call.host.is_user(owner):
        return _not_found(call.host)
    return _listing(call, call.host.owned_by(owner), "user-repos")


@router.add("GET", "/repos/search")
def search(call: Call) -> Answer:
    words = call.query.get("q", "").casefold()
    archived = call.query.get("archived")
    repos = [
        repo
        for repo in call.host.all_repos()
        if call.host.visible(repo, call.authed)
        and words in repo.name.casefold()
        and (archived is None or repo.archived == (archived == "true"))
    ]
    rows, headers = _paged(
        call, repos, lambda repo: repo_json(call, repo, "repos-search")
    )
    return as_json(
        200, fill(shape("gitea", "repos-search"), {"data": rows, "ok": True}), headers
    )


# -- one repository -----------------------------------------------------------


@router.add("GET", "/repos/{owner}/{repo}")
def get_repo(call: Call) -> Answer:
    repo = _repo(call)
    return (
        as_json(200, repo_json(call, repo, "repo")) if repo else _not_found(call.host)
    )


@router.add("GET", "/repos/{owner}/{repo}/teams")
def repo_teams(call: Call) -> Answer:
    repo = _repo(call)
    if repo is None or call.host.is_user(repo.owner):
        return _not_found(call.host)
    host, template = call.host, item("gitea", "repo-teams")
    org = fill(
        template["organization"],
        {
            "id": host.account_id(repo.owner),
            "name": repo.owner,
            "username": repo.owner,
            "avatar_url": f"{host.web_url}/avatars/{repo.owner}",
        },
    )
    teams = []
    for slug, permission in sorted(repo.teams.items()):
        mode = MODES.get(permission, "read")
        teams.append(
            fill(
                template,
                {
                    "id": host.account_id(f"team:{repo.owner}/{slug}"),
                    "name": slug,
                    "organization": org,
                    "includes_all_repositories": False,
                    "permission": mode,
                    "units_map": dict.fromkeys(template["units_map"], mode),
                    "can_create_org_repo": mode == "admin",
                },
            )
        )
    return as_json(200, teams)


def _contents(
    call: Call, repo: FakeRepo, ref: str, path: str, data: bytes
) -> dict[str, Any]:
    host = call.host
    sha = git.blob_sha(data)
    api = f"{host.api_url}/repos/{repo.full_name}"
    web = f"{host.web_url}/{repo.full_name}"
    template = retarget(shape("gitea", "contents"), _hosts(host, repo))
    return fill(
        template,
        {
            "name": posixpath.basename(path),
            "path": path,
            "sha": sha,
            "last_commit_sha": git.last_commit(host.git_dir(repo), ref, path),
            "type": "file",
            "size": len(data),
            "encoding": "base64",
            "content": base64.b64encode(data).decode(),
            "url": f"{api}/contents/{path}?ref={ref}",
            "html_url": f"{web}/src/branch/{ref}/{path}",
            "git_url": f"{api}/git/blobs/{sha}",
            "download_url": f"{web}/raw/branch/{ref}/{path}",
            "_links": {
                "self": f"{api}/contents/{path}?ref={ref}",
                "git": f"{api}/git/blobs/{sha}",
                "html": f"{web}/src/branch/{ref}/{path}",
            },
        },
    )


@router.add("GET", "/repos/{owner}/{repo}/contents/{path+}")
def get_contents(call: Call) -> Answer:
    repo = _repo(call)
    if repo is None:
        return _not_found(call.host)
    ref = call.query.get("ref") or repo.default_branch
    data = call.host.read(repo, ref, call.params["path"])
    if data is None:
        return _not_found(call.host)
    return as_json(200, _contents(call, repo, ref, call.params["path"], data))


@router.add("POST", "/repos/{owner}/{repo}/contents/{path+}")
def create_file(call: Call) -> Answer:
    if not call.authed:
        return _error(call.host, 401, "error-unauthorized")
    repo = _repo(call)
    if repo is None:
        return _not_found(call.host)
    body, host, path = call.json(), call.host, call.params["path"]
    try:
        text = base64.b64decode(str(body.get("content", "")), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return _error(
            host, 422, "error-unprocessable", "content must be base64 encoded"
        )
    branch = str(body.get("branch") or repo.default_branch)
    start = host.branch_sha(repo, branch)
    if start is None:
        return _not_found(host)
    target = str(body.get("new_branch") or branch)
    if target != branch and host.branch_sha(repo, target) is not None:
        return _error(
            host, 422, "error-unprocessable", f"branch already exists [name: {target}]"
        )
    if host.read(repo, target if target == branch else branch, path) is not None:
        return _error(
            host,
            422,
            "error-unprocessable",
            f"repository file already exists [path: {path}]",
        )
    message = str(body.get("message") or f"Add {path}")
    sha = host.commit(
        repo, target, {path: text}, message, start=start if target != branch else None
    )
    tree, parents = git.commit_info(host.git_dir(repo), sha)
    api, web = (
        f"{host.api_url}/repos/{repo.full_name}",
        f"{host.web_url}/{repo.full_name}",
    )
    template = retarget(shape("gitea", "create-file"), _hosts(host, repo))
    when = iso(repo.pushed_at)
    person = {"name": "Greenroom Bot", "email": "bot@example.invalid", "date": when}
    return as_json(
        201,
        fill(
            template,
            {
                "content": _contents(call, repo, target, path, text.encode()),
                "commit": {
                    "url": f"{api}/git/commits/{sha}",
                    "sha": sha,
                    "created": when,
                    "html_url": f"{web}/commit/{sha}",
                    "author": person,
                    "committer": person,
                    "parents": [
                        {"url": f"{api}/git/commits/{p}", "sha": p, "created": when}
                        for p in parents
                    ],
                    "message": message + "\n",
                    "tree": {
                        "url": f"{api}/git/trees/{tree}",
                        "sha": tree,
                        "created": when,
                    },
                },
            },
        ),
    )


# -- pull requests ------------------------------------------------------------


def pull_json(call: Call, pull: FakePull, name: str) -> dict[str, Any]:
    host, repo = call.host, pull.repo
    template = shape("gitea", name)
    data = retarget(
        template, [*_hosts(host, repo), ("/pulls/1", f"/pulls/{pull.number}")]
    )
    bot = _account(host, template["user"], host.login)
    repo_data = repo_json(call, repo)
    head = host.branch_sha(repo, pull.source_branch) if pull.state == "open" else None
    base = host.branch_sha(repo, pull.target_branch)

    def end(branch: str, sha: str | None) -> dict[str, Any]:
        return {
            "label": branch,
            "ref": branch,
            "sha": sha,
            "repo_id": repo.id,
            "repo": repo_data,
        }

    web = f"{host.web_url}/{repo.full_name}/pulls/{pull.number}"
    return fill(
        data,
        {
            "id": pull.id,
            "url": web,
            "number": pull.number,
            "user": bot,
            "title": pull.title,
            "body": pull.body,
            "state": "open" if pull.state == "open" else "closed",
            "html_url": web,
            "diff_url": web + ".diff",
            "patch_url": web + ".patch",
            "mergeable": pull.state == "open",
            "merged": pull.state == "merged",
            "merged_at": iso(pull.merged_at),
            "merge_commit_sha": pull.merge_sha,
            "merged_by": bot if pull.state == "merged" else None,
            "base": end(pull.target_branch, base),
            "head": end(pull.source_branch, head or pull.head_sha),
            "merge_base": base,
            "created_at": iso(pull.created_at),
            "updated_at": iso(pull.updated_at),
            "closed_at": iso(pull.closed_at),
            "changed_files": len(pull.files),
        },
    )


@router.add("POST", "/repos/{owner}/{repo}/pulls")
def create_pull(call: Call) -> Answer:
    if not call.authed:
        return _error(call.host, 401, "error-unauthorized")
    repo = _repo(call)
    if repo is None:
        return _not_found(call.host)
    body, host = call.json(), call.host
    head = str(body.get("head", "")).rpartition(":")[2]
    base = str(body.get("base") or "")
    if host.branch_sha(repo, head) is None or host.branch_sha(repo, base) is None:
        return _not_found(host)
    for pull in host.pulls:
        if (pull.repo, pull.source_branch, pull.target_branch, pull.state) == (
            repo,
            head,
            base,
            "open",
        ):
            return _error(
                host,
                409,
                "error-unprocessable",
                (
                    "pull request already exists for these targets "
                    f"[id: {pull.id}, issue_id: {pull.id}, "
                    f"head_repo_id: {repo.id}, base_repo_id: {repo.id}, "
                    f"head_branch: {head}, base_branch: {base}]"
                ),
            )
    pull = host.open_pull(
        repo, head, base, str(body.get("title", "")), str(body.get("body", ""))
    )
    return as_json(201, pull_json(call, pull, "create-pull"))


@router.add("GET", "/repos/{owner}/{repo}/pulls/{number}")
def get_pull(call: Call) -> Answer:
    repo = _repo(call)
    number = call.params["number"]
    pull = call.host.find_pull(repo, int(number)) if repo and number.isdigit() else None
    return (
        as_json(200, pull_json(call, pull, "pull")) if pull else _not_found(call.host)
    )


KIND = Kind(
    name="gitea",
    api_prefix="/api/v1",
    router=router,
    token=lambda headers: scheme(headers, "token", "bearer"),
    answer_headers=lambda host, authed: {},  # Gitea sends none
    limited=_limited,
    not_found=_not_found,
)
