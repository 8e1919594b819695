"""Repository events through the webhooks: the hosts' own payloads (recorded in
tests/support/hostevents), signed, posted to the endpoint, processed by the task,
and the catalog changed by what the host's API then says."""

from __future__ import annotations

import json
from io import StringIO
from tempfile import NamedTemporaryFile

import pytest
from django.core.management import call_command
from django.test import Client

from catalog.models import Entity, Location
from discovery.models import DiscoveredRepository, DiscoverySource
from tests.support.deliveries import github_push, signed
from tests.support.fakehost import FakeHost, FakeRepo
from tests.support.hostevents import aimed, event
from webhooks import payloads
from webhooks.models import Delivery
from webhooks.registry import create_webhook

State = DiscoveredRepository.State


def descriptor(name: str) -> str:
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        f"metadata: {{name: {name}}}\n"
        "spec: {type: service, lifecycle: production, owner: team-a}\n"
    )


@pytest.fixture
def org(tmp_path, settings, django_capture_on_commit_callbacks):
    """A GitHub organisation with a discovery source, an organisation webhook,
    and `send(name, repo)` that posts the recorded event for a repository and
    runs what it queued (the delivery's task, the check, the crawls)."""
    host = FakeHost("github", tmp_path / "host", page_max=50).start()
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [host.web_url.removeprefix("http://")]
    settings.GREENROOM_ALLOW_LOCAL_REPOS = False
    with NamedTemporaryFile("w") as secret:
        secret.write(host.token)
        secret.flush()
        call_command(
            "hosts", "add", "acme", "--kind", "github", "--api-url", host.api_url,
            "--git-url", host.web_url, "--token-file", secret.name, stdout=StringIO(),
        )  # fmt: skip
    call_command("discovery", "add", "acme", "--host", "acme", "--scope",
                 "orgs/acme", stdout=StringIO())  # fmt: skip
    hook = create_webhook("github", owner_url=f"{host.web_url}/acme")

    def post(body: bytes, headers: dict[str, str]) -> Delivery:
        headers = signed("github", hook.secret, body, headers)
        with django_capture_on_commit_callbacks(execute=True):
            answer = Client().post(
                f"/webhooks/github/{hook.webhook.uid}", body,
                content_type="application/json", headers=headers,
            )  # fmt: skip
        assert answer.status_code == 202, answer.content
        return Delivery.objects.order_by("-id").first()

    def send(name: str, repo: FakeRepo, *, old: str = "") -> Delivery:
        payload, headers = event("github", name)
        body = json.dumps(
            aimed(
                "github", payload, full_name=f"{repo.owner}/{repo.name}",
                clone_url=host.clone_url(repo), web_url=f"{host.web_url}/{repo.owner}/"
                f"{repo.name}", host_id=repo.id, old_full_name=old,
            )
        ).encode()  # fmt: skip
        return post(body, headers)

    def push(repo: FakeRepo, commit: str) -> Delivery:
        body = github_push(
            host.clone_url(repo), ref="refs/heads/main", before="0" * 40, after=commit
        )
        return post(body, {"X-GitHub-Event": "push", "X-GitHub-Delivery": commit})

    host.send = send
    host.send_push = push  # type: ignore[attr-defined]
    host.source = DiscoverySource.objects.get()  # type: ignore[attr-defined]
    yield host
    host.stop()


def state(host: FakeHost, full_name: str) -> str:
    found = host.source.repositories.filter(full_name=full_name).first()
    return found.state if found else ""


def names() -> set[str]:
    return set(Entity.objects.filter(kind="Component").values_list("name", flat=True))


@pytest.mark.django_db
def test_a_new_repository_is_in_the_catalog_at_once(org, viewer_client):
    repo = org.add(FakeRepo("acme", "billing", {"catalog-info.yaml": descriptor("b")}))
    delivery = org.send("repository.created", repo)
    assert delivery.verdict == "discovery"
    assert "acme: acme/billing: discovery check queued" in delivery.detail
    assert state(org, "acme/billing") == State.CATALOGUED
    assert names() == {"b"}
    page = viewer_client.get("/discovery/acme").content.decode()
    assert "Repository checks from events (1 most recent)" in page
    assert "Not run yet." in page  # the check is no whole run


