from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_save


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry

        from audit import admin_log

        # Changes made in Django's admin are writes through the portal too:
        # single rows arrive by post_save, bulk ones through the manager.
        post_save.connect(
            admin_log.on_save, sender=LogEntry, dispatch_uid="audit-admin"
        )
        admin_log.install()
