from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry

        post_save.connect(_admin_change, sender=LogEntry, dispatch_uid="audit-admin")


def _admin_change(sender: Any, instance: Any, created: bool, **_: Any) -> None:
    """Changes made in Django's admin are writes through the portal too."""
    from audit.log import record

    if created:
        verb = {1: "add", 2: "change", 3: "delete"}.get(instance.action_flag, "change")
        model = instance.content_type.model if instance.content_type else "object"
        record(
            f"admin.{verb}",
            f"{model}: {instance.object_repr}",
            message=instance.get_change_message(),
        )
