"""Any request to any host kind's endpoint: 2xx or 4xx, never a 5xx; and nothing is
taken (recorded as accepted, queued) unless it was signed with the webhook's secret.

Headers: the names hosts use and others, values with non-ASCII and non-latin-1
text, huge, empty, and duplicated signature headers (as a WSGI server joins them).
Bodies: random bytes, JSON of the wrong shape, and the recorded deliveries of
../shared/fixtures/webhooks with one field replaced by a hostile value. Each body is
signed correctly, with another secret, or not at all.

`make test` runs a fixed, bounded set (derandomized); HYPOTHESIS_PROFILE=long
runs many more examples.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.deliveries import all_recorded, recorded
from webhooks.models import Delivery, Webhook
from webhooks.registry import create_webhook, payload_url

pytestmark = pytest.mark.django_db

KINDS = ("github", "gitea", "gitlab", "bitbucket-cloud", "bitbucket-server")
_HEALTH = [
    HealthCheck.function_scoped_fixture,  # one webhook per kind for all examples
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
]
settings.register_profile(
    "webhooks-default",
    max_examples=120,
    derandomize=True,
    deadline=None,
    suppress_health_check=_HEALTH,
)
settings.register_profile(
    "webhooks-long",
    max_examples=5_000,
    derandomize=True,
    deadline=None,
    suppress_health_check=_HEALTH,
)
PROFILE = settings.get_profile(
    "webhooks-long"
    if os.environ.get("HYPOTHESIS_PROFILE") == "long"
    else "webhooks-default"
)

# What hosts send, and what they do not: every kind's auth headers are tried
# against every kind's endpoint.
AUTH_HEADERS = (
    "X-Hub-Signature-256",
    "X-Hub-Signature",
    "X-Gitea-Signature",
    "X-Forgejo-Signature",
    "X-Gogs-Signature",
    "X-Gitlab-Token",
    "webhook-signature",
)
KNOWN_HEADERS = (
    *AUTH_HEADERS,
    "webhook-id",
    "webhook-timestamp",
    "X-GitHub-Event",
    "X-Gitea-Event",
    "X-Gitlab-Event",
    "X-Event-Key",
    "X-GitHub-Delivery",
    "X-Gitlab-Event-UUID",
    "X-Request-Id",
    "Idempotency-Key",
    "Authorization",
    "Cookie",
    "X-Forwarded-For",
)
# Headers of the recordings that the test client sets itself.
CLIENT_HEADERS = {"host", "content-length", "content-type"}
HOSTILE_TEXT = (
    "sha256=\xff",
    "sha256=",
    "v1,",
    "v1,\xff v1,AAAA",
    "²",
    "9" * 5000,
    "\0",
    "é" * 64,
    "\u202e" + "a" * 63,
    "",
)
# Valid JSON, hostile values (text: pasted into a recorded body as they are).
HOSTILE_JSON = (
    '"\\ud800"',
    '"\\udfff\\ud800"',
    '"a\\u0000b"',
    "1" + "0" * 5000,
    "1e999999",
    "-0",
    "[" * 50_000 + "]" * 50_000,
    '{"a": ' * 2000 + "1" + "}" * 2000,
    '"' + "x" * 100_000 + '"',
    '"refs/heads/' + "../" * 500 + '"',
    "null",
    "[]",
    "{}",
    "true",
)


def on_the_wire(text: str) -> str:
    """`text` sent as UTF-8 and read as a WSGI server hands it to Django: bytes
    decoded as latin-1 (so "é" arrives as "Ã©"; no other text can arrive)."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


header_values = st.one_of(
    st.text(max_size=80),
    st.text(st.characters(max_codepoint=255), max_size=80),
    st.sampled_from(HOSTILE_TEXT),
    st.integers(1, 20_000).map(lambda n: "a" * n),
    # Two copies of one header, joined by the server as HTTP allows.
    st.lists(st.text(max_size=70), min_size=2, max_size=3).map(", ".join),
)
header_names = st.one_of(
    st.sampled_from(KNOWN_HEADERS),
    st.from_regex(r"\AX-[A-Za-z0-9-]{1,20}\Z"),
)
noise = st.dictionaries(header_names, header_values, max_size=6)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a JSON document, to pick one field to replace."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:5]):
            found += _paths(item, (*prefix, index))
    return found


