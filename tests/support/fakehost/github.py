"""GitHub (Enterprise Server style, under /api/v3): REST routes and shapes."""

from __future__ import annotations

import base64
import binascii
import math
import posixpath
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.support.fakehost import git, paging
from tests.support.fakehost.credentials import scheme
from tests.support.fakehost.git import blob_sha, commit_info
from tests.support.fakehost.host import FakeHost
from tests.support.fakehost.model import FakePull, FakeRepo, FakeTeam
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
SAMPLE = "octocat/Hello-World"


def _hosts(host: FakeHost) -> list[tuple[str, str]]:
    return [
        ("https://api.github.com", host.api_url),
        ("https://raw.githubusercontent.com", host.web_url + "/raw"),
        ("https://svn.github.com", host.web_url),
        ("https://github.com", host.web_url),
        ("git@github.com:", "git@127.0.0.1:"),
        ("git://github.com/", "git://127.0.0.1/"),
    ]


def _node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"0:{kind}{number}".encode()).decode()


def error(status: int, name: str, message: str | None = None) -> Answer:
    body = shape("github", name)
    if message:
        body["message"] = message
    body["status"] = str(status)
    return as_json(status, body)


def _not_found(host: FakeHost) -> Answer:
    return error(404, "error-not-found")


def _unauthorized() -> Answer:
    return error(401, "error-unauthorized")


def _invalid(message: str) -> Answer:
    return error(422, "error-unprocessable", message)


def account(host: FakeHost, template: dict[str, Any], login: str) -> dict[str, Any]:
    data = retarget(template, [*_hosts(host), ("octocat", login)])
    user = host.is_user(login)
    return fill(
        data,
        {
            "login": login,
            "id": host.account_id(login),
            "node_id": _node_id(
                "User" if user else "Organization", host.account_id(login)
            ),
            "type": "User" if user else "Organization",
        },
    )


def repo_json(call: Call, repo: FakeRepo, name: str = "org-repos") -> dict[str, Any]:
    host = call.host
    template = shape("github", name) if name == "repo" else item("github", name)
    data = retarget(template, [*_hosts(host), (SAMPLE, repo.full_name)])
    owner = account(host, template["owner"], repo.owner)
    overrides: dict[str, Any] = {
        "id": repo.id,
        "node_id": _node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": owner,
        "private": repo.private,
        "html_url": f"{host.web_url}/{repo.full_name}",
        "description": repo.description or None,
        "fork": repo.fork,
        "clone_url": host.clone_url(repo),
        "homepage": None,
        "default_branch": repo.default_branch,
        "topics": list(repo.topics),
        "archived": repo.archived,
        "visibility": "private" if repo.private else "public",
        "pushed_at": iso(repo.pushed_at),
        "created_at": iso(repo.created_at),
        "updated_at": iso(repo.pushed_at),
        # Anonymous answers carry no permissions; the token's user administers all.
        "permissions": {"admin": True, "push": True, "pull": True}
        if call.authed
        else DROP,
    }
    if "organization" in data:
        overrides["organization"] = DROP if host.is_user(repo.owner) else owner
    return fill(data, overrides)


def _paged(call: Call, repos: list[FakeRepo], name: str) -> Answer:
    size = call.number("per_page", 30, 1, call.host.page_max)
    page = call.number("page", 1)
    last = paging.pages(len(repos), size)
    body = [repo_json(call, repo, name) for repo in paging.window(repos, page, size)]
    link = paging.link(call.host.api_url + call.path, call.query, page, last)
    return as_json(200, body, {"Link": link} if link else {})


def _repo(call: Call) -> FakeRepo | None:
    repo = call.host.find(call.params["owner"], call.params["repo"])
    if repo is None or not call.host.visible(repo, call.authed):
        return None
    return repo


# -- identity and limits ------------------------------------------------------


