"""GitLab (/api/v4): REST routes and shapes. Owners are group paths ("a/b") or users."""

from __future__ import annotations

import base64
import binascii
import email.utils
import hashlib
import math
import posixpath
import time
from dataclasses import dataclass
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
from tests.support.fakehost.shapes import DROP, fill, item, retarget, shape

router = Router()
SAMPLE = "diaspora/diaspora-client"
# The fields an anonymous GET /projects (or simple=true) answers with.
SIMPLE = {
    "id",
    "description",
    "name",
    "name_with_namespace",
    "path",
    "path_with_namespace",
    "created_at",
    "default_branch",
    "tag_list",
    "topics",
    "ssh_url_to_repo",
    "http_url_to_repo",
    "web_url",
    "readme_url",
    "forks_count",
    "avatar_url",
    "star_count",
    "last_activity_at",
    "namespace",
}
# FakeRepo.teams permissions as GitLab access levels
# (Owner, Maintainer, Developer, Reporter).
ACCESS = {"admin": 50, "maintain": 40, "push": 30, "triage": 20, "pull": 20}


def _hosts(host: FakeHost, repo: FakeRepo | None = None) -> list[tuple[str, str]]:
    pairs = [
        (
            "http://example.com/api/v4/projects/4",
            f"{host.api_url}/projects/{repo.id if repo else 0}",
        ),
        ("git@example.com:", "git@127.0.0.1:"),
        ("http://example.com", host.web_url),
        ("http://localhost:3000", host.web_url),
        ("http://192.168.1.8:3000", host.web_url),
    ]
    return [*pairs, (SAMPLE, repo.full_name)] if repo else pairs


def _error(status: int, message: Any) -> Answer:
    return as_json(status, {"message": message})


def _not_found(host: FakeHost, what: str = "Not found") -> Answer:
    body = shape("gitlab", "error-not-found")
    body["message"] = f"404 {what}"
    return as_json(404, body)


def _unauthorized() -> Answer:
    return as_json(401, shape("gitlab", "error-unauthorized"))


def _groups(host: FakeHost) -> set[str]:
    """Every group path: each non-user owner and its parents."""
    paths: set[str] = set()
    for owner in host.owners():
        if host.is_user(owner):
            continue
        parts = owner.split("/")
        paths.update("/".join(parts[:size]) for size in range(1, len(parts) + 1))
    return paths


def _group_id(host: FakeHost, path: str) -> int:
    return host.account_id(f"group:{path}")


def _group(call: Call) -> str | None:
    wanted = call.params["group"]
    for path in _groups(call.host):
        if wanted.casefold() == path.casefold() or wanted == str(
            _group_id(call.host, path)
        ):
            return path
    return None


def _project(call: Call) -> FakeRepo | None:
    wanted = call.params["project"]
    if wanted.isdigit():
        repo = call.host.by_id(int(wanted))
    else:
        owner, _, name = wanted.rpartition("/")
        repo = call.host.find(owner, name)
    return repo if repo and call.host.visible(repo, call.authed) else None


def _person(host: FakeHost, template: dict[str, Any], login: str) -> dict[str, Any]:
    return fill(
        template,
        {
            "id": host.account_id(login),
            "username": login,
            "name": login.replace("-", " ").title(),
            "web_url": f"{host.web_url}/{login}",
        },
    )


def _namespace(host: FakeHost, owner: str) -> dict[str, Any]:
    parent, _, leaf = owner.rpartition("/")
    if host.is_user(owner):
        return {
            "id": host.account_id(owner),
            "name": owner,
            "path": owner,
            "kind": "user",
            "full_path": owner,
            "parent_id": None,
            "avatar_url": None,
            "web_url": f"{host.web_url}/{owner}",
        }
    return {
        "id": _group_id(host, owner),
        "name": leaf,
        "path": leaf,
        "kind": "group",
        "full_path": owner,
        "parent_id": _group_id(host, parent) if parent else None,
        "avatar_url": None,
        "web_url": f"{host.web_url}/groups/{owner}",
    }


