"""When locations are crawled: queued after a registration or a webhook, claimed
when their refresh is due, and what other apps asked to run after a crawl."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from catalog.models import Location

logger = logging.getLogger(__name__)

REFRESH_BATCH = 1000


def enqueue_crawl(
    location_id: int, *, force: bool = False, countdown: float = 0
) -> None:
    """Queue a crawl once the current transaction commits (workers see the rows)."""
    transaction.on_commit(lambda: _send_crawl(location_id, force, countdown or None))


def _send_crawl(location_id: int, force: bool, countdown: float | None) -> None:
    # Deferred: catalog.tasks defines the Celery task around this module's
    # functions and the crawl, and a task is sent through its task object (which
    # runs it in place when tasks run eagerly).
    from catalog.tasks import crawl_location_task

    try:
        crawl_location_task.apply_async((location_id, force), countdown=countdown)
    except Exception as exc:
        # Run eagerly, a crawl raises what its worker would retry on (an unreachable
        # host), already recorded on its run; raising here would drop the crawls
        # queued after it in the same commit and end `register` with a traceback.
        # Queued for real, the broker is down: the next refresh picks it up.
        logger.warning("crawl of location %s not completed: %s", location_id, exc)


def after_crawl(location_id: int) -> None:
    """Tasks other apps asked for (GREENROOM_AFTER_CRAWL), e.g. rebuilding docs
    whose files changed in the new commit: queued once the crawl has committed."""
    for name in settings.GREENROOM_AFTER_CRAWL:
        task = import_string(name)
        transaction.on_commit(lambda task=task: task.delay(location_id))


def refresh_due(limit: int = REFRESH_BATCH) -> int:
    """Claim locations whose refresh is due and queue their crawls, spread with jitter.

    FOR UPDATE SKIP LOCKED lets several beat or worker processes claim without
    double-queuing; pushing next_crawl_at forward is the claim.
    """
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Location.objects.select_for_update(skip_locked=True)
            .filter(next_crawl_at__lte=now)
            .order_by("next_crawl_at")
            .values_list("pk", "refresh_interval")[:limit]
        )
        by_interval: dict[int, list[int]] = {}
        for pk, interval in due:
            by_interval.setdefault(
                interval or settings.GREENROOM_REFRESH_INTERVAL, []
            ).append(pk)
        for seconds, pks in by_interval.items():
            Location.objects.filter(pk__in=pks).update(
                next_crawl_at=now + timedelta(seconds=seconds)
            )
        spread = min(30.0, len(due) / 50)
        for pk, _ in due:
            enqueue_crawl(pk, countdown=random.uniform(0, spread))  # noqa: S311
    logger.info("queued %d due locations", len(due))
    return len(due)
