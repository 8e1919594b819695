"""The probes: /healthz without anything, /readyz with each dependency checked."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from portal.health import check_broker, run_checks


def test_healthz_answers_without_sign_in_host_or_https(client, settings) -> None:
    # Orchestrators probe the container's address over plain http.
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_all_ok(client, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/readyz", HTTP_HOST="10.1.2.3")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    # The test settings name a real Redis broker: it is reached, not skipped.
    assert body["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "broker": "ok" if not settings.CELERY_TASK_ALWAYS_EAGER else "eager",
        "storage": "ok",
    }


@pytest.mark.django_db
def test_readyz_broker_unreachable_is_503_quickly(client, settings) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens
    settings.GREENROOM_HEALTH_TIMEOUT = 1
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"].startswith("failed")
    assert checks["database"] == "ok"


def test_broker_check_in_eager_mode(settings) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert check_broker() == "eager"


@pytest.mark.django_db
def test_readyz_unapplied_migration_is_503(client) -> None:
    # The database forgets techdocs' latest migration (rolled back with the test).
    recorder = MigrationRecorder(connection)
    latest = max(
        name for app, name in recorder.applied_migrations() if app == "techdocs"
    )
    recorder.record_unapplied("techdocs", latest)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert f"techdocs.{latest}" in response.json()["checks"]["migrations"]


@pytest.mark.django_db
def test_readyz_storage_unavailable_is_503(settings) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "techdocs": {"BACKEND": "portal.no_such_module.Storage"},
    }
    healthy, checks = run_checks()
    assert not healthy
    assert checks["storage"].startswith("failed")
