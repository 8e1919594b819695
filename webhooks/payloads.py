"""A verified delivery's body, read into what Greenroom acts on, per host kind.

Everything here comes from the payload, so from whoever pushed: the repository
URLs are only used to find our own locations (the crawl always fetches from the
registered URL), refs and paths are checked and trimmed, and a file list is only
kept when the host sent it whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qs

from catalog.storable import has_unstorable, storable_text

ZEROS = "0" * 40
MAX_FILES = 5000  # paths kept per delivery; more: treated as "unknown"
MAX_TEXT = 500
MAX_NAMES = 100  # repositories one event may name (installation_repositories)


class PayloadError(ValueError):
    """The body is not what the host sends; the message says why."""


@dataclass(slots=True)
class RefUpdate:
    ref: str  # refs/heads/main, refs/tags/v1
    after: str  # the new commit, "" when deleted
    before: str = ""
    deleted: bool = False

    @property
    def branch(self) -> str | None:
        return self.ref.removeprefix("refs/heads/") if self.is_branch else None

    @property
    def is_branch(self) -> bool:
        return self.ref.startswith("refs/heads/")


@dataclass(slots=True)
class Event:
    """What a delivery says. `kind`: push, repository (a repository created,
    deleted, archived, renamed, transferred...), ping or other (`event` names it)."""

    kind: str
    event: str
    repository: str = ""  # a display name: owner/repo
    urls: list[str] = field(default_factory=list)  # to match our locations only
    updates: list[RefUpdate] = field(default_factory=list)
    files: list[str] | None = None  # changed paths; None: the host did not say all
    default_branch: str = ""
    # Repository events (kind "repository"): what happened, and the full names
    # of the repositories it concerns (discovery looks each up on the host).
    action: str = ""
    names: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Event:
        updates = [RefUpdate(**u) for u in data.get("updates", [])]
        return cls(**{**data, "updates": updates})


def parse(kind: str, headers: Mapping[str, str], body: bytes) -> Event:
    """The event in a verified body; PayloadError when it is not JSON of that host.
    Header names are matched in any case."""
    headers = {name.lower(): value for name, value in headers.items()}
    payload = _json(headers, body)
    return {
        "github": _github,
        "gitea": _github,  # Gitea, Forgejo and Gogs send GitHub's shape
        "gitlab": _gitlab,
        "bitbucket-cloud": _bitbucket_cloud,
        "bitbucket-server": _bitbucket_server,
    }[kind](headers, payload)


def _json(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    raw = body
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        # GitHub's "form" content type: the JSON is the `payload` field.
        try:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise PayloadError("the form body cannot be read") from None
        raw = (fields.get("payload") or [""])[0].encode()
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        # RecursionError: nested deeper than the parser goes ("[[[[...").
        raise PayloadError("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise PayloadError("the body is not a JSON object")
    return payload


def _github(headers: Mapping[str, str], payload: dict[str, Any]) -> Event:
    name = _event_name(headers)
    repo = _dict(payload.get("repository"))
    if name == "ping":
        return Event("ping", name, _string(repo.get("full_name")))
    if name in REPOSITORY_EVENTS:
        return _repository_event(name, payload)
    if name != "push":
        return Event("other", name, _string(repo.get("full_name")))
    ref, after = _ref(payload.get("ref")), _sha(payload.get("after"))
    deleted = bool(payload.get("deleted")) or after in ("", ZEROS)
    update = RefUpdate(
        ref, "" if deleted else after, _sha(payload.get("before")), deleted
    )
    commits = _list(payload.get("commits"))
    complete = (
        not payload.get("forced") and not payload.get("created") and len(commits) < 2048
    )
    return Event(
        "push",
        name,
        _string(repo.get("full_name")),
        _urls(repo.get(k) for k in ("clone_url", "ssh_url", "html_url", "git_url")),
        [update],
        _files(commits) if complete else None,
        _string(repo.get("default_branch")),
    )


# GitHub's (and Gitea's) events about repositories themselves, and the
# installation's repositories being added or removed (a GitHub App).
REPOSITORY_EVENTS = ("repository", "installation_repositories")
# GitLab's system and group hook events about projects.
GITLAB_PROJECT_EVENTS = (
    "project_create",
    "project_destroy",
    "project_rename",
    "project_transfer",
    "project_update",
)


def _repository_event(name: str, payload: dict[str, Any]) -> Event:
    action = _string(payload.get("action"))[:40]
    if name == "installation_repositories":
        changed = _list(payload.get("repositories_added")) + _list(
            payload.get("repositories_removed")
        )
        names = [_string(_dict(r).get("full_name")) for r in changed[:MAX_NAMES]]
        return Event("repository", name, "", action=action, names=_names(names))
    repo = _dict(payload.get("repository"))
    full_name = _string(repo.get("full_name"))
    urls = _urls(repo.get(k) for k in ("clone_url", "ssh_url", "html_url"))
    return Event(
        "repository", name, full_name, urls, action=action, names=_names([full_name])
    )


def _gitlab(headers: Mapping[str, str], payload: dict[str, Any]) -> Event:
    name = _string(headers.get("x-gitlab-event")) or _string(payload.get("object_kind"))
    kind = _string(payload.get("object_kind") or payload.get("event_name"))
    if _string(payload.get("event_name")) in GITLAB_PROJECT_EVENTS:
        event_name = _string(payload.get("event_name"))
        full_name = _string(payload.get("path_with_namespace"))
        return Event(
            "repository",
            name or event_name,
            full_name,
            action=event_name.removeprefix("project_"),
            names=_names([full_name]),
        )
    project = _dict(payload.get("project")) or _dict(payload.get("repository"))
    display = _string(project.get("path_with_namespace") or project.get("name"))
    if kind not in ("push", "tag_push"):
        return Event("other", name or kind, display)
    after = _sha(payload.get("after"))
    deleted = after in ("", ZEROS)
    update = RefUpdate(
        _ref(payload.get("ref")),
        "" if deleted else after,
        _sha(payload.get("before")),
        deleted,
    )
    commits = _list(payload.get("commits"))
    total = payload.get("total_commits_count")
    complete = isinstance(total, int) and total == len(commits) and total > 0
    urls = [project.get(k) for k in ("git_http_url", "git_ssh_url", "web_url")]
    repository = _dict(payload.get("repository"))
    urls += [repository.get(k) for k in ("git_http_url", "git_ssh_url", "homepage")]
    return Event(
        "push",
        name,
        display,
        _urls(urls),
        [update],
        _files(commits) if complete else None,
        _string(project.get("default_branch")),
    )


def _bitbucket_cloud(headers: Mapping[str, str], payload: dict[str, Any]) -> Event:
    name = _string(headers.get("x-event-key"))
    repo = _dict(payload.get("repository"))
    full_name = _string(repo.get("full_name"))
    if name != "repo:push":
        return Event("other", name, full_name)
    updates = []
    for change in _list(_dict(payload.get("push")).get("changes")):
        new, old = _dict(_dict(change).get("new")), _dict(_dict(change).get("old"))
        ref = new or old
        prefix = "refs/tags/" if ref.get("type") == "tag" else "refs/heads/"
        target = _string(ref.get("name"))
        if not target:
            continue
        updates.append(
            RefUpdate(
                _ref(prefix + target),
                _sha(_dict(new.get("target")).get("hash")) if new else "",
                _sha(_dict(old.get("target")).get("hash")) if old else "",
                deleted=not new,
            )
        )
    urls = [_dict(_dict(repo.get("links")).get("html")).get("href")]
    if full_name:
        urls.append(f"https://bitbucket.org/{full_name}")
    return Event("push", name, full_name, _urls(urls), updates, None)


def _bitbucket_server(headers: Mapping[str, str], payload: dict[str, Any]) -> Event:
    name = _string(headers.get("x-event-key") or payload.get("eventKey"))
    repo = _dict(payload.get("repository"))
    project = _dict(repo.get("project"))
    display = "/".join(
        filter(None, (_string(project.get("key")), _string(repo.get("slug"))))
    )
    if name == "diagnostics:ping":
        return Event("ping", name, display)
    if name != "repo:refs_changed":
        return Event("other", name, display)
    updates = []
    for change in _list(payload.get("changes")):
        change = _dict(change)
        deleted = change.get("type") == "DELETE"
        updates.append(
            RefUpdate(
                _ref(change.get("refId") or _dict(change.get("ref")).get("id")),
                "" if deleted else _sha(change.get("toHash")),
                _sha(change.get("fromHash")),
                deleted,
            )
        )
    clones = _list(_dict(repo.get("links")).get("clone"))
    return Event(
        "push", name, display, _urls(_dict(c).get("href") for c in clones), updates
    )


def _names(values: list[str]) -> list[str]:
    """Repository full names as hosts spell them: owner/name, GitLab's longer paths."""
    return [
        v[:300] for v in values if v and "/" in v and v.isprintable() and " " not in v
    ]


