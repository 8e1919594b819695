"""The audit log: who changed what, when and from where. Append-only."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils import timezone


class AppendOnly(Exception):
    """Audit entries are never changed or removed."""


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit entries cannot be changed")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AppendOnly("audit entries cannot be removed")


class AuditEntry(models.Model):
    """One write, through the portal, the API, the command line or a webhook.

    No foreign keys: an entry outlives the person, location or token it names,
    and PostgreSQL refuses UPDATE and DELETE on the table (migration 0001).
    """

    class Source(models.TextChoices):
        WEB = "web", "Portal"
        API = "api", "API"
        CLI = "cli", "Command line"
        WEBHOOK = "webhook", "Webhook"
        SYSTEM = "system", "Greenroom"

    at = models.DateTimeField(default=timezone.now, editable=False)
    actor_id = models.IntegerField(null=True, blank=True, editable=False)
    actor = models.CharField(max_length=150, editable=False, help_text="As named then.")
    source = models.CharField(max_length=16, choices=Source.choices, editable=False)
    address = models.GenericIPAddressField(null=True, blank=True, editable=False)
    action = models.CharField(max_length=64, editable=False)
    target = models.CharField(max_length=2048, editable=False)
    details = models.JSONField(default=dict, blank=True, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_recent"),
            models.Index(fields=["action", "-at"], name="audit_action"),
            models.Index(fields=["actor", "-at"], name="audit_actor"),
        ]
        permissions = [("view_audit_log", "Can read the audit log")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("audit entries cannot be removed")