@router.add("GET", "/user")
def user(call: Call) -> Answer:
    if not call.authed:
        return _unauthorized()
    if call.host.is_installation_token(call.token):
        return error(
            403, "error-unauthorized", "Resource not accessible by integration"
        )
    template = shape("github", "user")
    data = account(call.host, template, call.host.login)
    return as_json(200, fill(data, {"name": "Greenroom Bot", "email": None}))


@router.add("GET", "/rate_limit")
def rate_limit(call: Call) -> Answer:
    data = shape("github", "rate-limit")
    limit = 5000 if call.authed else 60
    used = min(call.host.rate_used, limit)
    core = {
        "limit": limit,
        "used": used,
        "remaining": limit - used,
        "reset": call.host.rate_window + 3600,
    }
    return as_json(200, fill(data, {"resources": {"core": core}, "rate": core}))


def _rate_headers(host: FakeHost, authed: bool) -> dict[str, str]:
    limit = 5000 if authed else 60
    used = min(host.rate_used, limit)
    return {
        "x-ratelimit-limit": str(limit),
        "x-ratelimit-remaining": str(limit - used),
        "x-ratelimit-used": str(used),
        "x-ratelimit-reset": str(host.rate_window + 3600),
        "x-ratelimit-resource": "core",
    }


def _limited(host: FakeHost, until: float) -> Answer:
    status, headers, body = error(403, "error-rate-limited")
    headers.update(
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(math.ceil(until))}
    )
    return status, headers, body


# -- listing ------------------------------------------------------------------

_TYPES: dict[str, Callable[[FakeRepo], bool]] = {
    "public": lambda repo: not repo.private,
    "private": lambda repo: repo.private,
    "forks": lambda repo: repo.fork,
    "sources": lambda repo: not repo.fork,
}


def _any(repo: FakeRepo) -> bool:
    return True


@router.add("GET", "/orgs/{org}/repos")
def org_repos(call: Call) -> Answer:
    org = call.params["org"]
    if not call.host.owner_known(org) or call.host.is_user(org):
        return _not_found(call.host)
    wanted = _TYPES.get(call.query.get("type", "all"), _any)
    repos = [
        repo
        for repo in call.host.owned_by(org)
        if call.host.visible(repo, call.authed) and wanted(repo)
    ]
    return _paged(call, repos, "org-repos")


@router.add("GET", "/users/{user}/repos")
def user_repos(call: Call) -> Answer:
    owner = call.params["user"]
    if not call.host.owner_known(owner) and not call.host.is_user(owner):
        return _not_found(call.host)
    repos = [r for r in call.host.owned_by(owner) if call.host.visible(r, call.authed)]
    return _paged(call, repos, "user-repos")


@router.add("GET", "/installation/repositories")
def installation_repositories(call: Call) -> Answer:
    if not call.authed:
        return _unauthorized()
    if not call.host.is_installation_token(call.token):
        return error(
            403,
            "error-unauthorized",
            (
                "You must authenticate with an installation access token in order"
                " to list repositories for an installation."
            ),
        )
    repos = call.host.all_repos()
    size = call.number("per_page", 30, 1, call.host.page_max)
    page = call.number("page", 1)
    last = paging.pages(len(repos), size)
    body = fill(
        shape("github", "installation-repositories"),
        {
            "total_count": len(repos),
            "repositories": [
                repo_json(call, r) for r in paging.window(repos, page, size)
            ],
        },
    )
    link = paging.link(call.host.api_url + call.path, call.query, page, last)
    return as_json(200, body, {"Link": link} if link else {})


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
    if repo is None:
        return _not_found(call.host)
    host, template = call.host, item("github", "repo-teams")
    teams = []
    for slug, permission in sorted(repo.teams.items()):
        title = slug.replace("-", " ").title()
        data = retarget(
            template,
            [
                *_hosts(host),
                ("/orgs/github/", f"/orgs/{repo.owner}/"),
                ("justice-league", slug),
                ("Justice League", title),
            ],
        )
        team_id = host.account_id(f"team:{repo.owner}/{slug}")
        teams.append(
            fill(
                data,
                {
                    "id": team_id,
                    "node_id": _node_id("Team", team_id),
                    "name": title,
                    "slug": slug,
                    "permission": permission,
                    "description": None,
                    "url": f"{host.api_url}/teams/{team_id}",
                    "members_url": f"{host.api_url}/teams/{team_id}/members{{/member}}",
                    "repositories_url": f"{host.api_url}/teams/{team_id}/repos",
                },
            )
        )
    return as_json(200, teams)


