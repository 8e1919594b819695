"""Celery tasks: thin wrappers that take ids and call one domain function."""

from __future__ import annotations

from celery import shared_task

from people.models import OrgProvider
from people.runs import due_providers, run_provider

BUSY_RETRY = 2  # seconds before a change (SCIM) tries a busy provider again


@shared_task(bind=True, acks_late=True, soft_time_limit=1800, time_limit=2000)
def run_provider_task(  # type: ignore[no-untyped-def]
    self, provider_id: int, trigger: str = "schedule", force: bool = False
) -> str:
    run = run_provider(provider_id, trigger=trigger, force=force)
    if run is not None:
        return run.status
    if trigger != "schedule" and OrgProvider.objects.filter(pk=provider_id).exists():
        # Another run holds it and may have read before this change: go again
        # after it, or a SCIM write could wait for the next one.
        raise self.retry(countdown=BUSY_RETRY, max_retries=300)
    return "skipped"


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def run_due_providers_task() -> int:
    due = due_providers()
    for provider_id in due:
        run_provider_task.delay(provider_id)
    return len(due)
