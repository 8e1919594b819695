"""End to end on real infrastructure: a Celery worker on Redis, PostgreSQL."""

from __future__ import annotations

import time
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from catalog.ingest.schedule import refresh_due
from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import CrawlRun, Entity, Location
from catalog.tasks import crawl_location_task
from core.locks import CRAWL as LOCK_NAMESPACE
from tests.support.descriptors import GOOD
from tests.support.worker import wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_register_and_refresh_through_a_real_worker(repos, live_worker):
    repo = repos.create("repo", {"catalog-info.yaml": GOOD})
    location, created = register_location(repo.url)  # queues the first crawl on commit
    assert created
    wait_for(lambda: Entity.objects.filter(ref="component:default/good").exists())

    repo.commit({"catalog-info.yaml": GOOD.replace("team-a", "team-b")})
    crawl_location_task.delay(location.pk)
    wait_for(
        lambda: (
            Entity.objects.get(ref="component:default/good").owner_ref
            == "group:default/team-b"
        )
    )
    assert Location.objects.get(pk=location.pk).last_commit == repo.head()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_crawl_requests_costs_few_crawls(repos, live_worker):
    repo = repos.create("repo", {"catalog-info.yaml": GOOD})
    location, _ = register_location(repo.url)
    wait_for(
        lambda: Location.objects.get(pk=location.pk).last_crawl_finished is not None
    )
    repo.commit({"catalog-info.yaml": GOOD.replace("team-a", "team-c")})
    for _ in range(20):
        crawl_location_task.delay(location.pk, True)
    wait_for(
        lambda: (
            Entity.objects.get(ref="component:default/good").owner_ref
            == "group:default/team-c"
        )
    )
    time.sleep(1)
    # Forced crawls that find the lock taken coalesce into a "crawl again" flag.
    assert CrawlRun.objects.filter(location=location).count() < 20


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="advisory locks are PostgreSQL's",
)
@pytest.mark.django_db
def test_a_location_locked_elsewhere_is_flagged_not_crawled_twice(repos):
    repo = repos.create("repo", {"catalog-info.yaml": GOOD})
    location, _ = register_location(repo.url)
    params = connection.get_connection_params()
    dsn = {
        k: v
        for k, v in params.items()
        if k in ("host", "port", "user", "password", "dbname")
    }
    with psycopg.connect(**dsn, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, location.pk])
        assert crawl_location(location) is None
        assert Location.objects.get(pk=location.pk).crawl_again
        assert not CrawlRun.objects.exists()
    run = crawl_location(Location.objects.get(pk=location.pk))
    assert run.status == CrawlRun.Status.SUCCEEDED
    assert not Location.objects.get(pk=location.pk).crawl_again


@pytest.mark.django_db
def test_a_crawl_interrupted_too_often_gives_up(repos, settings):
    repo = repos.create("repo", {"catalog-info.yaml": GOOD})
    location, _ = register_location(repo.url)
    # Workers that died mid-crawl leave their attempt counted and nothing else.
    Location.objects.filter(pk=location.pk).update(
        attempts=settings.GREENROOM_CRAWL_MAX_ATTEMPTS
    )
    run = crawl_location(Location.objects.get(pk=location.pk))
    assert run.status == CrawlRun.Status.FAILED
    assert "gave up" in run.error
    assert Location.objects.get(pk=location.pk).attempts == 0
    assert (
        crawl_location(Location.objects.get(pk=location.pk)).status
        == CrawlRun.Status.SUCCEEDED
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_transient_git_errors_are_retried_then_recorded(repos, git_daemon, live_worker):
    repo = repos.create("repo", {"catalog-info.yaml": GOOD})
    git_daemon.stop()
    retries = crawl_location_task.max_retries
    backoff, crawl_location_task.retry_backoff = crawl_location_task.retry_backoff, 1
    try:
        location, _ = register_location(git_daemon.url(repo))
        failed = CrawlRun.objects.filter(
            location=location, status=CrawlRun.Status.FAILED
        )
        wait_for(lambda: failed.count() == 1 + retries, timeout=60)
    finally:
        crawl_location_task.retry_backoff = backoff
    assert all("unreachable" in run.error for run in failed)
    assert Location.objects.get(pk=location.pk).status == Location.Status.FAILED


@pytest.mark.django_db
def test_refresh_due_claims_due_locations_once(
    repos, django_capture_on_commit_callbacks
):
    first = repos.create("first", {"catalog-info.yaml": GOOD})
    second = repos.create(
        "second", {"catalog-info.yaml": GOOD.replace("good", "other")}
    )
    due, _ = register_location(first.url)
    later, _ = register_location(second.url)
    Location.objects.filter(pk=later.pk).update(
        next_crawl_at=timezone.now() + timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert refresh_due() == 1
    assert Entity.objects.filter(ref="component:default/good").exists()
    assert not Entity.objects.filter(ref="component:default/other").exists()
    assert Location.objects.get(pk=due.pk).next_crawl_at > timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert refresh_due() == 0
