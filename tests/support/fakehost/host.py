"""FakeHost: a local git host (GitHub, GitLab, Gitea, Bitbucket) for tests.

The model lives here; the HTTP side is server.py, each kind's REST API in its
own module. One re-entrant lock guards the model and the git writes.
"""

from __future__ import annotations

import itertools
import secrets
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.support.fakehost import git, server
from tests.support.fakehost.github_app import GitHubApp
from tests.support.fakehost.model import (
    FakeGroup,
    FakePerson,
    FakePull,
    FakeRepo,
    FakeRequest,
    FakeTeam,
    now,
)
from tests.support.fakehost.routes import Kind

API_PREFIX = {
    "github": "/api/v3",
    "gitlab": "/api/v4",
    "gitea": "/api/v1",
    "bitbucket-cloud": "/2.0",
    "bitbucket-server": "/rest/api/1.0",
}
FAILURES = ("garbage", "500", "timeout", "html")


def _kinds() -> dict[str, Kind]:
    from tests.support.fakehost import (
        bitbucket_cloud,
        bitbucket_server,
        gitea,
        github,
        gitlab,
    )

    modules = (github, gitlab, gitea, bitbucket_cloud, bitbucket_server)
    return {module.KIND.name: module.KIND for module in modules}


class FakeHost:
    """A real HTTP server on 127.0.0.1 answering as one kind of git host."""

    def __init__(
        self, kind: str, root: Path, *, token: str = "host-token-1", page_max: int = 100
    ) -> None:
        kinds = _kinds()
        if kind not in kinds:
            raise ValueError(f"unknown kind {kind!r}: one of {sorted(kinds)}")
        self.kind = kind
        self.flavor = kinds[kind]
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.token = token
        self.page_max = page_max
        self.login = "greenroom-bot"  # whom the token belongs to
        self.users: set[str] = {self.login}  # owners that are users, not orgs/groups
        self.requests: list[FakeRequest] = []
        self.pulls: list[FakePull] = []
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self._repos: dict[int, FakeRepo] = {}
        self._owners: set[str] = set()
        self._ids = itertools.count(1)
        self._pull_ids = itertools.count(1)
        self._accounts: dict[str, int] = {}
        self._tokens: dict[str, float] = {}  # GitHub App installation tokens -> expiry
        self._app: GitHubApp | None = None
        self._allowance: int | None = None
        self._retry_after = 1
        self._limited_until: float | None = None
        self._failures: deque[str] = deque()
        self.rate_used = 0
        self.rate_window = int(time.time())
        # People (people/sources/): profiles by login, GitHub organisations'
        # members and teams, GitLab groups' own data (their paths are owners too).
        self.people: dict[str, FakePerson] = {}
        self.org_members: dict[str, set[str]] = {}
        self.teams: list[FakeTeam] = []
        self.groups: dict[str, FakeGroup] = {}
        # A test's way to make one route's answer hostile: the route's path below
        # the API prefix (no query) to a function from the JSON body it would
        # send to the one it sends instead.
        self.rewrites: dict[str, Callable[[Any], Any]] = {}
        self._httpd = server.bind(self)
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> FakeHost:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # releases connections held by fail_next("timeout")
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FakeHost:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.web_url + API_PREFIX[self.kind]

    def clone_url(self, repo: FakeRepo) -> str:
        return f"{self.web_url}{self.flavor.git_prefix}/{repo.owner}/{repo.name}.git"

    def git_dir(self, repo: FakeRepo) -> Path:
        return self.root / repo.owner / f"{repo.name}.git"

    # -- GitHub App ------------------------------------------------------------

    @property
    def app(self) -> GitHubApp:
        with self.lock:
            if self._app is None:
                self._app = GitHubApp()  # an RSA key takes a while: only when asked
            return self._app

    @property
    def app_id(self) -> int:
        return self.app.app_id

    @property
    def installation_id(self) -> int:
        return self.app.installation_id

    @property
    def app_private_key_pem(self) -> str:
        return self.app.private_key_pem

    def issue_token(self, lifetime: int = 3600) -> tuple[str, float]:
        """A new installation token, good until the returned epoch."""
        token = "ghs_" + secrets.token_hex(18)
        expires = time.time() + lifetime
        with self.lock:
            self._tokens[token] = expires
        return token, expires

    def token_valid(self, token: str | None) -> bool:
        if not token:
            return False
        if secrets.compare_digest(token, self.token):
            return True
        with self.lock:
            expires = self._tokens.get(token)
        return expires is not None and time.time() < expires

    def is_installation_token(self, token: str | None) -> bool:
        with self.lock:
            return bool(token) and token in self._tokens

    # -- queries (callers hold the lock) --------------------------------------

    def all_repos(self) -> list[FakeRepo]:
        return sorted(self._repos.values(), key=lambda repo: repo.id)

    def find(self, owner: str, name: str) -> FakeRepo | None:
        """Owner and name compared without case, as the hosts do."""
        key = (owner.casefold(), name.casefold())
        for repo in self._repos.values():
            if (repo.owner.casefold(), repo.name.casefold()) == key:
                return repo
        return None

    def by_id(self, repo_id: int) -> FakeRepo | None:
        return self._repos.get(repo_id)

    def owned_by(self, owner: str, *, nested: bool = False) -> list[FakeRepo]:
        """Repositories of `owner` (with `nested`, of its subgroups too)."""
        owner = owner.casefold()
        return [
            repo
            for repo in self.all_repos()
            if repo.owner.casefold() == owner
            or (nested and repo.owner.casefold().startswith(owner + "/"))
        ]

    def owner_known(self, owner: str) -> bool:
        owner = owner.casefold()
        return any(
            known.casefold() == owner or known.casefold().startswith(owner + "/")
            for known in self._owners
        )

    def owners(self) -> set[str]:
        return set(self._owners)

    def is_user(self, owner: str) -> bool:
        return owner.casefold() in {user.casefold() for user in self.users}

    def visible(self, repo: FakeRepo, authed: bool) -> bool:
        return authed or not repo.private

    def account_id(self, login: str) -> int:
        """A stable numeric id for an account (user, org, group, workspace)."""
        with self.lock:
            return self._accounts.setdefault(
                login.casefold(), 1000 + len(self._accounts)
            )

    # -- changing repositories -------------------------------------------------

    def _own(self, repo: FakeRepo) -> None:
        if self._repos.get(repo.id) is not repo:
            raise KeyError(f"{repo.full_name} is not on this host")

    def add(self, repo: FakeRepo) -> FakeRepo:
        with self.lock:
            if self.find(repo.owner, repo.name) is not None:
                raise ValueError(f"{repo.full_name} already exists")
            repo.id = next(self._ids)
            repo.created_at = repo.pushed_at = now()
            repo.files = dict(repo.files)
            git.create(
                self.git_dir(repo), repo.default_branch, repo.files, int(time.time())
            )
            self._repos[repo.id] = repo
            self._owners.add(repo.owner)
            return repo

    def commit(
        self,
        repo: FakeRepo,
        branch: str,
        changes: dict[str, str | None],
        message: str,
        *,
        start: str | None = None,
        merge: str | None = None,
    ) -> str:
        """A commit on `branch` (created from `start` when new); keeps `files` true."""
        with self.lock:
            self._own(repo)
            sha = git.commit(
                self.git_dir(repo),
                branch,
                changes,
                message,
                int(time.time()),
                start=start,
                merge=merge,
            )
            if branch == repo.default_branch:
                for path, text in changes.items():
                    if text is None:
                        repo.files.pop(path, None)
                    else:
                        repo.files[path] = text
            repo.pushed_at = now()
            return sha

    def push(self, repo: FakeRepo, files: dict[str, str | None]) -> str:
        return self.commit(repo, repo.default_branch, files, "Update files")

    def _move(self, repo: FakeRepo, owner: str, name: str) -> None:
        with self.lock:
            self._own(repo)
            other = self.find(owner, name)
            if other is not None and other is not repo:
                raise ValueError(f"{owner}/{name} already exists")
            source = self.git_dir(repo)
            repo.owner, repo.name = owner, name
            target = self.git_dir(repo)
            target.parent.mkdir(parents=True, exist_ok=True)
            source.rename(target)
            self._owners.add(owner)

    def rename(self, repo: FakeRepo, new_name: str) -> None:
        self._move(repo, repo.owner, new_name)

    def transfer(self, repo: FakeRepo, new_owner: str) -> None:
        self._move(repo, new_owner, repo.name)

    def archive(self, repo: FakeRepo, archived: bool = True) -> None:
        with self.lock:
            self._own(repo)
            repo.archived = archived

    def delete(self, repo: FakeRepo) -> None:
        with self.lock:
            self._own(repo)
            del self._repos[repo.id]
            shutil.rmtree(self.git_dir(repo))

    # -- branches, files and pull requests --------------------------------------

    def branch_sha(self, repo: FakeRepo, branch: str) -> str | None:
        return git.resolve(self.git_dir(repo), f"refs/heads/{branch}")

    def read(self, repo: FakeRepo, ref: str, path: str) -> bytes | None:
        return git.read(self.git_dir(repo), ref, path)

    def create_branch(self, repo: FakeRepo, name: str, sha: str) -> None:
        with self.lock:
            git.set_branch(self.git_dir(repo), name, sha)
            repo.pushed_at = now()

    def open_pull(
        self, repo: FakeRepo, source: str, target: str, title: str, body: str
    ) -> FakePull:
        with self.lock:
            self._own(repo)
            head = self.branch_sha(repo, source)
            base = self.branch_sha(repo, target)
            if head is None or base is None:
                raise KeyError(source if head is None else target)
            number = 1 + sum(1 for pull in self.pulls if pull.repo is repo)
            pull = FakePull(
                repo=repo,
                number=number,
                source_branch=source,
                target_branch=target,
                title=title,
                body=body,
                files=git.changes(self.git_dir(repo), base, head),
                id=next(self._pull_ids),
                head_sha=head,
            )
            self.pulls.append(pull)
            return pull

    def merge(self, pull: FakePull) -> None:
        """A real merge commit on the target branch carrying the pull's changes."""
        with self.lock:
            if pull.state != "open":
                raise ValueError(f"pull {pull.number} is {pull.state}")
            repo = pull.repo
            head = self.branch_sha(repo, pull.source_branch) or pull.head_sha
            base = self.branch_sha(repo, pull.target_branch)
            assert base is not None, pull.target_branch
            pull.files = git.changes(self.git_dir(repo), base, head)
            message = (
                f"Merge pull request #{pull.number} from {pull.source_branch}"
                f"\n\n{pull.title}"
            )
            pull.merge_sha = self.commit(
                repo, pull.target_branch, pull.files, message, merge=head
            )
            pull.head_sha = head
            pull.state = "merged"
            pull.merged_at = pull.closed_at = pull.updated_at = now()

    def close(self, pull: FakePull) -> None:
        with self.lock:
            if pull.state != "open":
                raise ValueError(f"pull {pull.number} is {pull.state}")
            pull.state = "closed"
            pull.closed_at = pull.updated_at = now()

    def find_pull(self, repo: FakeRepo, number: int) -> FakePull | None:
        for pull in self.pulls:
            if pull.repo is repo and pull.number == number:
                return pull
        return None

    # -- people ------------------------------------------------------------------

    def add_person(
        self, login: str, name: str = "", email: str = "", *, state: str = "active"
    ) -> FakePerson:
        with self.lock:
            person = FakePerson(login, name, email, state)
            self.people[login] = person
            return person

    def add_org(self, org: str, members: set[str] | None = None) -> set[str]:
        """A GitHub organisation and its members (the set the host keeps)."""
        with self.lock:
            self._owners.add(org)
            found = self.org_members.setdefault(org, set())
            found.update(members or ())
            return found

    def add_team(self, team: FakeTeam) -> FakeTeam:
        with self.lock:
            if self.find_team(team.org, team.slug) is not None:
                raise ValueError(f"team {team.org}/{team.slug} already exists")
            self.add_org(team.org)
            self.teams.append(team)
            return team

    def find_team(self, org: str, slug: str) -> FakeTeam | None:
        key = (org.casefold(), slug.casefold())
        for team in self.teams:
            if (team.org.casefold(), team.slug.casefold()) == key:
                return team
        return None

    def remove_team(self, team: FakeTeam) -> None:
        with self.lock:
            self.teams.remove(team)

    def add_group(self, group: FakeGroup) -> FakeGroup:
        """A GitLab group (its parents exist by their paths, as owners do)."""
        with self.lock:
            self._owners.add(group.full_path)
            self.groups[group.full_path] = group
            return group

    # -- misbehaving on purpose ------------------------------------------------

    def limit_after(self, requests: int, *, retry_after: int = 1) -> None:
        """After `requests` more API requests, rate-limited for `retry_after` s."""
        with self.lock:
            self._allowance = requests
            self._retry_after = retry_after
            self._limited_until = None

    def fail_next(self, mode: str, count: int = 1) -> None:
        if mode not in FAILURES:
            raise ValueError(f"unknown failure {mode!r}: one of {FAILURES}")
        with self.lock:
            self._failures.extend([mode] * count)

    def rate_check(self) -> float | None:
        """Count one API request; the epoch it is limited until, or None."""
        with self.lock:
            now_ = time.time()
            if now_ >= self.rate_window + 3600:
                self.rate_window, self.rate_used = int(now_), 0
            self.rate_used += 1
            if self._limited_until is not None:
                if now_ < self._limited_until:
                    return self._limited_until
                self._limited_until = None
            if self._allowance is not None:
                if self._allowance <= 0:
                    self._allowance = None
                    self._limited_until = now_ + self._retry_after
                    return self._limited_until
                self._allowance -= 1
            return None

    def next_failure(self) -> str | None:
        with self.lock:
            return self._failures.popleft() if self._failures else None

    def record(self, request: FakeRequest) -> None:
        with self.lock:
            self.requests.append(request)
