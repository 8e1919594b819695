"""The fake git host answers like each real host: paging, files, auth, limits, git."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from tests.support.fakehost import FakeHost, FakeRepo
from tests.support.fakehost.shapes import SHAPES

KINDS = ["github", "gitlab", "gitea", "bitbucket-cloud", "bitbucket-server"]
TOKEN = "host-token-1"
ORG = "acme"
CATALOG = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n"

Reply = tuple[int, dict[str, str], bytes]


def request(
    host: FakeHost,
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: Any = None,
    form: dict[str, str] | None = None,
    timeout: float = 10,
) -> Reply:
    """One HTTP request with the host kind's own way of carrying the token."""
    if not url.startswith("http"):
        url = host.api_url + url
    headers = {"Accept": "application/json"}
    if token:
        headers.update(
            {
                "github": {"Authorization": f"Bearer {token}"},
                "gitlab": {"PRIVATE-TOKEN": token},
                "gitea": {"Authorization": f"token {token}"},
                "bitbucket-cloud": {"Authorization": f"Bearer {token}"},
                "bitbucket-server": {"Authorization": f"Bearer {token}"},
            }[host.kind]
        )
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return answer.status, dict(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as failure:
        return failure.code, dict(failure.headers.items()), failure.read()


def get_json(host: FakeHost, url: str, token: str | None = TOKEN) -> Any:
    status, _, body = request(host, "GET", url, token=token)
    assert status == 200, body[:300]
    return json.loads(body)


def links(header: str) -> dict[str, str]:
    return {rel: href for href, rel in re.findall(r'<([^>]+)>;\s*rel="(\w+)"', header)}


def list_org(host: FakeHost, token: str | None = TOKEN) -> tuple[list[str], int]:
    """Every repository name of ORG, following the host's paging; and the page count."""
    names: list[str] = []
    pages = 0
    kind = host.kind
    url: str | None = {
        "github": f"/orgs/{ORG}/repos?per_page=100",
        "gitlab": f"/groups/{ORG}/projects?include_subgroups=true&per_page=100",
        "gitea": f"/orgs/{ORG}/repos?limit=100",
        "bitbucket-cloud": f"/repositories/{ORG}?pagelen=100",
        "bitbucket-server": f"/projects/{ORG}/repos?limit=100",
    }[kind]
    while url:
        status, headers, raw = request(host, "GET", url, token=token)
        assert status == 200, raw[:300]
        body, pages = json.loads(raw), pages + 1
        if kind in ("github", "gitea"):
            names += [repo["name"] for repo in body]
            url = links(headers.get("Link", "")).get("next")
        elif kind == "gitlab":
            names += [project["path"] for project in body]
            nxt = headers["X-Next-Page"]
            assert (nxt == "") == ("next" not in links(headers["Link"]))
            url = (
                f"/groups/{ORG}/projects?include_subgroups=true&per_page=100&page={nxt}"
            )
            url = url if nxt else None
        elif kind == "bitbucket-cloud":
            names += [repo["slug"] for repo in body["values"]]
            url = body.get("next")
        else:
            names += [repo["slug"] for repo in body["values"]]
            url = None
            if not body["isLastPage"]:
                url = f"/projects/{ORG}/repos?limit=100&start={body['nextPageStart']}"
    if kind == "gitea":
        assert int(headers["X-Total-Count"]) == len(names)
    return names, pages


def repo_url(host: FakeHost, repo: FakeRepo) -> str:
    return {
        "github": f"/repos/{repo.owner}/{repo.name}",
        "gitlab": f"/projects/{quote(repo.full_name, safe='')}",
        "gitea": f"/repos/{repo.owner}/{repo.name}",
        "bitbucket-cloud": f"/repositories/{repo.owner}/{repo.name}",
        "bitbucket-server": f"/projects/{repo.owner}/repos/{repo.name}",
    }[host.kind]


def read_file(
    host: FakeHost,
    repo: FakeRepo,
    path: str,
    ref: str = "main",
    token: str | None = TOKEN,
) -> str | None:
    """A file's text through the host's file route, or None on 404."""
    base = repo_url(host, repo)
    url = {
        "github": f"{base}/contents/{path}?ref={ref}",
        "gitlab": f"{base}/repository/files/{quote(path, safe='')}?ref={ref}",
        "gitea": f"{base}/contents/{path}?ref={ref}",
        "bitbucket-cloud": f"{base}/src/{ref}/{path}",
        "bitbucket-server": f"{base}/raw/{path}?at=refs/heads/{ref}",
    }[host.kind]
    status, _, body = request(host, "GET", url, token=token)
    if status == 404:
        return None
    assert status == 200, body[:300]
    if host.kind.startswith("bitbucket"):
        return body.decode()
    return base64.b64decode(json.loads(body)["content"]).decode()


def git_env(tmp: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
    }


def ls_remote(url: str, tmp: Path, *config: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *config, "ls-remote", url],
        env=git_env(tmp),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.fixture(scope="module", params=KINDS)
def host(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FakeHost]:
    """One host per kind: ORG with 250 repositories (r007 private), and `svc`."""
    fake = FakeHost(request.param, tmp_path_factory.mktemp(request.param))
    for number in range(249):
        fake.add(FakeRepo(ORG, f"r{number:03}", private=number == 7, topics=["bulk"]))
    fake.add(
        FakeRepo(
            ORG,
            "svc",
            files={"catalog-info.yaml": CATALOG, "docs/index.md": "# Docs\n"},
            private=True,
            topics=["backstage"],
            description="The service",
            teams={"platform": "admin", "readers": "pull"},
        )
    )
    with fake:
        yield fake


def svc(host: FakeHost) -> FakeRepo:
    with host.lock:
        repo = host.find(ORG, "svc")
    assert repo is not None
    return repo


def test_lists_an_organisation_of_250_across_pages(host: FakeHost) -> None:
    names, pages = list_org(host)
    assert len(names) == len(set(names)) == 250
    assert pages == 3
    public, _ = list_org(host, token=None)
    assert "svc" not in public
    assert "r007" not in public
    assert len(public) == 248
    wrong, _ = list_org(host, token="not-the-token")
    assert sorted(wrong) == sorted(public)


def test_default_page_sizes_and_small_pages(host: FakeHost) -> None:
    size_key = {
        "github": "per_page",
        "gitlab": "per_page",
        "gitea": "limit",
        "bitbucket-cloud": "pagelen",
        "bitbucket-server": "limit",
    }[host.kind]
    url = {
        "github": f"/orgs/{ORG}/repos",
        "gitlab": f"/groups/{ORG}/projects",
        "gitea": f"/orgs/{ORG}/repos",
        "bitbucket-cloud": f"/repositories/{ORG}",
        "bitbucket-server": f"/projects/{ORG}/repos",
    }[host.kind]
    body = get_json(host, url)
    rows = body if isinstance(body, list) else body["values"]
    assert (
        len(rows)
        == {
            "github": 30,
            "gitlab": 20,
            "gitea": 30,
            "bitbucket-cloud": 10,
            "bitbucket-server": 25,
        }[host.kind]
    )
    body = get_json(host, f"{url}?{size_key}=1000")  # capped at page_max
    rows = body if isinstance(body, list) else body["values"]
    assert len(rows) == 100


def test_reads_a_file_and_404s_a_missing_one(host: FakeHost) -> None:
    repo = svc(host)
    assert read_file(host, repo, "catalog-info.yaml") == CATALOG
    assert read_file(host, repo, "docs/index.md") == "# Docs\n"
    assert read_file(host, repo, "missing.yaml") is None
    assert read_file(host, repo, "catalog-info.yaml", ref="no-such-branch") is None


def test_private_repository_is_invisible_without_the_token(host: FakeHost) -> None:
    repo = svc(host)
    for token in (None, "wrong-token"):
        status, _, _ = request(host, "GET", repo_url(host, repo), token=token)
        assert status == 404
        assert read_file(host, repo, "catalog-info.yaml", token=token) is None
    data = get_json(host, repo_url(host, repo))
    assert (
        data[
            {
                "github": "name",
                "gitlab": "path",
                "gitea": "name",
                "bitbucket-cloud": "slug",
                "bitbucket-server": "slug",
            }[host.kind]
        ]
        == "svc"
    )
    public = get_json(host, repo_url(host, host.find(ORG, "r001")), token=None)
    assert public


def test_answers_keep_every_recorded_field(host: FakeHost) -> None:
    name = {
        "github": "repo",
        "gitlab": "project",
        "gitea": "repo",
        "bitbucket-cloud": "repository",
        "bitbucket-server": "repo",
    }[host.kind]
    recorded = json.loads((SHAPES / host.kind / f"{name}.json").read_text())
    answer = get_json(host, repo_url(host, svc(host)))
    # Bitbucket DC leaves out an empty description; the rest is all there.
    assert set(recorded) - set(answer) <= {"description"}
    assert host.web_url in json.dumps(answer)
    for sample in (
        "api.github.com",
        "example.com/diaspora",
        "bitbucket.org/atlassian",
        "gitea.example.com/example-org",
    ):
        assert sample not in json.dumps(answer)


def test_identity(host: FakeHost) -> None:
    if host.kind == "bitbucket-server":
        _, headers, _ = request(host, "GET", f"/projects/{ORG}/repos", token=TOKEN)
        assert headers["X-AUSERNAME"] == host.login
        _, headers, _ = request(host, "GET", f"/projects/{ORG}/repos")
        assert "X-AUSERNAME" not in headers
        return
    assert request(host, "GET", "/user")[0] == 401
    assert request(host, "GET", "/user", token="wrong")[0] == 401
    me = get_json(host, "/user")
    assert host.login in (me.get("login"), me.get("username"))


def test_git_needs_the_token_for_a_private_repository(
    host: FakeHost, tmp_path: Path
) -> None:
    repo = svc(host)
    url = host.clone_url(repo)
    denied = ls_remote(url, tmp_path)
    assert denied.returncode != 0
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    allowed = ls_remote(
        url, tmp_path, "-c", f"http.extraHeader=Authorization: Basic {basic}"
    )
    assert allowed.returncode == 0, allowed.stderr
    assert f"refs/heads/{repo.default_branch}" in allowed.stdout
    sha = host.branch_sha(repo, repo.default_branch)
    assert f"{sha}\tHEAD" in allowed.stdout
    bearer = ls_remote(
        url, tmp_path, "-c", f"http.extraHeader=Authorization: Bearer {TOKEN}"
    )
    assert bearer.returncode == 0, bearer.stderr
    public = ls_remote(host.clone_url(host.find(ORG, "r001")), tmp_path)
    assert public.returncode == 0, public.stderr
    seen = [r for r in host.requests if r.git]
    assert any(r.authenticated for r in seen)
    assert any(not r.authenticated for r in seen)


def test_git_answers_401_with_a_basic_challenge(host: FakeHost) -> None:
    url = host.clone_url(svc(host)) + "/info/refs?service=git-upload-pack"
    status, headers, _ = request(host, "GET", url)
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="fake"'
    url = host.clone_url(svc(host)) + "/info/refs?service=git-receive-pack"
    assert request(host, "GET", url, token=TOKEN)[0] in (401, 403)


def test_rate_limit_answered_then_cleared(host: FakeHost) -> None:
    url = repo_url(host, svc(host))
    host.limit_after(1, retry_after=1)
    status, headers, _ = request(host, "GET", url, token=TOKEN)
    assert status == 200
    if host.kind == "github":
        assert int(headers["x-ratelimit-remaining"]) > 0
        assert headers["x-ratelimit-resource"] == "core"
    if host.kind == "gitlab":
        assert "RateLimit-Remaining" in headers
    status, headers, _ = request(host, "GET", url, token=TOKEN)
    if host.kind == "github":
        assert status == 403
        assert headers["x-ratelimit-remaining"] == "0"
        wait = int(headers["x-ratelimit-reset"]) - time.time()
    else:
        assert status == 429
        wait = int(headers["Retry-After"])
    assert 0 < wait <= 2
    assert request(host, "GET", url, token=TOKEN)[0] == status  # still limited
    time.sleep(wait + 0.05)
    assert request(host, "GET", url, token=TOKEN)[0] == 200


def test_failure_modes(host: FakeHost) -> None:
    url = repo_url(host, svc(host))
    host.fail_next("garbage")
    status, headers, body = request(host, "GET", url, token=TOKEN)
    assert status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    host.fail_next("html")
    status, headers, body = request(host, "GET", url, token=TOKEN)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    host.fail_next("500", count=2)
    assert [request(host, "GET", url, token=TOKEN)[0] for _ in range(3)] == [
        500,
        500,
        200,
    ]


@pytest.mark.parametrize("host", ["github"], indirect=True)  # same code for every kind
def test_timeout_holds_the_connection(host: FakeHost) -> None:
    host.fail_next("timeout")
    started = time.monotonic()
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        request(host, "GET", f"/orgs/{ORG}/repos", token=TOKEN, timeout=0.5)
    assert time.monotonic() - started < 5
    assert request(host, "GET", f"/orgs/{ORG}/repos", token=TOKEN)[0] == 200


def open_pull(host: FakeHost, repo: FakeRepo, branch: str, path: str, text: str) -> int:
    """Branch, add a file there, open a pull request: through each host's API."""
    base = repo_url(host, repo)
    content = base64.b64encode(text.encode()).decode()
    kind = host.kind
    if kind == "github":
        sha = get_json(host, f"{base}/git/ref/heads/main")["object"]["sha"]
        ref = {"ref": f"refs/heads/{branch}", "sha": sha}
        assert (
            request(host, "POST", f"{base}/git/refs", token=TOKEN, body=ref)[0] == 201
        )
        put = {"message": "Add", "content": content, "branch": branch}
        assert (
            request(host, "PUT", f"{base}/contents/{path}", token=TOKEN, body=put)[0]
            == 201
        )
        pull = {"title": "Add", "head": branch, "base": "main", "body": "Please"}
        status, _, body = request(host, "POST", f"{base}/pulls", token=TOKEN, body=pull)
        key = "number"
    elif kind == "gitlab":
        query = urlencode({"branch": branch, "ref": "main"})
        assert (
            request(host, "POST", f"{base}/repository/branches?{query}", token=TOKEN)[0]
            == 201
        )
        file = {"branch": branch, "content": text, "commit_message": "Add"}
        url = f"{base}/repository/files/{quote(path, safe='')}"
        assert request(host, "POST", url, token=TOKEN, body=file)[0] == 201
        mr = {"source_branch": branch, "target_branch": "main", "title": "Add"}
        status, _, body = request(
            host, "POST", f"{base}/merge_requests", token=TOKEN, body=mr
        )
        key = "iid"
    elif kind == "gitea":
        file = {
            "content": content,
            "message": "Add",
            "branch": "main",
            "new_branch": branch,
        }
        assert (
            request(host, "POST", f"{base}/contents/{path}", token=TOKEN, body=file)[0]
            == 201
        )
        pull = {"title": "Add", "head": branch, "base": "main"}
        status, _, body = request(host, "POST", f"{base}/pulls", token=TOKEN, body=pull)
        key = "number"
    else:
        form = {path: text, "branch": branch, "message": "Add"}
        status, headers, _ = request(
            host, "POST", f"{base}/src", token=TOKEN, form=form
        )
        assert status == 201
        assert "/commit/" in headers["Location"]
        pull = {
            "title": "Add",
            "source": {"branch": {"name": branch}},
            "destination": {"branch": {"name": "main"}},
        }
        status, _, body = request(
            host, "POST", f"{base}/pullrequests", token=TOKEN, body=pull
        )
        key = "id"
    assert status == 201, body[:500]
    return int(json.loads(body)[key])


def pull_state(host: FakeHost, repo: FakeRepo, number: int) -> str:
    base = repo_url(host, repo)
    path = {
        "github": "pulls",
        "gitlab": "merge_requests",
        "gitea": "pulls",
        "bitbucket-cloud": "pullrequests",
    }[host.kind]
    data = get_json(host, f"{base}/{path}/{number}")
    if host.kind in ("github", "gitea"):
        return "merged" if data["merged"] else data["state"]
    return str(data["state"]).lower()


@pytest.mark.parametrize(
    "host", [k for k in KINDS if k != "bitbucket-server"], indirect=True
)
def test_pull_request_merged_changes_the_default_branch(host: FakeHost) -> None:
    repo = host.add(FakeRepo(ORG, f"pr-{host.kind}", files={"README.md": "hi\n"}))
    try:
        number = open_pull(host, repo, "add-catalog", "catalog-info.yaml", CATALOG)
        assert read_file(host, repo, "catalog-info.yaml") is None
        assert read_file(host, repo, "catalog-info.yaml", ref="add-catalog") == CATALOG
        assert pull_state(host, repo, number) in ("open", "opened")
        pull = host.pulls[-1]
        assert (pull.repo, pull.number, pull.source_branch, pull.target_branch) == (
            repo,
            number,
            "add-catalog",
            "main",
        )
        assert pull.files == {"catalog-info.yaml": CATALOG}
        host.merge(pull)
        assert pull_state(host, repo, number) == "merged"
        assert read_file(host, repo, "catalog-info.yaml") == CATALOG
        assert repo.files == {"README.md": "hi\n", "catalog-info.yaml": CATALOG}
        second = open_pull(host, repo, "other", "x.txt", "x\n")
        host.close(host.pulls[-1])
        assert pull_state(host, repo, second) in ("closed", "declined")
        assert read_file(host, repo, "x.txt") is None
    finally:
        host.delete(repo)


def test_rename_transfer_archive_delete(host: FakeHost, tmp_path: Path) -> None:
    repo = host.add(FakeRepo(ORG, "moving", files={"a.txt": "a\n"}))
    old_url, old_clone = repo_url(host, repo), host.clone_url(repo)
    host.rename(repo, "moved")
    assert request(host, "GET", old_url, token=TOKEN)[0] == 404
    assert request(host, "GET", repo_url(host, repo), token=TOKEN)[0] == 200
    assert ls_remote(old_clone, tmp_path).returncode != 0
    assert ls_remote(host.clone_url(repo), tmp_path).returncode == 0
    host.transfer(repo, "other-org")
    assert repo.full_name == "other-org/moved"
    assert read_file(host, repo, "a.txt") == "a\n"
    sha = host.push(repo, {"a.txt": None, "b.txt": "b\n"})
    assert host.branch_sha(repo, "main") == sha
    assert repo.files == {"b.txt": "b\n"}
    if host.kind in ("github", "gitlab", "gitea", "bitbucket-server"):
        host.archive(repo)
        assert get_json(host, repo_url(host, repo))["archived"] is True
    host.delete(repo)
    assert request(host, "GET", repo_url(host, repo), token=TOKEN)[0] == 404


def test_requests_are_recorded_without_the_token(host: FakeHost) -> None:
    before = len(host.requests)
    request(host, "GET", repo_url(host, svc(host)), token=TOKEN)
    request(host, "GET", repo_url(host, svc(host)))
    mine = host.requests[before:]
    assert [(r.method, r.authenticated) for r in mine] == [
        ("GET", True),
        ("GET", False),
    ]
    assert all(TOKEN not in r.path for r in host.requests)


@pytest.mark.parametrize("host", ["gitlab"], indirect=True)
def test_gitlab_subgroups_and_teams(host: FakeHost) -> None:
    nested = host.add(FakeRepo(f"{ORG}/platform/tools", "deep", files={"a": "a"}))
    try:
        names, _ = list_org(host)
        assert "deep" in names
        assert len(names) == 251
        direct = get_json(host, f"/groups/{ORG}/projects?per_page=100&page=3")
        assert "deep" not in [p["path"] for p in direct]
        project = get_json(host, f"/projects/{quote(nested.full_name, safe='')}")
        group = project["namespace"]
        assert group["full_path"] == f"{ORG}/platform/tools"
        assert group["kind"] == "group"
        by_id = get_json(host, f"/groups/{group['id']}/projects")
        assert [p["path"] for p in by_id] == ["deep"]
    finally:
        host.delete(nested)
    members = get_json(host, f"/projects/{svc(host).id}/members/all")
    assert {(m["username"], m["access_level"]) for m in members} == {
        ("platform", 50),
        ("readers", 20),
    }
    anonymous = get_json(host, "/projects?per_page=1", token=None)[0]
    assert "visibility" not in anonymous
    assert "namespace" in anonymous


@pytest.mark.parametrize("host", ["github"], indirect=True)
def test_github_teams_and_app(host: FakeHost, tmp_path: Path) -> None:
    teams = get_json(host, f"/repos/{ORG}/svc/teams")
    assert {(t["slug"], t["permission"]) for t in teams} == {
        ("platform", "admin"),
        ("readers", "pull"),
    }
    url = f"/app/installations/{host.installation_id}/access_tokens"
    assert request(host, "POST", url, token=TOKEN)[0] == 401
    status, _, body = request(host, "POST", url, token=app_jwt(host))
    assert status == 201, body
    installation = json.loads(body)
    assert installation["expires_at"].endswith("Z")
    token = installation["token"]
    listed = get_json(
        host, "/installation/repositories?per_page=100&page=3", token=token
    )
    assert listed["total_count"] == 250
    assert len(listed["repositories"]) == 50
    assert request(host, "GET", "/installation/repositories", token=TOKEN)[0] == 403
    assert get_json(host, f"/repos/{ORG}/svc", token=token)["private"] is True
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    cloned = ls_remote(
        host.clone_url(svc(host)),
        tmp_path,
        "-c",
        f"http.extraHeader=Authorization: Basic {basic}",
    )
    assert cloned.returncode == 0, cloned.stderr


def app_jwt(host: FakeHost) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    now = int(time.time())
    head = part(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = part(
        json.dumps({"iat": now - 30, "exp": now + 540, "iss": host.app_id}).encode()
    )
    key = serialization.load_pem_private_key(
        host.app_private_key_pem.encode(), password=None
    )
    signature = key.sign(
        f"{head}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )  # type: ignore[union-attr, call-arg]
    return f"{head}.{claims}.{part(signature)}"


def test_repositories_are_valid_git(host: FakeHost, tmp_path: Path) -> None:
    git_dir = host.git_dir(svc(host))
    result = subprocess.run(
        ["git", f"--git-dir={git_dir}", "fsck", "--strict"],
        env=git_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_every_shape_is_json_and_has_a_source() -> None:
    sources = (SHAPES / "SOURCES.md").read_text()
    files = sorted(SHAPES.glob("*/*.json"))
    assert len(files) > 40
    for path in files:
        json.loads(path.read_text())
        assert path.name in sources, path


@pytest.mark.parametrize("host", ["github", "gitlab", "gitea"], indirect=True)
def test_user_owned_repositories(host: FakeHost) -> None:
    host.users.add("alice")
    repo = host.add(FakeRepo("alice", "dotfiles", files={"a": "a"}))
    try:
        if host.kind == "gitlab":
            listed = get_json(host, "/users/alice/projects")
            assert [p["path"] for p in listed] == ["dotfiles"]
            assert listed[0]["namespace"]["kind"] == "user"
            assert request(host, "GET", "/users/acme/projects", token=TOKEN)[0] == 404
            return
        listed = get_json(host, "/users/alice/repos")
        assert [r["name"] for r in listed] == ["dotfiles"]
        if host.kind == "github":
            assert listed[0]["owner"]["type"] == "User"
        assert request(host, "GET", "/orgs/alice/repos", token=TOKEN)[0] == 404
    finally:
        host.delete(repo)
        host.users.discard("alice")


@pytest.mark.parametrize("host", ["bitbucket-cloud"], indirect=True)
def test_bitbucket_cloud_src_takes_multipart(host: FakeHost) -> None:
    repo = host.add(FakeRepo(ORG, "multipart", files={"README.md": "hi\n"}))
    try:
        boundary = "fakehost-boundary"
        parts = [("/docs/a.md", "# A\n"), ("message", "Add a"), ("branch", "main")]
        body = (
            "".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n"
                for name, value in parts
            )
            + f"--{boundary}--\r\n"
        )
        req = urllib.request.Request(
            f"{host.api_url}/repositories/{ORG}/multipart/src",
            data=body.encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {TOKEN}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        with urllib.request.urlopen(req, timeout=10) as answer:
            assert answer.status == 201
        assert read_file(host, repo, "docs/a.md") == "# A\n"
        assert repo.files["docs/a.md"] == "# A\n"
    finally:
        host.delete(repo)


@pytest.mark.parametrize("host", ["github"], indirect=True)
def test_github_rejects_a_forged_jwt_and_serves_raw(host: FakeHost) -> None:
    head, claims, signature = app_jwt(host).split(".")
    forged = f"{head}.{claims}.{signature[::-1]}"
    url = f"/app/installations/{host.installation_id}/access_tokens"
    assert request(host, "POST", url, token=forged)[0] == 401
    req = urllib.request.Request(
        f"{host.api_url}/repos/{ORG}/svc/contents/catalog-info.yaml",
        headers={
            "Authorization": f"token {TOKEN}",
            "Accept": "application/vnd.github.raw",
        },
    )
    with urllib.request.urlopen(req, timeout=10) as answer:
        assert answer.read().decode() == CATALOG
