"""The portal's webhook pages: editors make and rotate them, everyone sees the log."""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.locations import register_location
from tests.support.catalog import crawl
from tests.support.deliveries import COMPONENT, Host, github_push
from tests.support.queries import count_queries
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def repo(repos):
    return repos.create(
        "billing", {"catalog-info.yaml": COMPONENT.format(description="v1")}
    )


@pytest.fixture
def location(repo):
    return crawl(register_location(repo.url)[0])


def test_an_editor_creates_a_webhook_and_sees_its_secret_once(location, editor_client):
    page = editor_client.get(f"/webhooks/new?location={location.uid}")
    assert page.status_code == 200
    assert f'value="{location.uid}" selected' in page.content.decode()
    made = editor_client.post(
        "/webhooks/new", {"kind": "github", "location": str(location.uid)}
    )
    assert made.status_code == 200
    webhook = Webhook.objects.get()
    body = made.content.decode()
    secret = webhook.secrets()[0]
    assert secret in body
    assert f"http://testserver/webhooks/github/{webhook.uid}" in body
    assert webhook.created_by.username == "eddie-editor"
    detail = editor_client.get(f"/webhooks/{webhook.uid}/").content.decode()
    assert secret not in detail  # shown once
    assert f"/webhooks/github/{webhook.uid}" in detail
    listed = editor_client.get("/webhooks/").content.decode()
    assert location.url in listed


def test_a_location_or_an_organisation_not_both(location, editor_client):
    both = editor_client.post(
        "/webhooks/new",
        {"kind": "gitlab", "location": str(location.uid), "owner_url": "https://x.y/z"},
    )
    assert both.status_code == 400
    assert "either a location or a host organisation" in both.content.decode()
    bad = editor_client.post("/webhooks/new", {"kind": "gitlab", "owner_url": "acme"})
    assert bad.status_code == 400
    assert "https://github.com/acme" in bad.content.decode()
    org = editor_client.post(
        "/webhooks/new", {"kind": "gitlab", "owner_url": "https://gitlab.com/acme/"}
    )
    assert org.status_code == 200
    assert Webhook.objects.get().owner_url == "https://gitlab.com/acme"


def test_rotating_shows_a_new_secret_and_deleting_removes(location, editor_client):
    editor_client.post(
        "/webhooks/new", {"kind": "github", "location": str(location.uid)}
    )
    webhook = Webhook.objects.get()
    first = webhook.secrets()[0]
    rotated = editor_client.post(f"/webhooks/{webhook.uid}/rotate")
    webhook.refresh_from_db()
    second = webhook.secrets()[0]
    assert second != first
    assert second in rotated.content.decode()
    assert webhook.secrets() == [second, first]  # the old one, for a while
    gone = editor_client.post(f"/webhooks/{webhook.uid}/delete")
    assert gone.status_code == 302
    assert not Webhook.objects.exists()


def test_viewers_read_and_cannot_change(location, editor_client, viewer):
    editor_client.post(
        "/webhooks/new", {"kind": "github", "location": str(location.uid)}
    )
    webhook = Webhook.objects.get()
    client = Client()
    client.force_login(viewer)
    assert client.get("/webhooks/").status_code == 200
    assert client.get(f"/webhooks/{webhook.uid}/").status_code == 200
    assert client.get("/webhooks/new").status_code == 403
    assert client.post("/webhooks/new", {"kind": "github"}).status_code == 403
    assert client.post(f"/webhooks/{webhook.uid}/rotate").status_code == 403
    assert client.post(f"/webhooks/{webhook.uid}/delete").status_code == 403
    assert Client().get("/webhooks/").status_code == 302  # sign in first
    assert Webhook.objects.get().rotated_at is None


def test_the_delivery_log_shows_verdicts_and_crawls_in_fixed_queries(
    location, editor_client, repo, django_capture_on_commit_callbacks
):
    editor_client.post(
        "/webhooks/new", {"kind": "github", "location": str(location.uid)}
    )
    webhook = Webhook.objects.get()
    host = Host("github", webhook, webhook.secrets()[0])
    url = f"/webhooks/{webhook.uid}/"

    def push(description: str) -> None:
        before = repo.head()
        after = repo.commit(
            {"catalog-info.yaml": COMPONENT.format(description=description)}
        )
        body = github_push(
            location.url, ref="refs/heads/main", before=before, after=after
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert host.post(body).status_code == 202

    push("v2")
    host.post(b"{}", secret="forged")
    few = count_queries(editor_client, url)
    for n in range(3, 8):
        push(f"v{n}")
    assert count_queries(editor_client, url) == few
    page = editor_client.get(url).content.decode()
    assert page.count("Crawl queued") == 6
    assert page.count(">Succeeded<") == 6  # each delivery's crawl, and how it ended
    assert "Rejected" in page
    assert "does not match" in page
    assert Delivery.objects.count() == 7
