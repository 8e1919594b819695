"""What became of the crawls a delivery queued, for the webhook's page and its API."""

from __future__ import annotations

from catalog.models import CrawlRun
from webhooks.models import Delivery


def attach_outcomes(deliveries: list[Delivery]) -> None:
    """Set `run` and `state` on each crawl a delivery queued: the location's first
    crawl run since, or "up to date" when a crawl since found nothing new (those
    leave no run). One query for the page: its locations' runs since the oldest."""
    crawls = [c for d in deliveries for c in d.crawls.all()]
    if not crawls:
        return
    since = min(c.queued_at for c in crawls)
    runs: dict[int, list[CrawlRun]] = {}
    for run in CrawlRun.objects.filter(
        location_id__in={c.location_id for c in crawls}, started_at__gte=since
    ).order_by("started_at"):
        runs.setdefault(run.location_id, []).append(run)
    for crawl in crawls:
        found = next(
            (
                r
                for r in runs.get(crawl.location_id, [])
                if r.started_at >= crawl.queued_at
            ),
            None,
        )
        finished = crawl.location.last_crawl_finished
        crawl.run = found  # type: ignore[attr-defined]
        crawl.state = (  # type: ignore[attr-defined]
            found.status
            if found
            else "up-to-date"
            if finished and finished >= crawl.queued_at
            else "queued"
        )
