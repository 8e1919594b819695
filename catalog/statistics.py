"""Planner statistics kept current by the catalog itself, not left to autovacuum.

PostgreSQL plans each query from statistics that ANALYZE gathers; autovacuum runs
it after enough rows change, but it may be off (as on our development machines) or
lag a large first ingest by minutes, and meanwhile a query planned for an empty
table reads millions of rows (an ordered `by-query` with a kind filter took 4.8 to
7.5 s at 10,000 entities before its first ANALYZE, 61 ms after).

So the catalog analyzes its own tables when they changed as much as autovacuum's
default threshold says (50 rows + 10% of the table, counted by PostgreSQL in
`pg_stat_user_tables.n_mod_since_analyze`): after every crawl that changed many
entities, and every minute from beat. One run at a time (an advisory lock); on
SQLite, nothing.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection, transaction

from core.locks import STATISTICS, advisory_lock

BASE_THRESHOLD = 50
SCALE_FACTOR = 0.1
LARGE_CHANGE = 1000  # entities changed by one apply that warrant a check at once
RECENT = 30  # seconds: tables analyzed since are left alone after a large apply
MODELS = (
    ("catalog", "Entity"),
    ("catalog", "EntityBody"),
    ("catalog", "EntitySummary"),
    ("catalog", "EntityField"),
    ("catalog", "EntityTag"),
    ("catalog", "FacetSet"),
    ("catalog", "Relation"),
    ("catalog", "EntityRevision"),
    ("catalog", "ProcessingError"),
    ("techdocs", "DocsSection"),
    ("compliance", "EntityScore"),
    ("compliance", "RuleResult"),
)


def tables() -> list[str]:
    return [apps.get_model(app, name)._meta.db_table for app, name in MODELS]


def stale_tables(*, changed: bool = False) -> list[str]:
    """Our tables never analyzed, or changed past the threshold since; with
    `changed` (a large apply just committed, whose counts PostgreSQL may not have
    gathered yet), also those not analyzed in the last RECENT seconds."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) AND ("
            " coalesce(last_analyze, last_autoanalyze) IS NULL"
            " OR n_mod_since_analyze > %s + %s * n_live_tup"
            " OR (%s AND greatest(last_analyze, last_autoanalyze)"
            "     < now() - make_interval(secs => %s))"
            ") ORDER BY relname",
            [tables(), BASE_THRESHOLD, SCALE_FACTOR, changed, RECENT],
        )
        return [name for (name,) in cursor.fetchall()]


def refresh_statistics(*, changed: bool = False) -> list[str]:
    """ANALYZE each stale table (outside any transaction); the tables analyzed.
    Another run in progress: nothing (it covers the same changes)."""
    if connection.vendor != "postgresql":
        return []
    with advisory_lock(STATISTICS, 0, wait=False) as locked:
        if not locked:
            return []
        stale = stale_tables(changed=changed)
        with connection.cursor() as cursor:
            for table in stale:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        return stale


def after_large_change(changed: int) -> None:
    """Called inside the transaction that changed `changed` entities: when many,
    statistics are refreshed once it commits (in a worker when there is one)."""
    if changed < LARGE_CHANGE or connection.vendor != "postgresql":
        return
    transaction.on_commit(_soon)


def _soon() -> None:
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        refresh_statistics(changed=True)
        return
    from celery import current_app

    current_app.send_task(
        "catalog.tasks.refresh_statistics_task", kwargs={"changed": True}
    )
