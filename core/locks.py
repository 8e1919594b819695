"""PostgreSQL session advisory locks: one worker at a time on a shared resource.

Each kind of resource takes its locks in a namespace of its own (the first of the
two keys), listed here so that no two kinds share one. Other databases have no
such locks: there the lock is always granted (tests and single-process use).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

CRAWL = 0x6772  # "gr": one crawl per location (keyed by its id)
MIRROR = 0x6764  # "gd": one fetch into a bare mirror (keyed by its name's CRC)
DISCOVERY = 0x6773  # "gs": one discovery run per source (keyed by its id)
PROVIDER = 0x6770  # "gp": one organisation provider run at a time (by its id)
STATISTICS = 0x6761  # "ga": one ANALYZE run of the catalog's tables (key 0)


@contextmanager
def advisory_lock(namespace: int, key: int, *, wait: bool = True) -> Iterator[bool]:
    """Hold the lock `(namespace, key)` while inside; yields whether it is held.

    With `wait`, blocks until it is free (and yields True); without, yields False
    at once when another session holds it. Released on the way out."""
    if connection.vendor != "postgresql":
        yield True
        return
    take = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {take}(%s, %s)", [namespace, key])
        row = cursor.fetchone()
    acquired = wait or bool(row and row[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, key])
