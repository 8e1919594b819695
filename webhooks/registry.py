"""Creating, rotating and deleting webhooks: shared by the portal and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from audit import log as audit
from catalog.models import Location
from webhooks import hostapi, keys
from webhooks.matching import owner_key
from webhooks.models import Webhook


class WebhookError(ValueError):
    """A webhook that cannot be made as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Created:
    webhook: Webhook
    secret: str  # shown once, then only kept sealed
    host_hook: str = ""  # the host's hook id, when it was created there


@sensitive_variables()  # the new secret, the host token, and hostapi below
def create_webhook(
    kind: str,
    *,
    location: Location | None = None,
    owner_url: str = "",
    user: Any = None,
    host_token: str = "",
    base_url: str = "",
) -> Created:
    """A webhook for a location or a host organisation, with a new secret; with a
    host token, the hook is created on the host too (GitHub, GitLab)."""
    if kind not in Webhook.Kind.values:
        raise WebhookError(f"{kind!r} is not a git host kind")
    owner_url = owner_url.strip().rstrip("/")
    if (location is None) == (not owner_url):
        raise WebhookError("give either a location or a host organisation URL")
    if owner_url and (
        not owner_key(owner_url) or "@" in owner_url or len(owner_url) > 2048
    ):
        raise WebhookError(
            "the organisation must be a URL like https://github.com/acme"
        )
    secret = keys.new_secret()
    webhook = Webhook(
        kind=kind,
        location=location,
        owner_url=owner_url,
        sealed_secret=keys.seal(secret),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if host_token:  # first on the host (no transaction held open meanwhile)
        try:
            made = hostapi.create_hook(
                kind,
                location.url if location else owner_url,
                organisation=location is None,
                payload_url=payload_url(webhook, base_url),
                secret=secret,
                token=host_token,
            )
        except hostapi.HostError as exc:
            message = f"the hook could not be made on the host: {exc}"
            raise WebhookError(message) from None
        webhook.host_hook_id = made.id
    with transaction.atomic():
        webhook.save()
        audit.record(
            "webhook.create",
            webhook.scope,
            webhook=str(webhook.uid),
            kind=kind,
            on_host=bool(webhook.host_hook_id),
        )
    return Created(webhook, secret, webhook.host_hook_id)


@sensitive_variables()
def rotate_secret(webhook: Webhook) -> str:
    """A new secret; the old one is still accepted for the grace period, so the
    host can be updated without losing deliveries."""
    secret = keys.new_secret()
    now = timezone.now()
    grace = timedelta(seconds=settings.GREENROOM_WEBHOOK_ROTATION_GRACE)
    with transaction.atomic():
        Webhook.objects.filter(pk=webhook.pk).update(
            sealed_secret=keys.seal(secret),
            previous_sealed_secret=webhook.sealed_secret,
            previous_valid_until=now + grace,
            rotated_at=now,
        )
        audit.record("webhook.rotate", webhook.scope, webhook=str(webhook.uid))
    webhook.refresh_from_db()
    return secret


def delete_webhook(webhook: Webhook) -> None:
    with transaction.atomic():
        audit.record("webhook.delete", webhook.scope, webhook=str(webhook.uid))
        webhook.delete()


def payload_url(webhook: Webhook, base_url: str = "") -> str:
    """The address to paste into the host: GREENROOM_PUBLIC_URL, or `base_url`."""
    base = settings.GREENROOM_PUBLIC_URL or base_url.rstrip("/")
    path = reverse("webhooks:deliver", args=[webhook.kind, webhook.uid])
    return f"{base}{path}"
