"""Repository-lifecycle webhook bodies as git hosts send them (not pushes).

One folder per host kind; each event is `<name>.json` (the body) beside
`<name>.headers.json` (the request headers, never a signature: tests sign with
their own secret). SOURCES.md says where every body came from.

`aimed` points a recorded body at a repository of the test's own, touching
only the fields where that host's shape names the repository.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
KINDS = ("github", "gitlab", "gitea")


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def event(kind: str, name: str) -> tuple[dict[str, Any], dict[str, str]]:
    """(payload, headers) of a recorded event, e.g. ("github", "repository.renamed")."""
    if kind not in KINDS:
        raise ValueError(f"unknown host kind {kind!r}; one of {KINDS}")
    folder = HERE / kind
    body = folder / f"{name}.json"
    if not body.is_file():
        raise FileNotFoundError(f"no recorded {kind} event {name!r} in {folder}")
    payload = _load(body)
    headers = _load(folder / f"{name}.headers.json")
    return payload, {str(k): str(v) for k, v in headers.items()}


def recorded(kind: str) -> list[str]:
    """Names of the events recorded for one host kind, sorted."""
    return sorted(
        p.name.removesuffix(".json")
        for p in (HERE / kind).glob("*.json")
        if not p.name.endswith(".headers.json")
    )


def aimed(
    kind: str,
    payload: dict[str, Any],
    *,
    full_name: str,
    clone_url: str,
    web_url: str,
    host_id: int,
    old_full_name: str = "",
) -> dict[str, Any]:
    """A deep copy of `payload` that names our repository instead of the host's."""
    body = copy.deepcopy(payload)
    if kind in ("github", "gitea"):
        _aim_repository_hook(
            body, full_name, clone_url, web_url, host_id, old_full_name
        )
    elif kind == "gitlab":
        _aim_gitlab(body, full_name, host_id, old_full_name)
    else:
        raise ValueError(f"unknown host kind {kind!r}; one of {KINDS}")
    return body


def _split(full_name: str) -> tuple[str, str]:
    owner, _, name = full_name.rpartition("/")
    return owner, name


def _aim_repository_hook(
    body: dict[str, Any],
    full_name: str,
    clone_url: str,
    web_url: str,
    host_id: int,
    old_full_name: str,
) -> None:
    """GitHub and Gitea share the `repository` object of GitHub's dialect."""
    owner, name = _split(full_name)
    host = urlsplit(clone_url).hostname or ""
    repo = body.get("repository")
    if isinstance(repo, dict):
        repo.update(
            id=host_id,
            name=name,
            full_name=full_name,
            clone_url=clone_url,
            html_url=web_url,
        )
        # Only the URL fields this host's shape carries (Gitea has no git_url).
        if "ssh_url" in repo:
            repo["ssh_url"] = f"git@{host}:{full_name}.git"
        if "git_url" in repo:
            repo["git_url"] = f"git://{host}/{full_name}.git"
        _rename_account(repo.get("owner"), owner)
        if isinstance(body.get("organization"), dict):
            _rename_account(body["organization"], owner)
    # installation_repositories: the repositories sit in lists of {id, name, full_name}
    for key in ("repositories_added", "repositories_removed"):
        entries = body.get(key)
        if entries:
            entries[0].update(id=host_id, name=name, full_name=full_name)
    if old_full_name:
        old_owner, old_name = _split(old_full_name)
        changes = body.get("changes") or {}
        renamed = changes.get("repository", {}).get("name")
        if isinstance(renamed, dict):
            renamed["from"] = old_name
        for account in (changes.get("owner", {}).get("from") or {}).values():
            _rename_account(account, old_owner)


def _rename_account(account: Any, login: str) -> None:
    if isinstance(account, dict):
        account["login"] = login
        if "username" in account:  # Gitea repeats the login here
            account["username"] = login


def _aim_gitlab(
    body: dict[str, Any], full_name: str, host_id: int, old_full_name: str
) -> None:
    """GitLab system (and group) hooks name a project by path, not by URL."""
    _, path = _split(full_name)
    body.update(path_with_namespace=full_name, path=path, name=path, project_id=host_id)
    if old_full_name and "old_path_with_namespace" in body:
        body["old_path_with_namespace"] = old_full_name
