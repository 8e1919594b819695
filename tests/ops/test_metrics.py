"""/metrics: who may read it, and that its numbers are the catalog's."""

from __future__ import annotations

from collections import Counter

import pytest
import redis
from django.conf import settings as django_settings
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import Entity, Location
from portal.celery import app as celery_app
from portal.metrics import FAILURES_KEY, CatalogCollector

CATALOG = {
    "catalog-info.yaml": """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: billing}
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: invoices}
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: billing-api}
spec: {type: openapi, lifecycle: production, owner: team-a, definition: "{}"}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: []}
"""
}


def scrape(client, **extra) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            key = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[key] = sample.value
    return samples


@pytest.fixture
def catalog(repos, db) -> None:
    location, _ = register_location(repos.create("svc", CATALOG).url)
    crawl_location(location)


def broker() -> redis.Redis:
    return redis.Redis.from_url(django_settings.CELERY_BROKER_URL)


@pytest.fixture
def redis_broker(settings) -> None:
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs the Redis test broker (CELERY_BROKER_URL)")
    settings.CELERY_TASK_ALWAYS_EAGER = False


@pytest.mark.django_db
def test_refused_from_other_addresses(client, settings) -> None:
    settings.GREENROOM_METRICS_TOKEN = "scrape-token"
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 403
    wrong = {"REMOTE_ADDR": "203.0.113.7", "HTTP_AUTHORIZATION": "Bearer scrape-toke"}
    assert client.get("/metrics", **wrong).status_code == 403


@pytest.mark.django_db
def test_allowed_with_token_or_listed_address(client, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True  # the scraper speaks plain http
    settings.GREENROOM_METRICS_TOKEN = "scrape-token"
    bearer = {"REMOTE_ADDR": "203.0.113.7", "HTTP_AUTHORIZATION": "Bearer scrape-token"}
    assert "greenroom_catalog_oldest_refresh_age_seconds" in scrape(client, **bearer)
    settings.GREENROOM_METRICS_ALLOWED = ["203.0.113.0/24"]
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 200
    # No token configured: a bearer header opens nothing.
    settings.GREENROOM_METRICS_TOKEN = ""
    other = {"REMOTE_ADDR": "198.51.100.1", "HTTP_AUTHORIZATION": "Bearer "}
    assert client.get("/metrics", **other).status_code == 403


def test_catalog_numbers_are_the_catalogs(client, catalog) -> None:
    samples = scrape(client)  # from 127.0.0.1, allowed by default
    kinds = Counter(Entity.objects.values_list("kind", flat=True))
    assert (kinds["Component"], kinds["API"], kinds["Group"]) == (2, 1, 1)
    exported = {dict(k)["kind"]: v for k, v in samples["greenroom_entities"].items()}
    assert exported == kinds
    statuses = Counter(Location.objects.values_list("status", flat=True))
    exported = {dict(k)["status"]: v for k, v in samples["greenroom_locations"].items()}
    assert exported == statuses
    assert samples["greenroom_catalog_oldest_refresh_age_seconds"][()] >= 0
    durations = samples["greenroom_crawl_duration_seconds"]
    assert (("quantile", "0.5"),) in durations


def test_catalog_metrics_take_a_fixed_number_of_queries(
    catalog, repos, django_assert_num_queries
) -> None:
    with django_assert_num_queries(6):
        small = list(CatalogCollector().collect())
    for n in range(3):
        location, _ = register_location(repos.create(f"more{n}", CATALOG).url)
        crawl_location(location)
    with django_assert_num_queries(6):
        large = list(CatalogCollector().collect())
    assert [m.name for m in small] == [m.name for m in large]


def test_api_requests_counted_by_route(viewer_client, db) -> None:
    labels = {"route": "api/catalog/entities", "method": "GET", "status": "200"}
    name = "greenroom_api_requests_total"
    before = REGISTRY.get_sample_value(name, labels) or 0.0
    latency = "greenroom_api_request_duration_seconds_count"
    latency_before = REGISTRY.get_sample_value(latency, {"route": labels["route"]}) or 0
    assert viewer_client.get("/api/catalog/entities").status_code == 200
    assert REGISTRY.get_sample_value(name, labels) == before + 1
    assert (
        REGISTRY.get_sample_value(latency, {"route": labels["route"]})
        == latency_before + 1
    )
    # A path with values in it is counted under its pattern, not its own path.
    viewer_client.get("/api/catalog/entities/by-uid/no-such-uid")
    samples = scrape(viewer_client)[name]
    routes = {dict(key)["route"] for key in samples}
    assert "api/catalog/entities/by-uid/<str:uid>" in routes
    assert not any("no-such-uid" in route for route in routes)


def test_queue_depth_from_the_redis_broker(client, db, redis_broker) -> None:
    queue = celery_app.conf.task_default_queue
    client_ = broker()
    waiting = client_.llen(queue)
    client_.rpush(queue, b"{}", b"{}")
    try:
        samples = scrape(client)["greenroom_queue_depth"]
        assert samples[(("queue", queue),)] == waiting + 2
    finally:
        client_.lrem(queue, 2, b"{}")


@celery_app.task(name="tests.ops.always_fails")
def always_fails() -> None:
    raise RuntimeError("this task always fails")


def test_task_failures_counted_in_the_broker(client, db, redis_broker) -> None:
    client_ = broker()
    client_.hdel(FAILURES_KEY, always_fails.name)
    always_fails.apply(throw=False)  # runs here, with the worker's signals
    always_fails.apply(throw=False)
    samples = scrape(client)["greenroom_task_failures"]
    assert samples[(("task", always_fails.name),)] == 2
    client_.hdel(FAILURES_KEY, always_fails.name)
