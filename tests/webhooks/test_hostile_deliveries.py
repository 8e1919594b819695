"""Hostile deliveries: odd headers are refused (never a 500), replays change nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.support.deliveries import recorded, signed
from webhooks.models import Webhook
from webhooks.registry import create_webhook, payload_url
from webhooks.verify import Refused, verify

pytestmark = pytest.mark.django_db

OWNER = "https://github.com/acme"
# The push each host kind sends, from ../shared/fixtures/webhooks.
PUSHES = {
    "github": "github/push-branch-added-modified.go-playground",
    "gitea": "gitea/push.go-playground",
    "gitlab": "gitlab/push-hook.go-playground",
    "bitbucket-cloud": "bitbucket-cloud/repo-push.go-playground",
    "bitbucket-server": "bitbucket-server/repo-refs-changed.go-playground",
}
# What a WSGI server hands Django for a header byte >= 0x80: latin-1 characters.
NON_ASCII = ("sha256=\xff", "\xff" * 64, "sha256=" + "é" * 64, "v1,\xff", "²")


def post(webhook: Webhook, body: bytes, headers: dict, **extra):
    return Client(raise_request_exception=False).post(
        payload_url(webhook),
        body,
        content_type="application/json",
        headers=headers,
        **extra,
    )


@pytest.fixture
def hooks() -> dict[str, tuple[Webhook, str]]:
    made = {kind: create_webhook(kind, owner_url=OWNER) for kind in PUSHES}
    return {kind: (c.webhook, c.secret) for kind, c in made.items()}


def standard_signed(secret: str, body: bytes, headers: dict, *, stamp: int = 0):
    """GitLab's Standard Webhooks headers (`webhook-id`, `-timestamp`, `-signature`)."""
    stamp = stamp or int(time.time())
    delivery = headers.get("webhook-id", "msg_1")
    signed_text = f"{delivery}.{stamp}.".encode() + body
    mac = hmac.new(secret.encode(), signed_text, hashlib.sha256).digest()
    return {
        **headers,
        "webhook-id": delivery,
        "webhook-timestamp": str(stamp),
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }


@pytest.mark.parametrize("kind", sorted(PUSHES))
def test_non_ascii_signatures_and_tokens_are_refused_not_a_500(hooks, kind):
    webhook, secret = hooks[kind]
    push = recorded(PUSHES[kind])
    good = signed(kind, secret, push.body, push.headers)
    auth = next(
        name
        for name in good
        if "signature" in name.lower() or name.lower() == "x-gitlab-token"
    )
    for value in NON_ASCII:
        response = post(webhook, push.body, {**good, auth: value})
        assert response.status_code == 403, (auth, value)
        assert "error" in response.json()
    assert not webhook.deliveries.filter(status_code__lt=400).exists()


def test_non_ascii_standard_webhook_headers_are_refused(hooks):
    webhook, secret = hooks["gitlab"]
    push = recorded(PUSHES["gitlab"])
    good = standard_signed(secret, push.body, push.headers)
    for name, value in (
        ("webhook-signature", "v1,\xff"),
        ("webhook-signature", "v1,é" + good["webhook-signature"][4:]),
        ("webhook-timestamp", "²"),  # str.isdigit() says yes; int() says no
        ("webhook-timestamp", "9" * 5000),  # past int()'s digit limit
        ("webhook-id", "\xff"),
    ):
        response = post(webhook, push.body, {**good, name: value})
        assert response.status_code in (401, 403), (name, value)
    assert not webhook.deliveries.filter(status_code__lt=400).exists()


@pytest.mark.parametrize("kind", sorted(PUSHES))
def test_every_verifier_compares_bytes(kind):
    """The shared mechanism: no header value can make a verifier raise
    anything but Refused."""
    push = recorded(PUSHES[kind])
    for value in (*NON_ASCII, "\ud800", "\0", "", " " * 10_000):
        for name in (
            "X-Hub-Signature-256",
            "X-Gitea-Signature",
            "X-Hub-Signature",
            "X-Gitlab-Token",
            "webhook-signature",
        ):
            headers = {
                "webhook-id": value,
                "webhook-timestamp": str(int(time.time())),
                name: value,
            }
            with pytest.raises(Refused):
                verify(kind, headers, push.body, ["s3cret"])


def test_a_non_digit_content_length_is_not_a_500(hooks):
    webhook, secret = hooks["github"]
    push = recorded(PUSHES["github"])
    headers = signed("github", secret, push.body, push.headers)
    for length in ("²", "-1", "1e3"):
        response = post(webhook, push.body, headers, CONTENT_LENGTH=length)
        assert response.status_code < 500, length


def test_odd_kinds_in_the_address_are_404(hooks):
    webhook, _ = hooks["github"]
    client = Client(raise_request_exception=False)
    for kind in ("git%00hub", "GITHUB", "%C3%A9", "x" * 300):
        response = client.post(
            f"/webhooks/{kind}/{webhook.uid}", b"{}", content_type="application/json"
        )
        assert response.status_code == 404, kind


