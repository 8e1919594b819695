"""Health probes for orchestrators: /healthz (the process answers) and /readyz
(the database, the broker and the docs storage answer, and the schema is current).

Both are unauthenticated and cheap. HealthProbeMiddleware answers them first in
the middleware chain: orchestrators probe by the container's address over plain
http, which ALLOWED_HOSTS and SECURE_SSL_REDIRECT would otherwise refuse.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.files.storage import storages
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from kombu import Connection

logger = logging.getLogger(__name__)

# A check returns a short word for the JSON ("ok", "eager") or raises.
Check = Callable[[], str]


def check_database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def check_migrations(targets: list[tuple[str, str | None]] | None = None) -> str:
    """Every migration on disk is applied (an empty plan), or raise naming one."""
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    if targets is None:
        targets = list(executor.loader.graph.leaf_nodes())
    plan = executor.migration_plan(targets)
    if plan:
        migration, _backwards = plan[0]
        raise RuntimeError(
            f"{len(plan)} unapplied, first {migration.app_label}.{migration.name}"
        )
    return "ok"


def check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"  # tasks run in the calling process: no broker to reach
    timeout = settings.GREENROOM_HEALTH_TIMEOUT
    # One attempt, bounded: readiness must answer quickly, not retry for minutes.
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    return "ok"


def check_storage() -> str:
    # Object stores answer a HEAD for a missing key; a local folder, a stat.
    storages["techdocs"].exists(".readyz")
    return "ok"


CHECKS: dict[str, Check] = {
    "database": check_database,
    "migrations": check_migrations,
    "broker": check_broker,
    "storage": check_storage,
}


def run_checks(checks: dict[str, Check] | None = None) -> tuple[bool, dict[str, str]]:
    """Each check's result ("ok", "eager" or "failed: why"), and whether all passed."""
    results: dict[str, str] = {}
    healthy = True
    for name, check in (checks or CHECKS).items():
        started = time.monotonic()
        try:
            results[name] = check()
        except Exception as error:  # any failure means "not ready", never a 500
            healthy = False
            results[name] = f"failed: {type(error).__name__}: {error}"[:300]
            logger.warning(
                "readiness check %s failed after %.2fs: %s",
                name,
                time.monotonic() - started,
                error,
            )
    return healthy, results


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and serving: no database, nothing else."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    healthy, results = run_checks()
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
}


class HealthProbeMiddleware:
    """Answers GET/HEAD of the probes before host validation and the https
    redirect; put it first in MIDDLEWARE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
