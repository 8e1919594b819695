"""Is this delivery from the host, with our secret? One check per host kind.

Every check reads the raw body bytes (never a re-serialised payload) and compares
in constant time. HMAC hosts sign the body with SHA-256 and send hex, with or
without a `sha256=` prefix; GitLab sends the secret itself, or (newer, behind a
flag) a Standard Webhooks signature over `id.timestamp.body` with a timestamp
that must be recent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence

# How far a signed timestamp may be from our clock (Standard Webhooks' advice).
TOLERANCE_SECONDS = 300

# The signature headers of each kind, the first present is checked.
HMAC_HEADERS = {
    "github": ("X-Hub-Signature-256",),
    "gitea": (
        "X-Gitea-Signature",
        "X-Forgejo-Signature",
        "X-Gogs-Signature",
        "X-Hub-Signature-256",
    ),
    "bitbucket-cloud": ("X-Hub-Signature",),
    "bitbucket-server": ("X-Hub-Signature",),
}


class Refused(Exception):
    """Not verified: 401 when nothing was sent to check, 403 when it is wrong."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def verify(
    kind: str,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    now: float | None = None,
) -> None:
    """Return quietly when one of `secrets` signed the delivery; raise Refused.
    Header names are matched in any case."""
    headers = {name.lower(): value for name, value in headers.items()}
    if kind == "gitlab":
        _gitlab(headers, body, secrets, time.time() if now is None else now)
        return
    name = next((h for h in HMAC_HEADERS[kind] if h.lower() in headers), None)
    if name is None:
        raise Refused(401, f"no signature ({HMAC_HEADERS[kind][0]})")
    sent = headers[name.lower()]
    if not any(hmac_matches(s.encode(), body, sent) for s in secrets):
        raise Refused(403, f"the {name} signature does not match")


def hmac_matches(secret: bytes, body: bytes, sent: str) -> bool:
    """A hex HMAC-SHA256 of `body`, with or without its `sha256=` prefix."""
    sent = sent.strip()
    if sent.lower().startswith("sha256="):
        sent = sent[len("sha256=") :]
    want = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, sent.lower())


def _gitlab(
    headers: Mapping[str, str], body: bytes, secrets: Sequence[str], now: float
) -> None:
    if "webhook-signature" in headers:
        _standard_webhook(headers, body, secrets, now)
        return
    token = headers.get("x-gitlab-token")
    if token is None:
        raise Refused(401, "no X-Gitlab-Token")
    if not any(hmac.compare_digest(s.encode(), token.encode()) for s in secrets):
        raise Refused(403, "the X-Gitlab-Token does not match")


def _standard_webhook(
    headers: Mapping[str, str], body: bytes, secrets: Sequence[str], now: float
) -> None:
    """`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""
    delivery, stamp = (
        headers.get("webhook-id", ""),
        headers.get("webhook-timestamp", ""),
    )
    if not delivery or not stamp.isdigit():
        raise Refused(401, "no webhook-id or webhook-timestamp")
    if abs(now - int(stamp)) > TOLERANCE_SECONDS:
        raise Refused(403, "the webhook-timestamp is stale")
    signed = delivery.encode() + b"." + stamp.encode() + b"." + body
    sent = [
        part.partition(",")[2]
        for part in headers["webhook-signature"].split()
        if part.startswith("v1,")
    ]
    for secret in secrets:
        key = _standard_key(secret)
        want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        if any(hmac.compare_digest(want, s) for s in sent):
            return
    raise Refused(403, "the webhook-signature does not match")


def _standard_key(secret: str) -> bytes:
    """Standard Webhooks secrets are `whsec_<base64>`; others are used as they are."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except binascii.Error:
            pass
    return secret.encode()
