"""Recorded deliveries of every host, read into pushes, pings and other events."""

from __future__ import annotations

import json

import pytest

from tests.support.deliveries import all_recorded, recorded
from webhooks.payloads import ZEROS, PayloadError, parse


def event_of(name: str):
    delivery = recorded(name)
    return delivery, parse(delivery.kind, delivery.headers, delivery.body)


@pytest.mark.parametrize("name", all_recorded())
def test_every_recorded_body_is_read(name):
    delivery, event = event_of(name)
    assert event.kind in ("push", "ping", "other")
    if event.kind == "push":
        assert event.updates
        for update in event.updates:
            assert update.ref.startswith("refs/")
            assert update.deleted == (update.after == "")


def test_github_push_with_its_files():
    delivery, event = event_of("github/push-branch-added-modified.go-playground")
    payload = delivery.payload
    assert event.kind == "push"
    [update] = event.updates
    assert (update.ref, update.after, update.before) == (
        payload["ref"],
        payload["after"],
        payload["before"],
    )
    assert update.branch == payload["ref"].removeprefix("refs/heads/")
    expected = {
        p for c in payload["commits"] for k in ("added", "removed", "modified")
        for p in c[k]
    }  # fmt: skip
    assert set(event.files) == expected
    repo = payload["repository"]
    assert repo["clone_url"] in event.urls
    assert repo["ssh_url"] in event.urls
    assert event.repository == repo["full_name"]
    assert event.default_branch == repo["default_branch"]


def test_a_created_branch_has_no_complete_file_list():
    _, event = event_of("github/push-branch-created-added-file.octokit")
    assert event.files is None  # its commits need not be all that is new


def test_tags_created_and_deleted():
    _, created = event_of("github/push-tag-created.octokit")
    assert created.updates[0].ref == "refs/tags/simple-tag"
    assert created.updates[0].branch is None
    _, deleted = event_of("github/push-tag-deleted.octokit")
    assert deleted.updates[0].deleted
    assert deleted.updates[0].after == ""


@pytest.mark.parametrize(
    "name",
    ["github/ping.go-playground", "github/ping-repository-hook.octokit",
     "github/ping-organization-hook.octokit"],
)  # fmt: skip
def test_pings(name):
    assert event_of(name)[1].kind == "ping"


def test_gitlab_pushes_keep_files_only_when_all_commits_came():
    delivery, partial = event_of("gitlab/push-hook.go-playground")
    payload = delivery.payload
    assert payload["total_commits_count"] > len(payload["commits"])
    assert partial.files is None
    assert payload["project"]["git_ssh_url"] in partial.urls
    delivery, whole = event_of("gitlab/push-hook.gitlab-docs-delivery")
    changed = ("added", "removed", "modified")
    commits = delivery.payload["commits"]
    assert whole.files == sorted({p for c in commits for k in changed for p in c[k]})
    _, system = event_of("gitlab/system-hook-push.go-playground")
    assert system.kind == "push"
    _, tag = event_of("gitlab/tag-push-hook.go-playground")
    assert tag.updates[0].ref.startswith("refs/tags/")


def test_bitbucket_cloud_changes():
    delivery, event = event_of("bitbucket-cloud/repo-push.go-playground")
    changes = delivery.payload["push"]["changes"]
    assert len(event.updates) == len(changes)
    first = changes[0]
    assert event.updates[0].ref == f"refs/heads/{first['new']['name']}"
    assert event.updates[0].after == first["new"]["target"]["hash"]
    assert event.files is None  # Bitbucket never lists files
    assert f"https://bitbucket.org/{delivery.payload['repository']['full_name']}" in (
        event.urls
    )


def test_bitbucket_server_refs_changed_and_deleted():
    delivery, event = event_of("bitbucket-server/repo-refs-changed.go-playground")
    [change] = delivery.payload["changes"]
    [update] = event.updates
    assert update.ref == change["refId"]
    assert update.deleted
    assert change["toHash"] == ZEROS
    clones = {c["href"] for c in delivery.payload["repository"]["links"]["clone"]}
    assert set(event.urls) == clones


def test_gitea_and_gogs_read_like_github():
    for name in ("gitea/push.go-playground", "gogs/push.go-playground"):
        delivery, event = event_of(name)
        assert event.kind == "push"
        assert event.updates[0].ref == delivery.payload["ref"]
        assert delivery.payload["repository"]["clone_url"] in event.urls


def test_githubs_form_encoded_deliveries():
    delivery = recorded("github/push-branch-added-modified.go-playground")
    from urllib.parse import urlencode

    body = urlencode({"payload": delivery.body.decode()}).encode()
    headers = {
        "X-GitHub-Event": "push",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    event = parse("github", headers, body)
    assert event.updates[0].ref == delivery.payload["ref"]


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1, 2]", b'"text"', b"\xff\xfe", json.dumps(
        {"ref": 7, "after": "x"}).encode(), b'{"ref": "main"}'],
)  # fmt: skip
def test_malformed_pushes_are_clear_errors(body):
    with pytest.raises(PayloadError):
        parse("github", {"X-GitHub-Event": "push"}, body)


def test_hostile_values_are_trimmed_and_checked():
    body = json.dumps(
        {
            "ref": "refs/heads/main",
            "after": "not-a-sha",
            "repository": {"full_name": "x" * 10_000, "clone_url": ["a list"]},
            "commits": [{"added": ["ok.yaml", 5, "nul\u0000.md"], "removed": "x"}],
        }
    ).encode()
    event = parse("github", {"X-GitHub-Event": "push"}, body)
    assert event.updates[0].after == ""  # not a commit id
    assert len(event.repository) == 500
    assert event.urls == []
    assert event.files == ["ok.yaml"]