def _content(
    call: Call, repo: FakeRepo, ref: str, path: str, data: bytes
) -> dict[str, Any]:
    host = call.host
    sha = blob_sha(data)
    api = f"{host.api_url}/repos/{repo.full_name}"
    html = f"{host.web_url}/{repo.full_name}/blob/{ref}/{path}"
    return {
        "name": posixpath.basename(path),
        "path": path,
        "sha": sha,
        "size": len(data),
        "url": f"{api}/contents/{path}?ref={ref}",
        "html_url": html,
        "git_url": f"{api}/git/blobs/{sha}",
        "download_url": f"{host.web_url}/raw/{repo.full_name}/{ref}/{path}",
        "_links": {
            "self": f"{api}/contents/{path}?ref={ref}",
            "git": f"{api}/git/blobs/{sha}",
            "html": html,
        },
    }


@router.add("GET", "/repos/{owner}/{repo}/contents/{path+}")
def get_content(call: Call) -> Answer:
    repo = _repo(call)
    if repo is None:
        return _not_found(call.host)
    ref = call.query.get("ref") or repo.default_branch
    path = call.params["path"]
    data = call.host.read(repo, ref, path)
    if data is None:
        return _not_found(call.host)
    if "raw" in call.headers.get("accept", ""):
        return as_text(200, data, "application/vnd.github.raw; charset=utf-8")
    template = retarget(
        shape("github", "content-file"), [*_hosts(call.host), (SAMPLE, repo.full_name)]
    )
    encoded = base64.encodebytes(data).decode()
    body = fill(
        template,
        {
            **_content(call, repo, ref, path, data),
            "content": encoded,
            "encoding": "base64",
            "type": "file",
        },
    )
    return as_json(200, body)


