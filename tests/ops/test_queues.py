"""Crawls, docs builds and scoring on separate queues: a pool of workers on each
(`celery worker -Q ...`), so that docs builds never delay a crawl."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

from catalog.locations import register_location
from catalog.models import Entity, Location
from catalog.tasks import crawl_location_task
from portal.celery import app
from techdocs.models import DocsBuild
from tests.support.containerfiles import command_words, compose, interpolate
from tests.support.docs import FILES
from tests.support.worker import running_worker, wait_for
from tests.test_architecture import ROOT

BILLING = "component:default/billing"
SUCCEEDED = DocsBuild.Status.SUCCEEDED
QUEUES = {queue.name for queue in settings.CELERY_TASK_QUEUES}


def _queue_of(task: str) -> str:
    route = app.amqp.router.route({}, task)
    return str(route["queue"].name)


def test_every_task_has_a_queue_and_the_heavy_ones_their_own() -> None:
    app.loader.import_default_modules()
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert len(ours) >= 15
    routed = {name: _queue_of(name) for name in ours}
    assert set(routed.values()) == QUEUES == {"crawl", "docs", "scoring"}
    assert routed["catalog.tasks.crawl_location_task"] == "crawl"
    assert routed["webhooks.tasks.process_delivery_task"] == "crawl"
    assert routed["techdocs.tasks.build_docs_task"] == "docs"
    assert routed["compliance.tasks.score_refs_task"] == "scoring"


def _queues(command: list[str]) -> set[str]:
    return set(command[command.index("-Q") + 1].split(","))


def test_compose_consumes_every_queue_with_one_worker_or_with_pools() -> None:
    services = compose(ROOT / "docker-compose.yml")["services"]

    def worker_queues(service: str, env: dict[str, str]) -> set[str]:
        words = [
            interpolate(w, env) for w in command_words(services[service]["command"])
        ]
        assert words[:4] == ["celery", "-A", "portal", "worker"]
        return _queues(words)

    assert worker_queues("worker", {}) == QUEUES
    pools = [s for s, spec in services.items() if "pools" in spec.get("profiles", [])]
    assert sorted(pools) == ["worker-docs", "worker-scoring"]
    with_pools = worker_queues("worker", {"WORKER_QUEUES": "crawl"})
    for pool in pools:
        assert not with_pools & worker_queues(pool, {})
        with_pools |= worker_queues(pool, {})
    assert with_pools == QUEUES


def _waiting(queue: str) -> int:
    return int(redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(queue))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_crawl_does_not_wait_for_docs_builds(repos):
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("counts what waits in a Redis queue")
    repo = repos.create("documented", FILES)
    with running_worker(["crawl"]):
        location, _ = register_location(repo.url)
        wait_for(
            lambda: Entity.objects.filter(ref="component:default/billing").exists()
        )
        # The crawl is done; the docs check it asks for (once it has finished)
        # waits for a docs worker.
        wait_for(lambda: _waiting("docs") >= 1)
        assert not DocsBuild.objects.exists()
        repo.commit(
            {
                "catalog-info.yaml": FILES["catalog-info.yaml"].replace(
                    "team-a", "team-b"
                )
            }
        )
        crawl_location_task.delay(location.pk)
        wait_for(
            lambda: (
                Entity.objects.get(ref="component:default/billing").owner_ref
                == "group:default/team-b"
            )
        )
        assert _waiting("docs") >= 1
    with running_worker(["docs"], purge=False):
        wait_for(
            lambda: DocsBuild.objects.filter(
                status=DocsBuild.Status.SUCCEEDED
            ).exists(),
            timeout=120,
        )
    assert Location.objects.get(pk=location.pk).last_commit == repo.head()
