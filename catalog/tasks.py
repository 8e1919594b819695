"""Celery tasks: thin wrappers that take ids and call one domain function."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from catalog.ingest.git import TransientGitError
from catalog.ingest.schedule import refresh_due
from catalog.ingest.sync import TransientCrawlError, crawl_queued
from catalog.statistics import refresh_statistics


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=300,
    time_limit=360,
    autoretry_for=(TransientGitError, TransientCrawlError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=settings.GREENROOM_CRAWL_MAX_RETRIES,
)
def crawl_location_task(location_id: int, force: bool = False) -> int | None:
    run = crawl_queued(location_id, force=force)
    return run.pk if run else None


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def refresh_due_task() -> int:
    return refresh_due()


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def refresh_statistics_task(changed: bool = False) -> list[str]:
    """ANALYZE the catalog's tables that changed enough (catalog/statistics.py)."""
    return refresh_statistics(changed=changed)
