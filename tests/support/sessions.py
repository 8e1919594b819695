"""Ending the database sessions a Celery worker's threads leave behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from celery.signals import task_postrun
from django.db import connection, connections


def _sessions() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        )
        return {pid for (pid,) in cursor.fetchall()}


def _close_task_connections(**_: object) -> None:
    connections.close_all()  # the task thread's own connections


@contextmanager
def ending_new_sessions() -> Iterator[None]:
    """Workers started inside the block close their connections after each task.

    Their threads would otherwise keep them (CELERY_DB_REUSE_MAX) and the test
    database could neither be flushed nor dropped. Anything still open afterwards
    that was not open before is ended; the test's own session and a live server's
    are left alone.
    """
    if connection.vendor != "postgresql":
        yield
        return
    before = _sessions()
    task_postrun.connect(_close_task_connections, weak=False)
    try:
        yield
    finally:
        task_postrun.disconnect(_close_task_connections)
    leftover = _sessions() - before
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid = ANY(%s) AND pid <> pg_backend_pid()",
            [sorted(leftover)],
        )