def project_json(
    call: Call, repo: FakeRepo, name: str, simple: bool = False
) -> dict[str, Any]:
    host = call.host
    template = shape("gitlab", name) if name == "project" else item("gitlab", name)
    data = retarget(template, _hosts(host, repo))
    web = f"{host.web_url}/{repo.full_name}"
    readme = "README.md" in repo.files
    user = host.is_user(repo.owner)
    owner = template.get("owner") or item("gitlab", "user-projects")["owner"]
    result = fill(
        data,
        {
            "id": repo.id,
            "name": repo.name,
            "path": repo.name,
            "description": repo.description or None,
            "description_html": f"<p>{repo.description}</p>"
            if repo.description
            else "",
            "name_with_namespace": " / ".join([*repo.owner.split("/"), repo.name]),
            "path_with_namespace": repo.full_name,
            "created_at": iso(repo.created_at),
            "default_branch": repo.default_branch,
            "tag_list": list(repo.topics),
            "topics": list(repo.topics),
            "http_url_to_repo": host.clone_url(repo),
            "ssh_url_to_repo": f"git@127.0.0.1:{repo.full_name}.git",
            "web_url": web,
            "readme_url": f"{web}/-/blob/{repo.default_branch}/README.md"
            if readme
            else None,
            "avatar_url": None,
            "last_activity_at": iso(repo.pushed_at),
            "visibility": "private" if repo.private else "public",
            "namespace": _namespace(host, repo.owner),
            "archived": repo.archived,
            "empty_repo": False,
            "creator_id": host.account_id(host.login),
            "owner": _person(host, retarget(owner, _hosts(host)), repo.owner)
            if user
            else DROP,
            "permissions": {
                "project_access": {"access_level": 50, "notification_level": 3},
                "group_access": None,
            }
            if call.authed
            else DROP,
        },
    )
    return {k: v for k, v in result.items() if k in SIMPLE} if simple else result


def _paged(call: Call, rows: list[Any], render: Any) -> Answer:
    size = call.number("per_page", 20, 1, call.host.page_max)
    page = call.number("page", 1)
    last = paging.pages(len(rows), size)
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(size),
        "X-Total": str(len(rows)),
        "X-Total-Pages": str(last),
        "X-Next-Page": str(page + 1) if page < last else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
        "Link": paging.link(
            call.host.api_url + call.path, call.query, page, last, ends=True
        ),
    }
    return as_json(
        200, [render(row) for row in paging.window(rows, page, size)], headers
    )


def _filtered(call: Call, repos: list[FakeRepo]) -> list[FakeRepo]:
    archived = call.query.get("archived")
    visibility = call.query.get("visibility")
    search = call.query.get("search", "").casefold()
    return [
        repo
        for repo in repos
        if call.host.visible(repo, call.authed)
        and (archived is None or repo.archived == (archived == "true"))
        and (
            visibility is None
            or visibility == ("private" if repo.private else "public")
        )
        and (not search or search in repo.name.casefold())
    ]


def _projects(call: Call, repos: list[FakeRepo], name: str, simple: bool) -> Answer:
    rows = _filtered(call, repos)
    return _paged(call, rows, lambda repo: project_json(call, repo, name, simple))


# -- identity and limits ------------------------------------------------------


@router.add("GET", "/user")
def user(call: Call) -> Answer:
    if not call.authed:
        return _unauthorized()
    host = call.host
    data = retarget(shape("gitlab", "user"), _hosts(host))
    email = f"{host.login}@example.invalid"
    return as_json(
        200,
        fill(
            _person(host, data, host.login),
            {
                "email": email,
                "public_email": email,
                "commit_email": email,
            },
        ),
    )


def _rate_headers(host: FakeHost, authed: bool) -> dict[str, str]:
    reset = host.rate_window + 3600
    return {
        "RateLimit-Limit": "2000",
        "RateLimit-Observed": str(min(host.rate_used, 2000)),
        "RateLimit-Remaining": str(max(0, 2000 - host.rate_used)),
        "RateLimit-Reset": str(reset),
        "RateLimit-ResetTime": email.utils.formatdate(reset, usegmt=True),
    }


def _limited(host: FakeHost, until: float) -> Answer:
    status, headers, body = as_text(429, "Retry later\n")
    headers.update(
        {
            "Retry-After": str(max(1, math.ceil(until - time.time()))),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(math.ceil(until)),
            "RateLimit-ResetTime": email.utils.formatdate(
                math.ceil(until), usegmt=True
            ),
        }
    )
    return status, headers, body


