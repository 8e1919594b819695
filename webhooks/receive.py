"""One delivery, in the order that keeps it cheap and safe.

1. Find the webhook from the address (unknown: 404, nothing read).
2. Read the raw body, size-capped (413).
3. Verify the signature or token against the raw bytes, in constant time
   (401 nothing to check, 403 wrong or stale).
4. Read the JSON (400), record the delivery once per delivery id (a second one is
   a duplicate and changes nothing), and queue the work for a worker: 202 (503
   when the queue cannot be reached: the host retries, and the retry is taken).

No git, no matching of locations, nothing slow: the answer says only whether the
delivery was taken, never which repositories exist.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.datastructures import CaseInsensitiveMapping
from kombu.exceptions import KombuError

from webhooks import payloads
from webhooks.keys import UnreadableSecret
from webhooks.models import Delivery, Webhook
from webhooks.verify import Refused, verify

# Headers whose values are secrets, or could be: never stored.
SECRET_HEADERS = {"authorization", "cookie", "x-gitlab-token", "proxy-authorization"}
DELIVERY_ID_HEADERS = (
    "X-GitHub-Delivery",
    "X-Gitea-Delivery",
    "X-Forgejo-Delivery",
    "X-Gogs-Delivery",
    "Idempotency-Key",
    "X-Gitlab-Event-UUID",
    "webhook-id",
    "X-Request-UUID",
    "X-Request-Id",
)
KEPT_HEADERS = 40


@dataclass(slots=True)
class Answer:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


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
        verify(kind, headers, body, webhook.secrets())
    except Refused as refused:
        return _record(webhook, headers, refused.status, "rejected", refused.reason)
    except UnreadableSecret:
        reason = "the webhook's secret cannot be read: rotate it"
        return _record(webhook, headers, 403, Delivery.Verdict.REJECTED, reason)
    try:
        event = payloads.parse(kind, headers, body)
    except payloads.PayloadError as exc:
        return _record(webhook, headers, 400, Delivery.Verdict.INVALID, str(exc))
    key = _delivery_id(headers) or hashlib.sha256(body).hexdigest()
    if event.kind == "ping":
        return _record(webhook, headers, 200, "ping", "configured correctly", event)
    if event.kind != "push":
        reason = f"{event.event or 'this'} events are not used"
        return _record(webhook, headers, 200, "ignored", reason, event)
    return _accept(webhook, headers, event, key)


def _webhook(kind: str, hook: str) -> Webhook | None:
    try:
        uid = uuid.UUID(hook)
    except ValueError:
        return None
    return Webhook.objects.filter(uid=uid, kind=kind).first()


def _accept(
    webhook: Webhook,
    headers: Mapping[str, str],
    event: payloads.Event,
    key: str,
) -> Answer:
    from webhooks.tasks import process_delivery_task

    update = event.updates[0] if event.updates else None
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                **_fields(webhook, headers, 202, Delivery.Verdict.QUEUED, "", event),
                dedupe_key=key[:200],
                push=event.as_json(),
                ref=update.ref[:255] if update else "",
                commit=update.after if update else "",
            )
    except IntegrityError:  # the same delivery id again, maybe at the same time
        reason = "this delivery was received before"
        return _record(webhook, headers, 200, "duplicate", reason, event)
    try:
        process_delivery_task.delay(delivery.pk)
    except (KombuError, OSError):
        # Not queued: say so, and free the delivery id, so that the host's
        # retry (same id) is taken rather than called a duplicate.
        reason = "the task queue is unavailable; deliver again later"
        Delivery.objects.filter(pk=delivery.pk).update(
            dedupe_key=None, status_code=503, verdict="unavailable", detail=reason
        )
        return Answer(503, {"error": reason})
    return Answer(202, {"status": "queued", "delivery": delivery.pk})


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
        "delivery_id": _delivery_id(headers)[:200],
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
    return next((headers[h][:100] for h in names if headers.get(h)), "")


def _kept(headers: Mapping[str, str]) -> dict[str, str]:
    """The request's headers for the log, without secrets or what a proxy adds."""
    kept = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in SECRET_HEADERS or lower.startswith(("x-forwarded-", "x-real-ip")):
            continue
        kept[name[:100]] = str(value)[:500].replace("\0", "")
        if len(kept) >= KEPT_HEADERS:
            break
    return kept
