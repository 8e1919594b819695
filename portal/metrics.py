"""Prometheus metrics at /metrics, written by prometheus_client.

What the database knows (entities, locations, crawls, docs builds, webhook
deliveries) is read at scrape time by CatalogCollector with a fixed number of
grouped queries, so every web process reports the same numbers. Queue depth and
task failures are read from the Redis broker, shared by the workers. API
requests are counted in the serving process: with several gunicorn workers set
PROMETHEUS_MULTIPROC_DIR (an empty folder per start) so they add up.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import Count, F, Min
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from audit.log import client_address

logger = logging.getLogger(__name__)

API_REQUESTS = Counter(
    "greenroom_api_requests",
    "API requests by route pattern, method and status.",
    ["route", "method", "status"],
)
API_LATENCY = Histogram(
    "greenroom_api_request_duration_seconds",
    "API request latency by route pattern.",
    ["route"],
)
# Task failures in this process when there is no Redis broker to share them.
LOCAL_TASK_FAILURES: dict[str, int] = {}
FAILURES_KEY = "greenroom:metrics:task-failures"


# --- API requests -------------------------------------------------------------


class ApiMetricsMiddleware:
    """Counts and times requests under /api/, labelled by the URL pattern that
    matched (never the raw path: label values stay few)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = str(match.route) if match is not None else "<unmatched>"
        API_REQUESTS.labels(
            route, request.method or "", str(response.status_code)
        ).inc()
        API_LATENCY.labels(route).observe(time.perf_counter() - started)
        return response


# --- Broker: queue depth and task failures -------------------------------------


def redis_broker() -> Any | None:
    """A client for the Redis broker (short timeouts), or None for other brokers,
    whose queue depths are not cheap to read (and eager mode has no queue)."""
    url = settings.CELERY_BROKER_URL
    if settings.CELERY_TASK_ALWAYS_EAGER or not url.startswith(
        ("redis://", "rediss://")
    ):
        return None
    import redis

    timeout = settings.GREENROOM_HEALTH_TIMEOUT
    return redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout
    )


def queue_names() -> list[str]:
    # Celery's Redis transport keeps one list per priority step: "celery" holds
    # the default priority, "celery\x06\x16N" the others. The current app is
    # portal.celery's (made current when the portal package loads).
    default: str = current_app.conf.task_default_queue
    return [default] + [f"{default}\x06\x16{step}" for step in (3, 6, 9)]


def count_task_failure(sender: Any = None, **kwargs: Any) -> None:
    """Celery's task_failure (connected in portal/celery.py): one more failure
    of this task, kept in the shared broker."""
    name = getattr(sender, "name", None) or "unknown"
    client = redis_broker()
    if client is None:
        LOCAL_TASK_FAILURES[name] = LOCAL_TASK_FAILURES.get(name, 0) + 1
        return
    try:
        client.hincrby(FAILURES_KEY, name, 1)
    except Exception as error:  # a metric must never fail the task's handling
        logger.warning("could not count the failure of %s: %s", name, error)


def broker_metrics() -> Iterator[Metric]:
    depth = GaugeMetricFamily(
        "greenroom_queue_depth",
        "Messages waiting in the broker queue.",
        labels=["queue"],
    )
    failures = GaugeMetricFamily(
        "greenroom_task_failures",
        "Task failures by task since the broker's data began (a counter, read "
        "from the broker).",
        labels=["task"],
    )
    counts: dict[str, int] = dict(LOCAL_TASK_FAILURES)
    client = redis_broker()
    if client is not None:
        try:
            with client.pipeline(transaction=False) as pipe:
                for name in queue_names():
                    pipe.llen(name)
                pipe.hgetall(FAILURES_KEY)
                *lengths, stored = pipe.execute()
            depth.add_metric([queue_names()[0]], sum(lengths))
            for task, value in stored.items():
                counts[task.decode()] = counts.get(task.decode(), 0) + int(value)
        except Exception as error:  # the broker down: the other metrics still
            logger.warning("could not read the broker for metrics: %s", error)
        finally:
            client.close()
    for task, value in sorted(counts.items()):
        failures.add_metric([task], value)
    yield depth
    yield failures


# --- The catalog, from the database --------------------------------------------


def seconds(delta: timedelta) -> float:
    return max(delta.total_seconds(), 0.0)


def durations(pairs: list[tuple[datetime, datetime]]) -> list[float]:
    return sorted(seconds(finished - started) for started, finished in pairs)