def _event_name(headers: Mapping[str, str]) -> str:
    for header in (
        "x-github-event",
        "x-gitea-event",
        "x-forgejo-event",
        "x-gogs-event",
    ):
        if value := headers.get(header):
            return _string(value)
    return ""


def _files(commits: list[Any]) -> list[str] | None:
    paths: set[str] = set()
    for commit in commits:
        commit = _dict(commit)
        for key in ("added", "removed", "modified"):
            for path in _list(commit.get(key)):
                if _whole(path):
                    paths.add(storable_text(path, 1024))
        if len(paths) > MAX_FILES:
            return None
    return sorted(paths)


def _urls(values: Iterator[Any] | list[Any]) -> list[str]:
    return [storable_text(v, 2048) for v in values if _whole(v)]


def _whole(value: Any) -> bool:
    """A path or URL used as it is: text with nothing PostgreSQL would change."""
    return isinstance(value, str) and bool(value) and not has_unstorable(value)


def _ref(value: Any) -> str:
    ref = _string(value)
    if not ref.startswith("refs/"):
        raise PayloadError("the push names no ref")
    return ref


def _sha(value: Any) -> str:
    text = _string(value).lower()
    return (
        text
        if len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)
        else ""
    )


def _string(value: Any) -> str:
    return storable_text(value, MAX_TEXT) if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
