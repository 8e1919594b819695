"""Keeping the coverage counts ready, so the dashboard reads them from the cache."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from compliance import coverage

THROTTLE_SECONDS = 30  # at most one count per this while crawls keep coming


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def warm_coverage_task(location_id: int | None = None) -> bool:
    """After a crawl (GREENROOM_AFTER_CRAWL) and every minute (beat): count the
    coverage of the catalog as it now is, unless that is cached already or a
    count ran in the last THROTTLE_SECONDS (a burst of crawls counts once; the
    next tick of beat catches up)."""
    if coverage.is_cached():
        return False
    if location_id is not None and not cache.add(
        "coverage:warming", 1, THROTTLE_SECONDS
    ):
        return False
    coverage.summary()
    return True
