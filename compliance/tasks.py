"""Keeping coverage counts ready for the dashboard, and scorecards current."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from compliance import coverage, scoring

STALE_BATCH = 5000


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def warm_coverage_task(location_id: int | None = None) -> bool:
    """After a crawl (GREENROOM_AFTER_CRAWL: throttled), when a page found the
    count behind, and every minute (beat)."""
    return coverage.count_if_behind(throttled=location_id is not None)


def entities_changed(refs: list[str], owners: list[str]) -> None:
    """GREENROOM_ON_ENTITIES_CHANGED: once the change commits, score them and
    what the owners among them (arrived, left, other members) own."""
    transaction.on_commit(lambda: score_refs_task.delay(refs, owners))


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def score_refs_task(refs: list[str], owners: list[str] | None = None) -> int:
    return scoring.score_refs(refs, owners or [])


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def score_stale_task() -> int:
    """Every minute (beat) and when the rules change: score what was scored under
    other rules, or never, a batch at a time until none is left; then, when one
    is due, take the trend's snapshot."""
    scored = scoring.score_stale(STALE_BATCH)
    if scored == STALE_BATCH:
        transaction.on_commit(score_stale_task.delay)
    elif scoring.snapshot_due():
        scoring.take_snapshots()
    return scored
