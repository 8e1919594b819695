"""The Django admin's own log (LogEntry rows) copied into the audit log.

Every admin in every app (the catalog's, auth's users and groups, compliance's
rules) logs through LogEntry: one row at a time with save(), or several at once
with bulk_create ("delete selected", Django 5.1+), which sends no post_save.
Recording at the row level, for both, means no admin action can skip the audit.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from audit.log import record_many

VERBS = {1: "add", 2: "change", 3: "delete"}


def install() -> None:
    """Make LogEntry's manager (the one instance the admin uses) audit bulk writes.

    The instance is wrapped rather than its class replaced: migrations compare
    managers by class, and admin's migrations are not ours to change."""
    manager = LogEntry._default_manager
    if getattr(manager, "audited", False):
        return
    bulk_create = manager.bulk_create

    def audited_bulk_create(objs: Any, *args: Any, **kwargs: Any) -> list[LogEntry]:
        created: list[LogEntry] = bulk_create(objs, *args, **kwargs)
        record_admin_changes(created)
        return created

    manager.bulk_create = audited_bulk_create  # type: ignore[method-assign]
    manager.audited = True  # type: ignore[attr-defined]


def on_save(sender: Any, instance: LogEntry, created: bool, **_: Any) -> None:
    if created:
        record_admin_changes([instance])


def record_admin_changes(entries: list[LogEntry]) -> None:
    """One audit entry per admin log row, grouped by verb into one statement each."""
    by_verb: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for entry in entries:
        verb = VERBS.get(entry.action_flag, "change")
        model = (
            ContentType.objects.get_for_id(entry.content_type_id).model
            if entry.content_type_id
            else "object"
        )
        target = (
            f"{model}: {entry.object_repr}",
            {"message": entry.get_change_message()},
        )
        by_verb.setdefault(verb, []).append(target)
    for verb, targets in by_verb.items():
        record_many(f"admin.{verb}", targets)
