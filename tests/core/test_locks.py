"""The advisory lock every crawl and mirror fetch takes, against a second real
PostgreSQL session: held inside, free after, and never waited for when asked not to."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from core.locks import CRAWL, MIRROR, advisory_lock

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="advisory locks are PostgreSQL's",
    ),
    pytest.mark.django_db,
]


def other_session() -> psycopg.Connection:
    params = connection.get_connection_params()
    keys = ("host", "port", "user", "password", "dbname")
    return psycopg.connect(
        **{k: v for k, v in params.items() if k in keys}, autocommit=True
    )


def taken_elsewhere(other: psycopg.Connection, namespace: int, key: int) -> bool:
    """Whether the other session finds the lock taken (it releases what it gets)."""
    row = other.execute(
        "SELECT pg_try_advisory_lock(%s, %s)", [namespace, key]
    ).fetchone()
    if row and row[0]:
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, key])
        return False
    return True


def test_a_lock_is_held_inside_and_released_after():
    with other_session() as other:
        for wait in (True, False):
            with advisory_lock(CRAWL, 7, wait=wait) as acquired:
                assert acquired
                assert taken_elsewhere(other, CRAWL, 7)
                # Namespaces keep kinds apart: the same key in another is free.
                assert not taken_elsewhere(other, MIRROR, 7)
            assert not taken_elsewhere(other, CRAWL, 7)


def test_a_lock_held_elsewhere_is_not_taken_without_waiting():
    with other_session() as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [CRAWL, 8])
        with advisory_lock(CRAWL, 8, wait=False) as acquired:
            assert not acquired
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [CRAWL, 8])
        with advisory_lock(CRAWL, 8, wait=False) as acquired:
            assert acquired


def test_waiting_for_a_lock_blocks_until_it_is_released():
    with other_session() as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [MIRROR, 9])
        release = threading.Timer(
            0.5, other.execute, ["SELECT pg_advisory_unlock(%s, %s)", [MIRROR, 9]]
        )
        started = time.monotonic()
        release.start()
        try:
            with advisory_lock(MIRROR, 9) as acquired:
                waited = time.monotonic() - started
                assert acquired
        finally:
            release.join()
        assert waited >= 0.4
