"""The recorded repository-lifecycle bodies load, and `aimed` retargets each shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.hostevents import HERE, KINDS, aimed, event, recorded

OURS = {
    "full_name": "acme/payments-api",
    "clone_url": "https://git.example.test/acme/payments-api.git",
    "web_url": "https://git.example.test/acme/payments-api",
    "host_id": 424242,
    "old_full_name": "legacy/payments-old",
}

# What the brief promises is recorded, per host.
EXPECTED = {
    "github": {
        *(
            f"repository.{a}"
            for a in (
                "created",
                "deleted",
                "archived",
                "unarchived",
                "renamed",
                "transferred",
                "publicized",
                "privatized",
            )
        ),
        "installation_repositories.added",
        "installation_repositories.removed",
    },
    "gitlab": {
        "project_create",
        "project_destroy",
        "project_rename",
        "project_transfer",
    },
    "gitea": {"repository.created", "repository.deleted"},
}
SIGNATURE_HEADERS = {
    "x-hub-signature",
    "x-hub-signature-256",
    "x-gitea-signature",
    "x-gogs-signature",
    "x-forgejo-signature",
    "x-gitlab-token",
}
ALL = [(kind, name) for kind in KINDS for name in recorded(kind)]


def test_every_promised_event_is_recorded() -> None:
    for kind, names in EXPECTED.items():
        assert names <= set(recorded(kind)), kind


def test_every_body_has_headers_and_every_file_is_listed_in_sources() -> None:
    sources = (HERE / "SOURCES.md").read_text(encoding="utf-8")
    for kind in KINDS:
        for name in recorded(kind):
            assert f"`{kind}/{name}.json`" in sources, (kind, name)
            assert (HERE / kind / f"{name}.headers.json").is_file(), (kind, name)


@pytest.mark.parametrize(("kind", "name"), ALL)
def test_recorded_event_is_a_json_object_with_host_headers(
    kind: str, name: str
) -> None:
    payload, headers = event(kind, name)
    assert isinstance(payload, dict)
    assert payload
    assert not SIGNATURE_HEADERS & {h.lower() for h in headers}
    assert headers["Content-Type"] == "application/json"
    if kind == "github":
        assert headers["X-GitHub-Event"] == name.split(".")[0]
        assert payload["action"] == name.split(".")[1]
        assert headers["X-GitHub-Delivery"]
    elif kind == "gitea":
        assert headers["X-Gitea-Event"] == "repository"
        assert headers["X-Gitea-Delivery"]
        assert payload["action"] == name.split(".")[1]
    else:
        hook = "Project Hook" if name.startswith("group.") else "System Hook"
        assert headers["X-Gitlab-Event"] == hook
        assert payload["event_name"] == name.removeprefix("group.")


def test_event_returns_fresh_copies_and_rejects_unknown_names() -> None:
    first, _ = event("github", "repository.created")
    first["repository"]["name"] = "mutated"
    again, _ = event("github", "repository.created")
    assert again["repository"]["name"] == "Hello-World"
    with pytest.raises(FileNotFoundError):
        event("github", "repository.nope")
    with pytest.raises(ValueError, match="unknown host kind"):
        event("bitbucket", "repository.created")


def _aim(kind: str, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    payload, _ = event(kind, name)
    before = json.dumps(payload, sort_keys=True)
    body = aimed(kind, payload, **OURS)  # type: ignore[arg-type]
    assert json.dumps(payload, sort_keys=True) == before, "aimed must not mutate"
    return payload, body


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        (k, n)
        for k, n in ALL
        if k in ("github", "gitea") and n.startswith("repository.")
    ],
)
def test_aimed_points_the_repository_object_at_ours(kind: str, name: str) -> None:
    _, body = _aim(kind, name)
    repo = body["repository"]
    assert repo["id"] == 424242
    assert repo["name"] == "payments-api"
    assert repo["full_name"] == "acme/payments-api"
    assert repo["owner"]["login"] == "acme"
    assert repo["clone_url"] == OURS["clone_url"]
    assert repo["html_url"] == OURS["web_url"]
    assert repo["ssh_url"] == "git@git.example.test:acme/payments-api.git"
    if kind == "github":
        assert repo["git_url"] == "git://git.example.test/acme/payments-api.git"
    else:
        assert "git_url" not in repo  # Gitea's shape has none; aimed adds nothing
        assert repo["owner"]["username"] == "acme"
    if "organization" in body:
        assert body["organization"]["login"] == "acme"


def test_aimed_github_renamed_and_transferred_carry_the_old_name() -> None:
    _, renamed = _aim("github", "repository.renamed")
    assert renamed["changes"]["repository"]["name"]["from"] == "payments-old"
    _, moved = _aim("github", "repository.transferred")
    (previous,) = moved["changes"]["owner"]["from"].values()
    assert previous["login"] == "legacy"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("installation_repositories.added", "repositories_added"),
        ("installation_repositories.removed", "repositories_removed"),
    ],
)
def test_aimed_github_installation_repositories_first_entry(
    name: str, key: str
) -> None:
    _, body = _aim("github", name)
    first = body[key][0]
    assert (first["id"], first["name"], first["full_name"]) == (
        424242,
        "payments-api",
        "acme/payments-api",
    )


@pytest.mark.parametrize("name", recorded("gitlab"))
def test_aimed_gitlab_names_the_project_by_path(name: str) -> None:
    original, body = _aim("gitlab", name)
    assert body["path_with_namespace"] == "acme/payments-api"
    assert body["path"] == "payments-api"
    assert body["name"] == "payments-api"
    assert body["project_id"] == 424242
    if "old_path_with_namespace" in original:
        assert body["old_path_with_namespace"] == "legacy/payments-old"
    else:
        assert "old_path_with_namespace" not in body


def test_aimed_without_old_name_keeps_the_recorded_one() -> None:
    payload, _ = event("gitlab", "project_rename")
    body = aimed(
        "gitlab",
        payload,
        full_name="acme/x",
        clone_url="https://h/acme/x.git",
        web_url="https://h/acme/x",
        host_id=1,
    )
    assert body["old_path_with_namespace"] == "jsmith/overscore"
    with pytest.raises(ValueError, match="unknown host kind"):
        aimed("svn", payload, full_name="a/b", clone_url="", web_url="", host_id=1)
