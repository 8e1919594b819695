"""Is this delivery from the host, with our secret? One check per host kind.

Every check reads the raw body bytes (never a re-serialised payload) and compares
in constant time. HMAC hosts sign the body with SHA-256 and send hex, with or
without a `sha256=` prefix; GitLab sends the secret itself, or (newer, behind a
flag) a Standard Webhooks signature over `id.timestamp.body` with a timestamp
that must be recent.

Signatures and tokens are ASCII by every host's definition: they are compared as
bytes, and any other header value is refused (403), never an error (a str compare
raises on non-ASCII text). Every function here holds secrets, so `verify` is
marked for Django's error reports: its frames, and those it calls, are cleansed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.views.decorators.debug import (  # type: ignore[import-untyped]
    sensitive_variables,
)

F = TypeVar("F", bound=Callable[..., Any])

# How far a signed timestamp may be from our clock (Standard Webhooks' advice).
TOLERANCE_SECONDS = 300
STAMP_DIGITS = 12  # seconds since 1970, for the next 30,000 years

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


@dataclass(frozen=True, slots=True)
class Verified:
    """What the signature vouches for, to recognise a replay of it."""

    digest: str  # SHA-256 (hex) of everything the signature or token covers
    signed_id: str = ""  # a delivery id inside the signature, when there is one


def _hidden_from_error_reports(func: F) -> F:
    """Django's `sensitive_variables()`, typed: the debug page and error reports
    show none of `func`'s locals, nor those of anything it calls."""
    return cast(F, sensitive_variables()(func))


@_hidden_from_error_reports
def verify(
    kind: str,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    now: float | None = None,
) -> Verified:
    """What one of `secrets` signed; raise Refused when none did.
    Header names are matched in any case."""
    headers = {name.lower(): value for name, value in headers.items()}
    if kind == "gitlab":
        return _gitlab(headers, body, secrets, time.time() if now is None else now)
    name = next((h for h in HMAC_HEADERS[kind] if h.lower() in headers), None)
    if name is None:
        raise Refused(401, f"no signature ({HMAC_HEADERS[kind][0]})")
    sent = _ascii(headers, name)
    if not any(hmac_matches(s.encode(), body, sent) for s in secrets):
        raise Refused(403, f"the {name} signature does not match")
    return Verified(hashlib.sha256(body).hexdigest())


def hmac_matches(secret: bytes, body: bytes, sent: bytes) -> bool:
    """A hex HMAC-SHA256 of `body`, with or without its `sha256=` prefix."""
    sent = sent.strip().lower().removeprefix(b"sha256=")
    want = hmac.new(secret, body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(want, sent)


def _ascii(headers: Mapping[str, str], name: str) -> bytes:
    """A header's value as the bytes to compare; Refused when it is not ASCII."""
    value = headers.get(name.lower(), "")
    if not value.isascii():
        raise Refused(403, f"the {name} header is not ASCII")
    return value.encode("ascii")


def _gitlab(
    headers: Mapping[str, str], body: bytes, secrets: Sequence[str], now: float
) -> Verified:
    if "webhook-signature" in headers:
        return _standard_webhook(headers, body, secrets, now)
    if "x-gitlab-token" not in headers:
        raise Refused(401, "no X-Gitlab-Token")
    token = _ascii(headers, "X-Gitlab-Token")
    if not any(hmac.compare_digest(s.encode(), token) for s in secrets):
        raise Refused(403, "the X-Gitlab-Token does not match")
    return Verified(hashlib.sha256(body).hexdigest())


def _standard_webhook(
    headers: Mapping[str, str], body: bytes, secrets: Sequence[str], now: float
) -> Verified:
    """`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""
    delivery, stamp = (
        _ascii(headers, "webhook-id"),
        _ascii(headers, "webhook-timestamp"),
    )
    if not delivery or not stamp.isdigit() or len(stamp) > STAMP_DIGITS:
        raise Refused(401, "no webhook-id or webhook-timestamp")
    if abs(now - int(stamp)) > TOLERANCE_SECONDS:
        raise Refused(403, "the webhook-timestamp is stale")
    signed = delivery + b"." + stamp + b"." + body
    sent = [
        part.partition(b",")[2]
        for part in _ascii(headers, "webhook-signature").split()
        if part.startswith(b"v1,")
    ]
    for secret in secrets:
        key = _standard_key(secret)
        want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
        if any(hmac.compare_digest(want, s) for s in sent):
            # The id is signed: a retry of this message, re-signed with a new
            # timestamp, is still recognised by it.
            return Verified(hashlib.sha256(signed).hexdigest(), delivery.decode())
    raise Refused(403, "the webhook-signature does not match")


def _standard_key(secret: str) -> bytes:
    """Standard Webhooks secrets are `whsec_<base64>`; others are used as they are."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except binascii.Error:
            pass
    return secret.encode()