# -- listing ------------------------------------------------------------------


@router.add("GET", "/groups/{group}/projects")
def group_projects(call: Call) -> Answer:
    group = _group(call)
    if group is None:
        return _not_found(call.host, "Group Not Found")
    nested = call.query.get("include_subgroups") == "true"
    simple = call.query.get("simple") == "true"
    return _projects(
        call, call.host.owned_by(group, nested=nested), "group-projects", simple
    )


@router.add("GET", "/projects")
def all_projects(call: Call) -> Answer:
    simple = call.query.get("simple") == "true" or not call.authed
    return _projects(call, call.host.all_repos(), "projects", simple)


@router.add("GET", "/users/{user}/projects")
def user_projects(call: Call) -> Answer:
    login = call.params["user"]
    if not call.host.is_user(login):
        return _not_found(call.host, "User Not Found")
    simple = call.query.get("simple") == "true"
    return _projects(call, call.host.owned_by(login), "user-projects", simple)


# -- one project --------------------------------------------------------------


@router.add("GET", "/projects/{project}")
def get_project(call: Call) -> Answer:
    repo = _project(call)
    if repo is None:
        return _not_found(call.host, "Project Not Found")
    return as_json(200, project_json(call, repo, "project"))


@router.add("GET", "/projects/{project}/members/all")
def members(call: Call) -> Answer:
    repo = _project(call)
    if repo is None:
        return _not_found(call.host, "Project Not Found")
    host = call.host
    template = retarget(item("gitlab", "members-all"), _hosts(host))
    creator = _person(host, template["created_by"], host.login)

    def render(team: tuple[str, str]) -> dict[str, Any]:
        slug, permission = team
        return fill(
            _person(host, template, slug),
            {
                "access_level": ACCESS.get(permission, 20),
                "created_at": iso(repo.created_at),
                "created_by": creator,
                "expires_at": None,
            },
        )

    return _paged(call, sorted(repo.teams.items()), render)


# -- groups and their members (people/sources/gitlab.py) ----------------------


def _group_hosts(host: FakeHost) -> list[tuple[str, str]]:
    return [
        ("https://gitlab.example.com", host.web_url),
        ("http://gitlab.example.com", host.web_url),
        *_hosts(host),
    ]


def _group_name(host: FakeHost, path: str) -> str:
    found = host.groups.get(path)
    return (found.name if found else "") or path.rpartition("/")[2]


def group_json(call: Call, path: str, template: dict[str, Any]) -> dict[str, Any]:
    host = call.host
    parent, _, leaf = path.rpartition("/")
    found = host.groups.get(path)
    parts = path.split("/")
    names = [_group_name(host, "/".join(parts[:n])) for n in range(1, len(parts) + 1)]
    return fill(
        retarget(template, _group_hosts(host)),
        {
            "id": _group_id(host, path),
            "name": _group_name(host, path),
            "path": leaf,
            "description": found.description if found else "",
            "avatar_url": None,
            "web_url": f"{host.web_url}/groups/{path}",
            "full_name": " / ".join(names),
            "full_path": path,
            "parent_id": _group_id(host, parent) if parent else None,
        },
    )


@router.add("GET", "/groups/{group}")
def get_group(call: Call) -> Answer:
    if not call.authed:
        return _unauthorized()
    group = _group(call)
    if group is None:
        return _not_found(call.host, "Group Not Found")
    body = group_json(call, group, shape("gitlab", "group"))
    if call.query.get("with_projects") != "false":  # the deprecated default
        repos = _filtered(call, call.host.owned_by(group))
        body["projects"] = [project_json(call, r, "group-projects") for r in repos]
        body["shared_projects"] = []
    return as_json(200, body)


@router.add("GET", "/groups/{group}/descendant_groups")
def descendant_groups(call: Call) -> Answer:
    if not call.authed:
        return _unauthorized()
    group = _group(call)
    if group is None:
        return _not_found(call.host, "Group Not Found")
    below = group.casefold() + "/"
    paths = sorted(p for p in _groups(call.host) if p.casefold().startswith(below))
    template = item("gitlab", "descendant-groups")
    return _paged(call, paths, lambda path: group_json(call, path, template))


