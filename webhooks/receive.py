"""One delivery, in the order that keeps it cheap and safe.

1. Find the webhook from the address (unknown: 404, nothing read).
2. Read the raw body, size-capped (413).
3. Verify the signature or token against the raw bytes, in constant time
   (401 nothing to check, 403 wrong or stale).
4. Read the JSON (400), record the delivery once (a second one is a duplicate,
   answered 200, and changes nothing), and queue the work for a worker: 202 (503
   when the queue cannot be reached: the host retries, and the retry is taken).

Once: per delivery id (the signed one when the host signs it: GitLab's
`webhook-id`), and per digest of what the signature covers, for
GREENROOM_WEBHOOK_ROTATION_GRACE seconds. Delivery ids such as X-GitHub-Delivery
are not signed: without the digest, a captured delivery sent again under a new id
would be taken again.

No git, no matching of locations, nothing slow: the answer says only whether the
delivery was taken, never which repositories exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.datastructures import CaseInsensitiveMapping
from django.views.decorators.debug import sensitive_variables
from kombu.exceptions import KombuError

from catalog.storable import storable_text
from webhooks import payloads
from webhooks.keys import UnreadableSecret
from webhooks.models import Delivery, Webhook
from webhooks.verify import Refused, Verified, verify

# Headers whose values are secrets, or could be: never stored.
SECRET_HEADERS = {"authorization", "cookie", "x-gitlab-token", "proxy-authorization"}
DELIVERY_ID_HEADERS = (
    "X-GitHub-Delivery",
    "X-Gitea-Delivery",
    "X-Forgejo-Delivery",
    "X-Gogs-Delivery",
    "Idempotency-Key",
    "webhook-id",  # GitLab: signed, so before its unsigned X-Gitlab-Event-UUID
    "X-Gitlab-Event-UUID",
    "X-Request-UUID",
    "X-Request-Id",
)
KEPT_HEADERS = 40


@dataclass(slots=True)
class Answer:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


@sensitive_variables("headers")  # GitLab's token is a header
def receive(
    kind: str,
    hook: str,
    headers: Mapping[str, str],
    read: Callable[[int], bytes],
    length: int | None,
) -> Answer:
    """Handle one delivery to /webhooks/<kind>/<hook>; `read(n)` reads the body."""
    webhook = _webhook(kind, hook)
    if webhook is None:
        return Answer(404, {"error": "no such webhook"})
    headers = CaseInsensitiveMapping(dict(headers))
    limit = settings.GREENROOM_WEBHOOK_MAX_BODY
    if length is not None and length > limit:
        return _record(webhook, headers, 413, Delivery.Verdict.INVALID, "too large")
    body = read(limit + 1)
    if len(body) > limit:
        return _record(webhook, headers, 413, Delivery.Verdict.INVALID, "too large")
    try:
        verified = verify(kind, headers, body, webhook.secrets())
    except Refused as refused:
        return _record(webhook, headers, refused.status, "rejected", refused.reason)
    except UnreadableSecret:
        reason = "the webhook's secret cannot be read: rotate it"
        return _record(webhook, headers, 403, Delivery.Verdict.REJECTED, reason)
    try:
        event = payloads.parse(kind, headers, body)
    except payloads.PayloadError as exc:
        return _record(webhook, headers, 400, Delivery.Verdict.INVALID, str(exc))
    if event.kind == "ping":
        return _record(webhook, headers, 200, "ping", "configured correctly", event)
    if event.kind not in ("push", "repository"):
        reason = f"{event.event or 'this'} events are not used"
        return _record(webhook, headers, 200, "ignored", reason, event)
    return _accept(webhook, headers, event, verified)


def _webhook(kind: str, hook: str) -> Webhook | None:
    if kind not in Webhook.Kind.values:
        return None  # before any query: the address is anyone's text
    try:
        uid = uuid.UUID(hook)
    except ValueError:
        return None
    return Webhook.objects.filter(uid=uid, kind=kind).first()


def _accept(
    webhook: Webhook,
    headers: Mapping[str, str],
    event: payloads.Event,
    verified: Verified,
) -> Answer:
    from webhooks.tasks import process_delivery_task

    update = event.updates[0] if event.updates else None
    key = verified.signed_id or _delivery_id(headers) or verified.digest
    try:
        with transaction.atomic():
            _expire_digest(webhook, verified.digest)
            delivery = Delivery.objects.create(
                **_fields(webhook, headers, 202, Delivery.Verdict.QUEUED, "", event),
                dedupe_key=storable_text(key, 200),
                body_digest=verified.digest,
                push=event.as_json(),
                ref=update.ref[:255] if update else "",
                commit=update.after if update else "",
            )
    except IntegrityError:  # the same delivery id or body again, maybe at once
        reason = "this delivery was received before"
        return _record(webhook, headers, 200, "duplicate", reason, event)
    try:
        process_delivery_task.delay(delivery.pk)
    except (KombuError, OSError):
        # Not queued: say so, and free the delivery id and digest, so that the
        # host's retry (same id, same body) is taken rather than called a duplicate.
        reason = "the task queue is unavailable; deliver again later"
        Delivery.objects.filter(pk=delivery.pk).update(
            dedupe_key=None,
            body_digest=None,
            status_code=503,
            verdict="unavailable",
            detail=reason,
        )
        return Answer(503, {"error": reason})
    return Answer(202, {"status": "queued", "delivery": delivery.pk})


def _expire_digest(webhook: Webhook, digest: str) -> None:
    """Free a digest taken longer ago than the window: the unique constraint then
    decides, even for two copies that arrive at once (the second one's UPDATE
    waits for the first, then finds nothing left to free)."""
    since = timezone.now() - timedelta(
        seconds=settings.GREENROOM_WEBHOOK_ROTATION_GRACE
    )
    Delivery.objects.filter(
        webhook=webhook, body_digest=digest, received_at__lt=since
    ).update(body_digest=None)


def _record(
    webhook: Webhook,
    headers: Mapping[str, str],
    status: int,
    verdict: str,
    detail: str,
    event: payloads.Event | None = None,
) -> Answer:
    Delivery.objects.create(**_fields(webhook, headers, status, verdict, detail, event))
    if status >= 400:
        return Answer(status, {"error": detail})
    return Answer(status, {"status": verdict, "detail": detail})


def _fields(
    webhook: Webhook,
    headers: Mapping[str, str],
    status: int,
    verdict: str,
    detail: str,
    event: payloads.Event | None,
) -> dict[str, Any]:
    return {
        "webhook": webhook,
        "delivery_id": storable_text(_delivery_id(headers), 200),
        "event": event.event[:100] if event else _event_header(headers),
        "status_code": status,
        "verdict": verdict,
        "detail": detail,
        "repository": event.repository if event else "",
        "headers": _kept(headers),
    }


def _delivery_id(headers: Mapping[str, str]) -> str:
    return next((headers[h] for h in DELIVERY_ID_HEADERS if headers.get(h)), "")


def _event_header(headers: Mapping[str, str]) -> str:
    names = ("X-GitHub-Event", "X-Gitlab-Event", "X-Event-Key", "X-Gitea-Event")
    return next((storable_text(headers[h], 100) for h in names if headers.get(h)), "")


def _kept(headers: Mapping[str, str]) -> dict[str, str]:
    """The request's headers for the log, without secrets or what a proxy adds."""
    kept = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in SECRET_HEADERS or lower.startswith(("x-forwarded-", "x-real-ip")):
            continue
        kept[storable_text(name, 100)] = storable_text(str(value), 500)
        if len(kept) >= KEPT_HEADERS:
            break
    return kept
