"""Webhook registrations and the deliveries hosts made to them."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from catalog.models import Location
from webhooks import keys


class Webhook(models.Model):
    """Where one git host sends pushes: for a location, or a whole organisation."""

    class Kind(models.TextChoices):
        GITHUB = "github", "GitHub"
        GITLAB = "gitlab", "GitLab"
        GITEA = "gitea", "Gitea, Forgejo or Gogs"
        BITBUCKET_CLOUD = "bitbucket-cloud", "Bitbucket Cloud"
        BITBUCKET_SERVER = "bitbucket-server", "Bitbucket Data Center"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhooks",
    )
    owner_url = models.CharField(
        max_length=2048,
        blank=True,
        help_text="A host organisation (https://github.com/acme): its locations.",
    )
    sealed_secret = models.TextField(editable=False)
    previous_sealed_secret = models.TextField(blank=True, editable=False)
    previous_valid_until = models.DateTimeField(null=True, blank=True)
    host_hook_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="The hook's id on the host, if made there.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(location__isnull=False) & Q(owner_url=""))
                | (Q(location__isnull=True) & ~Q(owner_url="")),
                name="webhook_one_scope",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} webhook for {self.scope}"

    @property
    def scope(self) -> str:
        return self.location.url if self.location else self.owner_url

    @sensitive_variables()
    def secrets(self, now: datetime | None = None) -> list[str]:
        """The secrets a delivery may be signed with: the current one, and the
        previous one during its grace period after a rotation."""
        found = [keys.unseal(self.sealed_secret)]
        now = now or timezone.now()
        if self.previous_sealed_secret and (
            self.previous_valid_until and now < self.previous_valid_until
        ):
            found.append(keys.unseal(self.previous_sealed_secret))
        return found


class Delivery(models.Model):
    """One request a host made, whatever became of it: the host's "recent
    deliveries", on our side. Secrets in headers are never kept."""

    class Verdict(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        UNAVAILABLE = "unavailable", "Queue unavailable"  # 503: the host retries
        CRAWLED = "crawled", "Crawl queued"
        DISCOVERY = "discovery", "Discovery check queued"
        SKIPPED = "skipped", "Skipped"
        IGNORED = "ignored", "Ignored"
        PING = "ping", "Ping"
        DUPLICATE = "duplicate", "Duplicate"
        REJECTED = "rejected", "Rejected"
        INVALID = "invalid", "Invalid"

    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="deliveries"
    )
    received_at = models.DateTimeField(default=timezone.now)
    delivery_id = models.CharField(max_length=200, blank=True)
    # The delivery id (or the body's hash) of accepted deliveries only: a second
    # delivery with the same key is a duplicate, even when both arrive at once.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    # SHA-256 of what the signature covered, on accepted deliveries only, for
    # GREENROOM_WEBHOOK_ROTATION_GRACE seconds (then cleared): a replay under a
    # new, unsigned delivery id is a duplicate too (webhooks/receive.py).
    body_digest = models.CharField(max_length=64, null=True, blank=True)
    event = models.CharField(max_length=100, blank=True)
    status_code = models.PositiveSmallIntegerField()
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    detail = models.TextField(blank=True)
    repository = models.CharField(max_length=500, blank=True)
    ref = models.CharField(max_length=255, blank=True)
    commit = models.CharField(max_length=64, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    push = models.JSONField(null=True, blank=True, help_text="What the task needs.")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["webhook", "-received_at"], name="delivery_recent")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "dedupe_key"], name="delivery_once"
            ),
            models.UniqueConstraint(
                fields=["webhook", "body_digest"], name="delivery_body_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id} {self.event} {self.verdict}"


class DeliveryCrawl(models.Model):
    """A crawl a delivery asked for; its outcome is the location's next crawl run."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="crawls"
    )
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"delivery {self.delivery_id}: crawl of location {self.location_id}"
