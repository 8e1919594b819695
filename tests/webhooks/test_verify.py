"""Every recorded delivery verifies with its recorded secret, and nothing else does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from tests.support.deliveries import all_recorded, recorded, signed
from tests.support.fixtures import shared_fixtures
from webhooks.verify import Refused, verify


def signature_cases() -> list[dict]:
    folder = shared_fixtures("webhooks")
    return json.loads((folder / "signatures.json").read_text())


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_every_recorded_signature_verifies_and_one_changed_byte_fails():
    cases = signature_cases()
    assert len(cases) == 6
    for case in cases:
        delivery = recorded(case["body"].removesuffix(".json"))
        sent = delivery.headers[case["header"]]
        assert sent.startswith(case["prefix"])
        verify(delivery.kind, delivery.headers, delivery.body, [case["secret"]])
        with pytest.raises(Refused) as wrong_secret:
            verify(delivery.kind, delivery.headers, delivery.body, ["not-it"])
        assert wrong_secret.value.status == 403
        for index in (0, len(sent) - 1):  # one character of the signature or token
            changed = (
                sent[:index] + ("0" if sent[index] != "0" else "1") + sent[index + 1 :]
            )
            headers = {**delivery.headers, case["header"]: changed}
            with pytest.raises(Refused):
                verify(delivery.kind, headers, delivery.body, [case["secret"]])
        if case["algorithm"] == "plain-token":
            continue  # GitLab's token does not cover the body: nothing to flip there
        for at in (0, len(delivery.body) // 2, len(delivery.body) - 1):
            with pytest.raises(Refused) as changed_body:
                verify(
                    delivery.kind,
                    delivery.headers,
                    flip(delivery.body, at),
                    [case["secret"]],
                )
            assert changed_body.value.status == 403


def test_githubs_published_test_vector():
    vector = json.loads(
        (shared_fixtures("webhooks") / "github/signature-test-vector.json").read_text()
    )
    headers = {"X-Hub-Signature-256": vector["X-Hub-Signature-256"]}
    verify("github", headers, vector["payload"].encode(), [vector["secret"]])
    headers = {"X-Hub-Signature-256": vector["signature"]}  # without the prefix
    verify("github", headers, vector["payload"].encode(), [vector["secret"]])


@pytest.mark.parametrize("name", all_recorded())
def test_every_recorded_body_verifies_when_we_sign_it(name):
    delivery = recorded(name)
    headers = signed(delivery.kind, "s3cret", delivery.body, delivery.headers)
    verify(delivery.kind, headers, delivery.body, ["old", "s3cret"])
    if delivery.kind != "gitlab":
        with pytest.raises(Refused):
            verify(delivery.kind, headers, flip(delivery.body, 1), ["s3cret"])


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        ("github", "X-Hub-Signature-256"),
        ("gitea", "X-Gitea-Signature"),
        ("bitbucket-cloud", "X-Hub-Signature"),
        ("bitbucket-server", "X-Hub-Signature"),
        ("gitlab", "X-Gitlab-Token"),
    ],
)
def test_nothing_to_check_is_401_and_a_wrong_kind_of_header_does_not_count(
    kind, header
):
    with pytest.raises(Refused) as missing:
        verify(kind, {}, b"{}", ["s"])
    assert missing.value.status == 401
    assert header in missing.value.reason
    # GitHub's legacy SHA-1 header is never enough.
    sha1 = "sha1=" + hmac.new(b"s", b"{}", hashlib.sha1).hexdigest()
    with pytest.raises(Refused):
        verify(
            kind, {"X-Hub-Signature": sha1} if kind == "github" else {}, b"{}", ["s"]
        )


def test_gitea_forgejo_and_gogs_headers_are_all_understood():
    body = b'{"ref": "refs/heads/main"}'
    digest = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    for header in ("X-Gitea-Signature", "X-Forgejo-Signature", "X-Gogs-Signature"):
        verify("gitea", {header: digest}, body, ["k"])
    verify("gitea", {"X-Hub-Signature-256": f"sha256={digest}"}, body, ["k"])


def standard_headers(secret: bytes, body: bytes, stamp: int, ident: str = "msg_1"):
    signed_text = f"{ident}.{stamp}.".encode() + body
    sig = base64.b64encode(hmac.new(secret, signed_text, hashlib.sha256).digest())
    return {
        "webhook-id": ident,
        "webhook-timestamp": str(stamp),
        "webhook-signature": f"v1,bm90LWl0 v1,{sig.decode()}",
    }


def test_gitlabs_signed_deliveries_and_their_timestamps():
    body, now = b'{"object_kind": "push"}', 1_750_000_000
    key = base64.b64encode(b"signing-key-bytes").decode()
    headers = standard_headers(b"signing-key-bytes", body, now)
    verify("gitlab", headers, body, [f"whsec_{key}"], now=now + 60)
    with pytest.raises(Refused, match="stale"):
        verify("gitlab", headers, body, [f"whsec_{key}"], now=now + 301)
    with pytest.raises(Refused, match="does not match"):
        verify("gitlab", headers, flip(body, 3), [f"whsec_{key}"], now=now)
    plain = standard_headers(b"plain-secret", body, now)
    verify("gitlab", plain, body, ["plain-secret"], now=now)
