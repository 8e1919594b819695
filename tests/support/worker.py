"""A real Celery worker on the test broker, and waiting for what it does."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from portal.celery import app
from tests.support.sessions import ending_new_sessions


@contextmanager
def running_worker(
    queues: list[str] | None = None, *, purge: bool = True
) -> Iterator[None]:
    """Two threads consuming the real broker (Redis in `make test`): every queue,
    or `queues` only (`celery worker -Q`)."""
    if settings.CELERY_BROKER_URL.startswith("memory:"):
        pytest.fail("CELERY_BROKER_URL must name the test broker (make test sets it)")
    app.conf.task_always_eager = False
    if purge:
        app.control.purge()
    with (
        ending_new_sessions(),
        start_worker(
            app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            loglevel="WARNING",
            # Always named: a worker's queues are selected on the app itself, so a
            # worker of one queue would leave the next test's worker on that one.
            queues=queues or [queue.name for queue in settings.CELERY_TASK_QUEUES],
        ),
    ):
        yield


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        time.sleep(0.1)