@router.add("PUT", "/repos/{owner}/{repo}/contents/{path+}")
def put_content(call: Call) -> Answer:
    repo = _repo(call)
    if not call.authed:
        return _unauthorized()
    if repo is None:
        return _not_found(call.host)
    body, path, host = call.json(), call.params["path"], call.host
    try:
        text = base64.b64decode(str(body.get("content", "")), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return _invalid("content is not valid Base64")
    branch = str(body.get("branch") or repo.default_branch)
    parent = host.branch_sha(repo, branch)
    if parent is None:
        return error(404, "error-not-found", f"Branch {branch} not found")
    existing = host.read(repo, branch, path)
    if existing is not None and body.get("sha") != blob_sha(existing):
        return _invalid(
            '"sha" wasn\'t supplied.' if "sha" not in body else "sha does not match"
        )
    message = str(body.get("message") or f"Create {path}")
    sha = host.commit(repo, branch, {path: text}, message)
    tree, parents = commit_info(host.git_dir(repo), sha)
    api, web = (
        f"{host.api_url}/repos/{repo.full_name}",
        f"{host.web_url}/{repo.full_name}",
    )
    template = retarget(
        shape("github", "create-content"), [*_hosts(host), (SAMPLE, repo.full_name)]
    )
    when = {
        "date": iso(repo.pushed_at),
        "name": "Greenroom Bot",
        "email": "bot@example.invalid",
    }
    answer = fill(
        template,
        {
            "content": _content(call, repo, branch, path, text.encode()),
            "commit": {
                "sha": sha,
                "node_id": _node_id("Commit", int(sha[:7], 16)),
                "url": f"{api}/git/commits/{sha}",
                "html_url": f"{web}/commit/{sha}",
                "author": when,
                "committer": when,
                "message": message,
                "tree": {"url": f"{api}/git/trees/{tree}", "sha": tree},
                "parents": [
                    {
                        "url": f"{api}/git/commits/{p}",
                        "html_url": f"{web}/commit/{p}",
                        "sha": p,
                    }
                    for p in parents
                ],
            },
        },
    )
    return as_json(200 if existing is not None else 201, answer)


# -- refs ---------------------------------------------------------------------


def _ref_json(
    call: Call, repo: FakeRepo, name: str, ref: str, sha: str
) -> dict[str, Any]:
    api = f"{call.host.api_url}/repos/{repo.full_name}"
    template = retarget(
        shape("github", name), [*_hosts(call.host), (SAMPLE, repo.full_name)]
    )
    return fill(
        template,
        {
            "ref": ref,
            "node_id": _node_id("Ref", repo.id),
            "url": f"{api}/git/{ref}",
            "object": {"type": "commit", "sha": sha, "url": f"{api}/git/commits/{sha}"},
        },
    )


@router.add("GET", "/repos/{owner}/{repo}/git/ref/{ref+}")
def get_ref(call: Call) -> Answer:
    repo = _repo(call)
    ref = call.params["ref"]
    if repo is None or not ref.startswith("heads/"):
        return _not_found(call.host)
    sha = call.host.branch_sha(repo, ref.removeprefix("heads/"))
    if sha is None:
        return _not_found(call.host)
    return as_json(200, _ref_json(call, repo, "git-ref", f"refs/{ref}", sha))


@router.add("POST", "/repos/{owner}/{repo}/git/refs")
def create_ref(call: Call) -> Answer:
    repo = _repo(call)
    if not call.authed:
        return _unauthorized()
    if repo is None:
        return _not_found(call.host)
    body = call.json()
    ref, sha = str(body.get("ref", "")), str(body.get("sha", ""))
    if not ref.startswith("refs/heads/") or ref == "refs/heads/":
        return _invalid("Reference name is invalid")
    if git.resolve(call.host.git_dir(repo), sha) != sha:
        return _invalid("Object does not exist")
    branch = ref.removeprefix("refs/heads/")
    if call.host.branch_sha(repo, branch) is not None:
        return _invalid("Reference already exists")
    call.host.create_branch(repo, branch, sha)
    return as_json(201, _ref_json(call, repo, "create-ref", ref, sha))


# -- pull requests ------------------------------------------------------------


def pull_json(call: Call, pull: FakePull, name: str) -> dict[str, Any]:
    host, repo = call.host, pull.repo
    template = shape("github", name)
    data = retarget(
        template, [*_hosts(host), (SAMPLE, repo.full_name), ("1347", str(pull.number))]
    )
    owner = account(host, template["head"]["user"], repo.owner)
    bot = account(host, template["user"], host.login)
    repo_data = repo_json(call, repo)
    head = host.branch_sha(repo, pull.source_branch) if pull.state == "open" else None

    def end(branch: str, sha: str | None) -> dict[str, Any]:
        return {
            "label": f"{repo.owner}:{branch}",
            "ref": branch,
            "sha": sha,
            "user": owner,
            "repo": repo_data,
        }

    head_sha = head or pull.head_sha
    api = f"{host.api_url}/repos/{repo.full_name}"
    return fill(
        data,
        {
            "id": pull.id,
            "node_id": _node_id("PullRequest", pull.id),
            "number": pull.number,
            "state": "open" if pull.state == "open" else "closed",
            "locked": False,
            "active_lock_reason": None,
            "title": pull.title,
            "body": pull.body or None,
            "user": bot,
            "created_at": iso(pull.created_at),
            "updated_at": iso(pull.updated_at),
            "closed_at": iso(pull.closed_at),
            "merged_at": iso(pull.merged_at),
            "merge_commit_sha": pull.merge_sha,
            "statuses_url": f"{api}/statuses/{head_sha}",
            "head": end(pull.source_branch, head_sha),
            "base": end(pull.target_branch, host.branch_sha(repo, pull.target_branch)),
            "_links": {"statuses": {"href": f"{api}/statuses/{head_sha}"}},
            "merged": pull.state == "merged",
            "mergeable": True if pull.state == "open" else None,
            "mergeable_state": "clean" if pull.state == "open" else "unknown",
            "merged_by": bot if pull.state == "merged" else None,
            "changed_files": len(pull.files),
            "comments": 0,
            "review_comments": 0,
        },
    )


@router.add("POST", "/repos/{owner}/{repo}/pulls")
def create_pull(call: Call) -> Answer:
    repo = _repo(call)
    if not call.authed:
        return _unauthorized()
    if repo is None:
        return _not_found(call.host)
    body = call.json()
    head = str(body.get("head", "")).rpartition(":")[2]
    base = str(body.get("base") or repo.default_branch)
    host = call.host
    if not body.get("title") or host.branch_sha(repo, head) is None:
        return _invalid("Validation Failed")
    if host.branch_sha(repo, base) is None:
        return _invalid("Validation Failed")
    for pull in host.pulls:
        if (pull.repo, pull.source_branch, pull.target_branch, pull.state) == (
            repo,
            head,
            base,
            "open",
        ):
            return _invalid(f"A pull request already exists for {repo.owner}:{head}.")
    pull = host.open_pull(
        repo, head, base, str(body["title"]), str(body.get("body") or "")
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


# -- organisations: teams and members (people/sources/github.py) ---------------


def _rows(call: Call, rows: list[Any], render: Callable[[Any], Any]) -> Answer:
    """One page of any listing, paged like the repository listings."""
    size = call.number("per_page", 30, 1, call.host.page_max)
    page = call.number("page", 1)
    last = paging.pages(len(rows), size)
    body = [render(row) for row in paging.window(rows, page, size)]
    link = paging.link(call.host.api_url + call.path, call.query, page, last)
    return as_json(200, body, {"Link": link} if link else {})


def _org(call: Call) -> str | None:
    """The organisation of the path, as the host spells it (None: not one)."""
    wanted = call.params["org"].casefold()
    for org in call.host.org_members:
        if org.casefold() == wanted:
            return org
    return None


def _title(team: FakeTeam) -> str:
    return team.name or team.slug.replace("-", " ").title()


def _team_json(call: Call, team: FakeTeam, with_parent: bool = True) -> dict[str, Any]:
    host, template = call.host, item("github", "org-teams")
    data = retarget(
        template,
        [
            *_hosts(host),
            ("/orgs/github/", f"/orgs/{team.org}/"),
            ("justice-league", team.slug),
            ("Justice League", _title(team)),
        ],
    )
    team_id = host.account_id(f"team:{team.org}/{team.slug}")
    parent = host.find_team(team.org, team.parent) if team.parent else None
    body = fill(
        data,
        {
            "id": team_id,
            "node_id": _node_id("Team", team_id),
            "name": _title(team),
            "slug": team.slug,
            "description": team.description or None,
            "url": f"{host.api_url}/teams/{team_id}",
            "html_url": f"{host.web_url}/orgs/{team.org}/teams/{team.slug}",
            "members_url": f"{host.api_url}/teams/{team_id}/members{{/member}}",
            "repositories_url": f"{host.api_url}/teams/{team_id}/repos",
            "parent": _team_json(call, parent, with_parent=False) if parent else None,
        },
    )
    if not with_parent:  # a team-simple: the same fields, less its own parent
        body.pop("parent", None)
    return body


def _person_json(call: Call, template: dict[str, Any], login: str) -> dict[str, Any]:
    """A user account (people are users, whatever `host.users` says of owners)."""
    number = call.host.account_id(login)
    return fill(
        account(call.host, template, login),
        {"type": "User", "node_id": _node_id("User", number)},
    )


def _member_json(call: Call, login: str, name: str = "team-members") -> dict[str, Any]:
    return _person_json(call, item("github", name), login)


def _team_members(host: FakeHost, team: FakeTeam) -> dict[str, str]:
    """Everyone the team lists: its own members and its child teams' (at any
    depth), each with their role where they are one (a maintainer anywhere wins)."""
    found: dict[str, str] = {}
    pending, seen = [team], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for login, role in current.members.items():
            if found.get(login) != "maintainer":
                found[login] = role
        pending += [
            child
            for child in host.teams
            if child.org.casefold() == current.org.casefold()
            and child.parent.casefold() == current.slug.casefold()
        ]
    return found


@router.add("GET", "/orgs/{org}/teams")
def org_teams(call: Call) -> Answer:
    if not call.authed:
        return _unauthorized()
    org = _org(call)
    if org is None:
        return _not_found(call.host)
    teams = [team for team in call.host.teams if team.org == org]
    return _rows(call, teams, lambda team: _team_json(call, team))


@router.add("GET", "/orgs/{org}/teams/{slug}/members")
def team_members(call: Call) -> Answer:
    if not call.authed:
        return _unauthorized()
    org = _org(call)
    team = call.host.find_team(org, call.params["slug"]) if org else None
    if team is None:
        return _not_found(call.host)
    role = call.query.get("role", "all")
    members = _team_members(call.host, team)
    logins = sorted(login for login, has in members.items() if role in ("all", has))
    return _rows(call, logins, lambda login: _member_json(call, login))


@router.add("GET", "/orgs/{org}/members")
def org_members(call: Call) -> Answer:
    if not call.authed:
        return _unauthorized()
    org = _org(call)
    if org is None:
        return _not_found(call.host)
    logins = sorted(call.host.org_members[org])
    return _rows(call, logins, lambda login: _member_json(call, login, "org-members"))


@router.add("GET", "/users/{user}")
def get_user(call: Call) -> Answer:
    if not call.authed:
        return _unauthorized()
    host, login = call.host, call.params["user"]
    person = host.people.get(login)
    if person is None and not host.is_user(login):
        return _not_found(host)
    data = _person_json(call, shape("github", "user-public"), login)
    return as_json(
        200,
        fill(
            data,
            {
                "name": (person.name or None) if person else None,
                "email": (person.email or None) if person else None,
                "company": None,
                "blog": "",
                "location": None,
                "bio": None,
                "twitter_username": None,
            },
        ),
    )


# -- GitHub App ---------------------------------------------------------------


@router.add("POST", "/app/installations/{installation}/access_tokens")
def installation_token(call: Call) -> Answer:
    if not call.authed:
        return error(401, "error-unauthorized", "A JSON web token could not be decoded")
    if call.params["installation"] != str(call.host.installation_id):
        return _not_found(call.host)
    token, expires = call.host.issue_token()
    return as_json(
        201,
        fill(
            shape("github", "installation-token"),
            {
                "token": token,
                "expires_at": iso(datetime.fromtimestamp(expires, UTC)),
            },
        ),
    )


def _authenticate(host: FakeHost, path: str, token: str | None) -> bool:
    """App routes take the app's JWT; everything else a token."""
    if path.startswith("/app/"):
        return host.app.verify(token)
    return host.token_valid(token)


KIND = Kind(
    name="github",
    api_prefix="/api/v3",
    router=router,
    token=lambda headers: scheme(headers, "bearer", "token"),
    answer_headers=_rate_headers,
    limited=_limited,
    not_found=_not_found,
    authenticate=_authenticate,
)