@pytest.mark.django_db
def test_a_push_adding_a_descriptor_catalogues_an_uncatalogued_repository(org):
    repo = org.add(FakeRepo("acme", "legacy", {"README.md": "old\n"}))
    org.send("repository.created", repo)
    assert state(org, "acme/legacy") == State.UNCATALOGUED
    commit = org.push(repo, {"catalog-info.yaml": descriptor("legacy")})
    delivery = org.send_push(repo, commit)
    assert delivery.verdict == "discovery"
    assert state(org, "acme/legacy") == State.CATALOGUED
    assert names() == {"legacy"}


@pytest.mark.django_db
def test_a_rename_event_moves_the_location_and_keeps_the_entity(org):
    repo = org.add(FakeRepo("acme", "billing", {"catalog-info.yaml": descriptor("b")}))
    org.send("repository.created", repo)
    entity = Entity.objects.get(kind="Component")
    org.rename(repo, "payments")
    org.send("repository.renamed", repo, old="acme/billing")
    location = Location.objects.get()
    assert location.url.endswith("/acme/payments.git")
    assert Entity.objects.get(kind="Component").pk == entity.pk
    assert state(org, "acme/payments") == State.CATALOGUED


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["repository.archived", "repository.deleted"])
def test_archived_or_deleted_leaves_the_catalog(org, name):
    repo = org.add(FakeRepo("acme", "billing", {"catalog-info.yaml": descriptor("b")}))
    org.send("repository.created", repo)
    assert names() == {"b"}
    if name == "repository.archived":
        org.archive(repo)
    else:
        org.delete(repo)
    delivery = org.send(name, repo)
    assert delivery.verdict == "discovery"
    assert names() == set()
    assert not Location.objects.exists()
    expected = State.EXCLUDED if name == "repository.archived" else State.GONE
    assert state(org, "acme/billing") == expected


@pytest.mark.django_db
def test_a_transfer_out_of_the_scope_is_gone_and_into_it_is_new(org):
    repo = org.add(FakeRepo("acme", "billing", {"catalog-info.yaml": descriptor("b")}))
    org.send("repository.created", repo)
    org.transfer(repo, "elsewhere")
    delivery = org.send("repository.transferred", repo, old="acme/billing")
    # The host now names it elsewhere/billing: not in orgs/acme.
    assert delivery.verdict == "ignored"
    assert "no discovery source has this repository in its scope" in delivery.detail
    # The source learns it at its next run: gone from the listing.
    call_command("discovery", "run", "acme", stdout=StringIO())
    assert names() == set()
    assert state(org, "acme/billing") in ("", State.GONE)


@pytest.mark.django_db
def test_events_outside_every_scope_change_nothing(org):
    repo = org.add(FakeRepo("other", "tool", {"catalog-info.yaml": descriptor("t")}))
    delivery = org.send("repository.created", repo)
    assert delivery.verdict == "ignored"
    assert not DiscoveredRepository.objects.exists()
    assert names() == set()


@pytest.mark.parametrize(
    ("kind", "name", "action"),
    [
        ("gitlab", "project_create", "create"),
        ("gitlab", "project_destroy", "destroy"),
        ("gitlab", "project_rename", "rename"),
        ("gitlab", "project_transfer", "transfer"),
        ("gitlab", "group.project_create", "create"),
        ("gitlab", "group.project_destroy", "destroy"),
        ("gitea", "repository.created", "created"),
        ("gitea", "repository.deleted", "deleted"),
        ("github", "installation_repositories.added", "added"),
        ("github", "installation_repositories.removed", "removed"),
    ],
)
def test_every_hosts_repository_events_name_the_repository(kind, name, action):
    payload, headers = event(kind, name)
    body = aimed(
        kind, payload, full_name="acme/billing", clone_url="https://h/acme/billing.git",
        web_url="https://h/acme/billing", host_id=7, old_full_name="acme/old",
    )  # fmt: skip
    parsed = payloads.parse(kind, headers, json.dumps(body).encode())
    assert parsed.kind == "repository"
    assert parsed.action == action
    assert parsed.names == ["acme/billing"]
