"""Celery tasks for documentation: take ids, call techdocs/sites.py, safe twice."""

from __future__ import annotations

from celery import Task, shared_task
from django.db import transaction

from catalog.models import Location
from techdocs.models import DocsBuild
from techdocs.sites import Busy, docs_changed, run_build


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def check_docs_task(location_id: int) -> int:
    """After a crawl (GREENROOM_AFTER_CRAWL): queue builds for docs that changed."""
    location = Location.objects.filter(pk=location_id).first()
    if location is None:
        return 0
    builds = docs_changed(location)
    for build in builds:
        transaction.on_commit(lambda pk=build.pk: build_docs_task.delay(pk))
    return len(builds)


@shared_task(
    bind=True, acks_late=True, soft_time_limit=600, time_limit=660, max_retries=120
)
def build_docs_task(self: Task, build_id: int) -> str | None:
    """Run one queued build (a redelivered or superseded one does nothing); while
    another build of the same site runs, wait for it."""
    build = DocsBuild.objects.filter(pk=build_id).first()
    if build is None:
        return None
    try:
        return run_build(build).status
    except Busy:
        raise self.retry(countdown=5) from None
