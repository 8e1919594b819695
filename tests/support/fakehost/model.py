"""The fake host's in-memory model: repositories, pull requests, requests seen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


def now() -> datetime:
    """Whole seconds, as the hosts' JSON timestamps have them."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(eq=False)
class FakeRepo:
    """One repository; the host keeps this very object, so tests may read it back."""

    owner: str  # org / group path / workspace / Bitbucket DC project key, or a user
    name: str
    files: dict[str, str] = field(default_factory=dict)  # the default branch's files
    private: bool = False
    archived: bool = False
    fork: bool = False
    topics: list[str] = field(default_factory=list)
    description: str = ""
    default_branch: str = "main"
    teams: dict[str, str] = field(
        default_factory=dict
    )  # slug -> admin/maintain/push/pull
    pushed_at: datetime = field(default_factory=now)
    id: int = 0
    created_at: datetime = field(default_factory=now)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(eq=False)
class FakePull:
    """A pull request (GitHub, Gitea, Bitbucket) or merge request (GitLab)."""

    repo: FakeRepo
    number: int  # per repository, as the hosts number them (GitLab: iid)
    source_branch: str
    target_branch: str
    title: str
    body: str
    files: dict[
        str, str | None
    ]  # path -> text the pull adds or changes (None: deleted)
    state: str = "open"  # open | merged | closed
    id: int = 0  # host-wide
    head_sha: str = ""
    merge_sha: str | None = None
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    merged_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class FakeRequest:
    """One request as the server saw it; the credential itself is never kept."""

    method: str
    path: str  # with the query string
    authenticated: bool
    git: bool = False  # git over http rather than the REST API


# -- people: what the organisation providers read (people/sources/) -----------


@dataclass(eq=False)
class FakePerson:
    """An account's profile: a GitHub user, a GitLab user."""

    login: str
    name: str = ""
    email: str = ""  # GitHub: the public email; GitLab: the email a member shows
    state: str = "active"  # GitLab: active, blocked, deactivated, ...


@dataclass(eq=False)
class FakeTeam:
    """A GitHub team and its direct members, each `member` or `maintainer`.

    The host lists a team's members with those of its child teams, as GitHub
    does; `members` here holds only the team's own."""

    org: str
    slug: str
    name: str = ""  # "" for the slug, title-cased
    description: str = ""
    parent: str = ""  # the parent team's slug
    members: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class FakeGroup:
    """A GitLab group's own data and its direct members by access level
    (10 Guest, 20 Reporter, 30 Developer, 40 Maintainer, 50 Owner)."""

    full_path: str
    name: str = ""  # "" for the last part of the path
    description: str = ""
    members: dict[str, int] = field(default_factory=dict)
