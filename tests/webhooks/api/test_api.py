"""Webhooks through the API: create (secret once), rotate, delete, the delivery log."""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.locations import register_location
from core.tokens import issue_token
from tests.support.catalog import crawl
from tests.support.deliveries import COMPONENT, Host, github_push
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db


def api(user, *, write: bool) -> Client:
    token = issue_token(user, "t", write=write)[1]
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def location(repos):
    repo = repos.create(
        "billing", {"catalog-info.yaml": COMPONENT.format(description="v1")}
    )
    return crawl(register_location(repo.url)[0])


def test_create_read_rotate_and_delete(location, editor, viewer):
    writer = api(editor, write=True)
    made = writer.post(
        "/api/webhooks",
        {"kind": "github", "location": str(location.uid)},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    webhook = Webhook.objects.get(uid=body["id"])
    assert body["secret"] == webhook.secrets()[0]
    assert body["payloadUrl"] == f"http://testserver/webhooks/github/{webhook.uid}"
    assert body["location"] == str(location.uid)

    reader = api(viewer, write=False)
    listed = reader.get("/api/webhooks").json()["items"]
    assert [w["id"] for w in listed] == [body["id"]]
    assert "secret" not in listed[0]
    one = reader.get(f"/api/webhooks/{webhook.uid}").json()
    assert "secret" not in one
    assert one["kind"] == "github"

    rotated = writer.post(f"/api/webhooks/{webhook.uid}/rotate").json()
    assert rotated["secret"] != body["secret"]
    assert rotated["previousSecretValidUntil"]
    webhook.refresh_from_db()
    assert webhook.secrets() == [rotated["secret"], body["secret"]]

    assert reader.post(f"/api/webhooks/{webhook.uid}/rotate").status_code == 403
    assert reader.delete(f"/api/webhooks/{webhook.uid}").status_code == 403
    assert writer.delete(f"/api/webhooks/{webhook.uid}").status_code == 204
    assert reader.get(f"/api/webhooks/{webhook.uid}").status_code == 404
    assert Client().get("/api/webhooks").status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"kind": "svn", "ownerUrl": "https://x.y/z"}, 400, "not a git host kind"),
        ({"kind": "github"}, 400, "either a location or a host organisation"),
        ({"kind": "github", "location": "nope"}, 404, "no location"),
        ({"kind": "github", "ownerUrl": 5}, 400, "must be a string"),
        ({"kind": "github", "ownerUrl": "acme"}, 400, "https://github.com/acme"),
    ],
)
def test_bad_requests_say_why(editor, body, status, message):
    answer = api(editor, write=True).post(
        "/api/webhooks", body, content_type="application/json"
    )
    assert answer.status_code == status
    assert (
        message in answer.json()["error"]["message"].lower()
        or message in (answer.json()["error"]["message"])
    )
    assert not Webhook.objects.exists()


def test_the_delivery_log(location, editor, repos, django_capture_on_commit_callbacks):
    writer = api(editor, write=True)
    made = writer.post(
        "/api/webhooks",
        {"kind": "github", "location": str(location.uid)},
        content_type="application/json",
    ).json()
    webhook = Webhook.objects.get(uid=made["id"])
    host = Host("github", webhook, made["secret"])
    body = github_push(location.url, ref="refs/heads/main", before="", after="e" * 40)
    with django_capture_on_commit_callbacks(execute=True):
        host.post(body, delivery="first")
    host.post(body, secret="forged", delivery="second")
    log = writer.get(f"/api/webhooks/{webhook.uid}/deliveries").json()
    assert log["totalItems"] == 2
    forged, first = log["items"]
    assert (forged["verdict"], forged["statusCode"]) == ("rejected", 403)
    assert first["deliveryId"] == "first"
    assert first["verdict"] == "crawled"
    [crawl_row] = first["crawls"]
    assert crawl_row["location"] == str(location.uid)
    assert crawl_row["status"] == "up-to-date"  # the crawl found nothing new
    paged = writer.get(f"/api/webhooks/{webhook.uid}/deliveries?limit=1&offset=1")
    assert [d["deliveryId"] for d in paged.json()["items"]] == ["first"]
    assert (
        writer.get(f"/api/webhooks/{webhook.uid}/deliveries?limit=0").status_code == 400
    )