def duration_gauge(name: str, help_text: str, values: list[float]) -> Metric:
    """Quantiles of the last runs' durations (a windowed view, not a counter)."""
    gauge = GaugeMetricFamily(name, help_text, labels=["quantile"])
    if values:
        for quantile in (0.5, 0.9, 0.99, 1.0):
            index = min(len(values) - 1, int(quantile * len(values)))
            gauge.add_metric([str(quantile)], values[index])
    return gauge


def recent_durations(model: Any) -> list[float]:
    window = settings.GREENROOM_METRICS_DURATION_WINDOW
    rows = (
        model.objects.filter(started_at__isnull=False, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("started_at", "finished_at")[:window]
    )
    return durations(list(rows))


def grouped(model: Any, field: str) -> dict[str, int]:
    rows = model.objects.order_by().values_list(field).annotate(n=Count("pk"))
    return {str(value): n for value, n in rows}


def labelled(name: str, help_text: str, label: str, values: dict[str, int]) -> Metric:
    gauge = GaugeMetricFamily(name, help_text, labels=[label])
    for value, count in sorted(values.items()):
        gauge.add_metric([value], count)
    return gauge


class CatalogCollector(Collector):
    """Six grouped queries per scrape, whatever the catalog's size."""

    def collect(self) -> Iterator[Metric]:
        from catalog.models import CrawlRun, Entity, Location
        from techdocs.models import DocsBuild
        from webhooks.models import Delivery

        yield labelled(
            "greenroom_entities", "Entities by kind.", "kind", grouped(Entity, "kind")
        )
        yield from location_metrics(Location)
        yield duration_gauge(
            "greenroom_crawl_duration_seconds",
            "Duration of the last crawls (GREENROOM_METRICS_DURATION_WINDOW).",
            recent_durations(CrawlRun),
        )
        yield labelled(
            "greenroom_docs_builds",
            "Docs builds by status.",
            "status",
            grouped(DocsBuild, "status"),
        )
        yield duration_gauge(
            "greenroom_docs_build_duration_seconds",
            "Duration of the last docs builds (GREENROOM_METRICS_DURATION_WINDOW).",
            recent_durations(DocsBuild),
        )
        yield labelled(
            "greenroom_webhook_deliveries",
            "Webhook deliveries kept, by verdict.",
            "verdict",
            grouped(Delivery, "verdict"),
        )


def location_metrics(location_model: Any) -> Iterator[Metric]:
    # One query: counts and the oldest refresh per status (never crawled: since
    # registration).
    rows = (
        location_model.objects.order_by()
        .values_list("status")
        .annotate(
            n=Count("pk"),
            oldest=Min(Coalesce(F("last_crawl_finished"), F("created_at"))),
        )
    )
    counts: dict[str, int] = {}
    oldest: datetime | None = None
    for status, n, refreshed in rows:
        counts[str(status)] = n
        if refreshed is not None and (oldest is None or refreshed < oldest):
            oldest = refreshed
    yield labelled("greenroom_locations", "Locations by status.", "status", counts)
    age = GaugeMetricFamily(
        "greenroom_catalog_oldest_refresh_age_seconds",
        "Seconds since the least recently refreshed location was last crawled.",
    )
    age.add_metric([], seconds(timezone.now() - oldest) if oldest else 0.0)
    yield age


class BrokerCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from broker_metrics()


SCRAPE_REGISTRY = CollectorRegistry(auto_describe=False)
SCRAPE_REGISTRY.register(CatalogCollector())
SCRAPE_REGISTRY.register(BrokerCollector())


def process_registry() -> CollectorRegistry:
    """This process's metrics, or every process's with PROMETHEUS_MULTIPROC_DIR."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


# --- Access ---------------------------------------------------------------------


def allowed(request: HttpRequest) -> bool:
    """A listed address (GREENROOM_METRICS_ALLOWED), or the bearer token."""
    token = settings.GREENROOM_METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer "):
        # Constant time: the comparison tells nothing about how much matched.
        return hmac.compare_digest(header[7:].strip().encode(), token.encode())
    address = client_address(request)
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(
        ip in ipaddress.ip_network(network)
        for network in settings.GREENROOM_METRICS_ALLOWED
    )


@login_not_required
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    body = generate_latest(process_registry()) + generate_latest(SCRAPE_REGISTRY)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