@router.add("GET", "/groups/{group}/members")
def group_members(call: Call) -> Answer:
    if not call.authed:
        return _unauthorized()
    group = _group(call)
    if group is None:
        return _not_found(call.host, "Group Not Found")
    host = call.host
    found = host.groups.get(group)
    template = retarget(item("gitlab", "group-members"), _hosts(host))
    creator = _person(host, template["created_by"], host.login)

    def render(member: tuple[str, int]) -> dict[str, Any]:
        login, level = member
        person = host.people.get(login)
        return fill(
            _person(host, template, login),
            {
                "name": (person.name if person else "") or login.title(),
                "state": person.state if person else "active",
                "access_level": level,
                "created_by": creator,
                "expires_at": None,
                "email": person.email if person and person.email else DROP,
            },
        )

    return _paged(call, sorted(found.members.items()) if found else [], render)


@dataclass(frozen=True)
class _File:
    repo: FakeRepo
    ref: str
    path: str
    data: bytes


def _file_read(call: Call) -> _File | Answer:
    repo = _project(call)
    if repo is None:
        return _not_found(call.host, "Project Not Found")
    ref = call.query.get("ref")
    if not ref:
        return as_json(400, {"error": "ref is missing, ref is empty"})
    data = call.host.read(repo, ref, call.params["file"])
    if data is None:
        return _not_found(call.host, "File Not Found")
    return _File(repo, ref, call.params["file"], data)


@router.add("GET", "/projects/{project}/repository/files/{file}")
def get_file(call: Call) -> Answer:
    found = _file_read(call)
    if not isinstance(found, _File):
        return found
    path, ref, data = found.path, found.ref, found.data
    git_dir = call.host.git_dir(found.repo)
    return as_json(
        200,
        fill(
            shape("gitlab", "repository-file"),
            {
                "file_name": posixpath.basename(path),
                "file_path": path,
                "size": len(data),
                "encoding": "base64",
                "content": base64.b64encode(data).decode(),
                "content_sha256": hashlib.sha256(data).hexdigest(),
                "ref": ref,
                "blob_id": git.blob_sha(data),
                "commit_id": git.resolve(git_dir, ref),
                "last_commit_id": git.last_commit(git_dir, ref, path),
                "execute_filemode": False,
            },
        ),
    )


@router.add("GET", "/projects/{project}/repository/files/{file}/raw")
def get_raw_file(call: Call) -> Answer:
    found = _file_read(call)
    return as_text(200, found.data) if isinstance(found, _File) else found


# -- changes ------------------------------------------------------------------


def _writable(call: Call) -> FakeRepo | Answer:
    if not call.authed:
        return _unauthorized()
    repo = _project(call)
    return repo if repo else _not_found(call.host, "Project Not Found")


@router.add("POST", "/projects/{project}/repository/branches")
def create_branch(call: Call) -> Answer:
    repo = _writable(call)
    if not isinstance(repo, FakeRepo):
        return repo
    form, host = call.form(), call.host
    name, ref = form.get("branch", ""), form.get("ref", "")
    if host.branch_sha(repo, name) is not None:
        return _error(400, "Branch already exists")
    sha = git.resolve(host.git_dir(repo), ref) if ref and name else None
    if sha is None:
        return _error(400, f"Invalid reference name: {ref}")
    host.create_branch(repo, name, sha)
    info = git.git(host.git_dir(repo), "log", "-1", "--format=%s", sha).decode().strip()
    web = f"{host.web_url}/{repo.full_name}"
    template = retarget(shape("gitlab", "create-branch"), _hosts(host, repo))
    return as_json(
        201,
        fill(
            template,
            {
                "name": name,
                "default": False,
                "web_url": f"{web}/-/tree/{name}",
                "commit": {
                    "id": sha,
                    "short_id": sha[:8],
                    "title": info,
                    "message": info,
                    "parent_ids": git.commit_info(host.git_dir(repo), sha)[1],
                    "web_url": f"{web}/-/commit/{sha}",
                },
            },
        ),
    )


