"""Celery tasks: thin wrappers that take ids and call one domain function."""

from __future__ import annotations

from celery import current_app, shared_task
from django.utils import timezone

from discovery import proposals
from discovery.hostclient import RateLimited
from discovery.models import DescriptorRequest, DiscoveryRun
from discovery.runs import check_repository, due_runs, run_discovery

BUSY_RETRY = 30  # seconds before an event's check tries a busy source again


@shared_task(acks_late=True, soft_time_limit=3000, time_limit=3600)
def run_discovery_task(run_id: int) -> str:
    run = run_discovery(run_id)
    if (
        run.status == DiscoveryRun.Status.WAITING
        and not current_app.conf.task_always_eager
    ):
        # Go on when the host says (rate limit) or after the retry wait; the
        # scheduler's tick picks it up too if this message is lost.
        run_discovery_task.apply_async((run.pk,), eta=run.resume_after)
    return run.status


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def discover_due_task() -> int:
    runs = due_runs()
    for run_id in runs:
        run_discovery_task.delay(run_id)
    return len(runs)


@shared_task(bind=True, acks_late=True, soft_time_limit=300, time_limit=360)
def check_repository_task(self, source_id: int, full_name: str) -> str:  # type: ignore[no-untyped-def]
    try:
        run = check_repository(source_id, full_name)
    except RateLimited as exc:
        wait = max(1.0, (exc.retry_at - timezone.now()).total_seconds())
        raise self.retry(countdown=wait, max_retries=5) from None
    if run is None:  # a full run of the source holds it: after that one
        raise self.retry(countdown=BUSY_RETRY, max_retries=60)
    # A merged proposal's push: its request shows merged at once.
    for request in DescriptorRequest.objects.filter(
        repository__source_id=source_id,
        repository__full_name=full_name,
        state=DescriptorRequest.State.OPEN,
    ):
        proposals.refresh_state(request)
    return run.status


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def refresh_requests_task() -> int:
    """What became of the open pull (merge) requests: one call each."""
    open_requests = DescriptorRequest.objects.filter(
        state=DescriptorRequest.State.OPEN
    ).select_related("repository__source__connection")
    for request in open_requests[:500]:
        proposals.refresh_state(request)
    return open_requests.count()