def _replaced(document: Any, path: tuple, text: str) -> bytes:
    """`document` as JSON with the value at `path` replaced by the JSON `text`."""
    marker = "\x01greenroom-marker\x01"
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = marker
    return json.dumps(document).replace(json.dumps(marker), text).encode()


@st.composite
def mutated_recording(draw: st.DrawFn) -> tuple[bytes, dict[str, str]]:
    """A recorded delivery with one field made hostile, and its headers."""
    name = draw(st.sampled_from(RECORDINGS))
    delivery = recorded(name)
    document = json.loads(delivery.body)
    path = draw(st.sampled_from(_paths(document) or [()]))
    if not path:
        return delivery.body, delivery.headers
    if draw(st.booleans()):
        text = draw(st.sampled_from(HOSTILE_JSON))
    else:
        text = json.dumps(draw(json_values))
    return _replaced(document, path, text), delivery.headers


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[str, bytes, dict[str, str], str]:
    """(kind, body, headers, how it is signed: good, standard, wrong or none)."""
    kind = draw(st.sampled_from(KINDS))
    body, headers = draw(
        st.one_of(
            mutated_recording(),
            st.binary(max_size=2000).map(lambda b: (b, {})),
            json_values.map(lambda v: (json.dumps(v).encode(), {})),
        )
    )
    headers = {k: v for k, v in headers.items() if k.lower() not in CLIENT_HEADERS}
    headers |= draw(noise)
    modes = ["good", "wrong", "none"] + (["standard"] if kind == "gitlab" else [])
    return kind, body, headers, draw(st.sampled_from(modes))


def sign(kind: str, mode: str, secret: str, body: bytes, headers: dict) -> dict:
    if mode == "none":
        return headers
    key = secret if mode in ("good", "standard") else "not-the-secret"
    headers = {
        k: v
        for k, v in headers.items()
        if k.lower() not in {h.lower() for h in AUTH_HEADERS}
        and not (mode == "standard" and k.lower().startswith("webhook-"))
    }
    if mode == "standard":
        stamp = str(int(time.time()))
        signed = b"msg_p." + stamp.encode() + b"." + body
        mac = hmac.new(key.encode(), signed, hashlib.sha256).digest()
        return headers | {
            "webhook-id": "msg_p",
            "webhook-timestamp": stamp,
            "webhook-signature": "v1," + base64.b64encode(mac).decode(),
        }
    if kind == "gitlab":
        return headers | {"X-Gitlab-Token": key}
    digest = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    name = {"github": "X-Hub-Signature-256", "gitea": "X-Gitea-Signature"}.get(
        kind, "X-Hub-Signature"
    )
    return headers | {name: f"sha256={digest}"}


RECORDINGS = all_recorded()


@pytest.fixture
def hooks() -> dict[str, tuple[Webhook, str]]:
    made = {k: create_webhook(k, owner_url="https://github.com/acme") for k in KINDS}
    return {kind: (c.webhook, c.secret) for kind, c in made.items()}


def taken(webhook: Webhook) -> int:
    """Deliveries recorded as accepted (queued or acted on), or as a duplicate."""
    return webhook.deliveries.exclude(
        verdict__in=[Delivery.Verdict.REJECTED, Delivery.Verdict.INVALID]
    ).count()


@pytest.mark.skipif(not RECORDINGS, reason="../shared/fixtures/webhooks is absent")
@settings(PROFILE)
@given(case=deliveries())
def test_any_delivery_is_answered_2xx_or_4xx_and_only_signed_ones_are_taken(
    hooks, case
):
    kind, body, headers, mode = case
    webhook, secret = hooks[kind]
    headers = sign(kind, mode, secret, body, headers)
    headers = {name: on_the_wire(value) for name, value in headers.items()}
    with transaction.atomic():  # each example on its own: no replays between them
        response = Client().post(
            payload_url(webhook), body, content_type="application/json", headers=headers
        )
        status, was_taken = response.status_code, taken(webhook)
        transaction.set_rollback(True)
    assert 200 <= status < 500, status
    assert status < 300 or status >= 400, status
    if mode in ("good", "standard"):
        assert status in (200, 202, 400), status
    else:
        assert 400 <= status < 500, status
        assert was_taken == 0