@router.add("POST", "/projects/{project}/repository/files/{file}")
def create_file(call: Call) -> Answer:
    repo = _writable(call)
    if not isinstance(repo, FakeRepo):
        return repo
    form, host, path = call.form(), call.host, call.params["file"]
    branch, content = form.get("branch", ""), form.get("content", "")
    if form.get("encoding") == "base64":
        try:
            content = base64.b64decode(content, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return _error(400, "content is not valid base64")
    start = None
    if host.branch_sha(repo, branch) is None:
        start = host.branch_sha(repo, form.get("start_branch", ""))
        if start is None:
            return _error(
                400, "You can only create or edit files when you are on a branch"
            )
    elif host.read(repo, branch, path) is not None:
        return _error(400, "A file with this name already exists")
    message = form.get("commit_message") or f"Add {path}"
    host.commit(repo, branch, {path: content}, message, start=start)
    return as_json(
        201, fill(shape("gitlab", "create-file"), {"file_path": path, "branch": branch})
    )


def mr_json(call: Call, pull: FakePull, name: str) -> dict[str, Any]:
    host, repo = call.host, pull.repo
    template = shape("gitlab", name)
    data = retarget(
        template,
        [*_hosts(host, repo), ("/merge_requests/1", f"/merge_requests/{pull.number}")],
    )
    bot = _person(host, retarget(template["author"], _hosts(host)), host.login)
    state = {"open": "opened", "merged": "merged", "closed": "closed"}[pull.state]
    base = host.branch_sha(repo, pull.target_branch)
    head = host.branch_sha(repo, pull.source_branch) if pull.state == "open" else None
    ref = f"!{pull.number}"
    web = f"{host.web_url}/{repo.full_name}"
    return fill(
        data,
        {
            "id": pull.id,
            "iid": pull.number,
            "project_id": repo.id,
            "title": pull.title,
            "description": pull.body,
            "state": state,
            "created_at": iso(pull.created_at),
            "updated_at": iso(pull.updated_at),
            "merged_at": iso(pull.merged_at),
            "closed_at": iso(pull.closed_at) if pull.state == "closed" else None,
            "merged_by": bot if pull.state == "merged" else None,
            "merge_user": bot if pull.state == "merged" else None,
            "closed_by": bot if pull.state == "closed" else None,
            "target_branch": pull.target_branch,
            "source_branch": pull.source_branch,
            "author": bot,
            "source_project_id": repo.id,
            "target_project_id": repo.id,
            "sha": head or pull.head_sha,
            "merge_commit_sha": pull.merge_sha,
            "detailed_merge_status": "mergeable"
            if pull.state == "open"
            else "not_open",
            "reference": ref,
            "references": {
                "short": ref,
                "relative": ref,
                "full": repo.full_name + ref,
            },
            "web_url": f"{web}/-/merge_requests/{pull.number}",
            "changes_count": str(len(pull.files)),
            "diff_refs": {
                "base_sha": base,
                "head_sha": head or pull.head_sha,
                "start_sha": base,
            },
            "user_notes_count": 0,
        },
    )


@router.add("POST", "/projects/{project}/merge_requests")
def create_mr(call: Call) -> Answer:
    repo = _writable(call)
    if not isinstance(repo, FakeRepo):
        return repo
    form, host = call.form(), call.host
    source, target = form.get("source_branch", ""), form.get("target_branch", "")
    if not form.get("title"):
        return _error(400, "title is missing")
    if host.branch_sha(repo, source) is None or host.branch_sha(repo, target) is None:
        return _error(400, ["Source branch or target branch does not exist"])
    for pull in host.pulls:
        if pull.repo is repo and pull.state == "open" and pull.source_branch == source:
            return _error(
                409,
                [
                    "Another open merge request already exists for this source"
                    f" branch: !{pull.number}"
                ],
            )
    pull = host.open_pull(
        repo, source, target, form["title"], form.get("description", "")
    )
    return as_json(201, mr_json(call, pull, "create-merge-request"))


@router.add("GET", "/projects/{project}/merge_requests/{iid}")
def get_mr(call: Call) -> Answer:
    repo = _project(call)
    iid = call.params["iid"]
    pull = call.host.find_pull(repo, int(iid)) if repo and iid.isdigit() else None
    return (
        as_json(200, mr_json(call, pull, "merge-request"))
        if pull
        else _not_found(call.host)
    )


KIND = Kind(
    name="gitlab",
    api_prefix="/api/v4",
    router=router,
    token=lambda headers: headers.get("private-token") or scheme(headers, "bearer"),
    answer_headers=_rate_headers,
    limited=_limited,
    not_found=_not_found,
)