def test_hostile_header_values_are_stored_safely(hooks):
    """Whatever a host or a proxy lets through is recorded, not a 500."""
    webhook, secret = hooks["github"]
    push = recorded(PUSHES["github"])
    hostile = {
        **push.headers,
        "X-GitHub-Delivery": "id\0with-nul",
        "X-GitHub-Event": "push\0",
        "X-Odd\0Name": "x",
        "X-Surrogate": "\ud800",
    }
    response = post(webhook, push.body, signed("github", secret, push.body, hostile))
    # "push\0" is no event GitHub sends: recorded (escaped), not acted upon.
    assert response.status_code == 200
    stored = webhook.deliveries.get()
    assert stored.event == "push\\x00"
    assert "\0" not in stored.delivery_id + stored.event
    assert "\0" not in json.dumps(stored.headers)


@pytest.mark.parametrize(
    "value",
    [
        '"\\ud800"',  # a lone surrogate: valid JSON, not valid UTF-8 text
        '"a\\u0000b"',
        "1" + "0" * 5000,  # past int()'s digit limit
        "[" * 100_000 + "]" * 100_000,  # deeper than the parser's recursion
    ],
)
def test_hostile_values_in_a_signed_body_are_not_a_500(hooks, value):
    webhook, secret = hooks["github"]
    push = recorded(PUSHES["github"])
    text = push.body.decode()
    for field in ('"full_name"', '"ref"', '"clone_url"', '"after"'):
        start = text.index(field) + len(field)
        start = text.index('"', start + 1)  # the value's opening quote
        end = text.index('"', start + 1) + 1
        body = (text[:start] + value + text[end:]).encode()
        response = post(webhook, body, signed("github", secret, body, push.headers))
        assert response.status_code in (200, 202, 400), (field, value[:20])


# Replays (finding 12).


def test_a_replayed_body_with_a_new_delivery_id_is_a_duplicate(hooks):
    webhook, secret = hooks["github"]
    push = recorded(PUSHES["github"])
    first = signed("github", secret, push.body, push.headers)
    replay = {**first, "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"}
    assert post(webhook, push.body, first).status_code == 202
    again = post(webhook, push.body, replay)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    verdicts = sorted(webhook.deliveries.values_list("verdict", flat=True))
    assert verdicts == ["duplicate", "ignored"]  # one processed, one not queued
    assert webhook.deliveries.filter(processed_at__isnull=False).count() == 1


@pytest.mark.parametrize("kind", sorted(PUSHES))
def test_every_kind_deduplicates_on_the_body(hooks, kind):
    webhook, secret = hooks[kind]
    push = recorded(PUSHES[kind])
    answers = []
    for n in range(3):
        headers = {
            **push.headers,
            # every delivery-id header a host may send, new each time
            "X-GitHub-Delivery": f"gh-{n}",
            "X-Gitea-Delivery": f"gt-{n}",
            "X-Gitlab-Event-UUID": f"gl-{n}",
            "X-Request-UUID": f"bb-{n}",
            "X-Request-Id": f"bs-{n}",
        }
        answers.append(
            post(webhook, push.body, signed(kind, secret, push.body, headers))
        )
    assert [a.status_code for a in answers] == [202, 200, 200]
    assert webhook.deliveries.filter(verdict="duplicate").count() == 2


def test_gitlab_prefers_the_signed_webhook_id(hooks):
    """A retry of one Standard Webhooks message keeps its webhook-id (signed) but
    carries a new timestamp, so a new signature: still the same delivery,
    whatever the unsigned X-Gitlab-Event-UUID says."""
    webhook, secret = hooks["gitlab"]
    push = recorded(PUSHES["gitlab"])
    now = int(time.time())
    headers = {**push.headers, "webhook-id": "msg_2Lh9KRb"}
    first = standard_signed(
        secret, push.body, {**headers, "X-Gitlab-Event-UUID": "a"}, stamp=now - 60
    )
    retry = standard_signed(
        secret, push.body, {**headers, "X-Gitlab-Event-UUID": "b"}, stamp=now
    )
    assert post(webhook, push.body, first).status_code == 202
    again = post(webhook, push.body, retry)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert set(webhook.deliveries.values_list("delivery_id", flat=True)) == {
        "msg_2Lh9KRb"
    }


def test_a_body_is_taken_again_after_the_rotation_window(hooks, settings):
    webhook, secret = hooks["github"]
    push = recorded(PUSHES["github"])
    headers = signed("github", secret, push.body, push.headers)
    assert post(webhook, push.body, headers).status_code == 202
    webhook.deliveries.update(
        received_at=timezone.now()
        - timedelta(seconds=settings.GREENROOM_WEBHOOK_ROTATION_GRACE + 1)
    )
    fresh = {**headers, "X-GitHub-Delivery": "later"}
    assert post(webhook, push.body, fresh).status_code == 202


def test_pruning_keeps_what_still_guards_against_replays(hooks, settings):
    from webhooks.tasks import prune_deliveries_task

    settings.GREENROOM_WEBHOOK_KEEP_DELIVERIES = 1
    webhook, secret = hooks["github"]
    push = recorded(PUSHES["github"])
    headers = signed("github", secret, push.body, push.headers)
    assert post(webhook, push.body, headers).status_code == 202
    for n in range(3):  # newer, forged: these crowd the accepted one out
        post(webhook, b"{}", {"X-Hub-Signature-256": "sha256=00", "n": str(n)})
    prune_deliveries_task()
    replay = {**headers, "X-GitHub-Delivery": "after-pruning"}
    assert post(webhook, push.body, replay).status_code == 200
