"""The catalog refreshes PostgreSQL's planner statistics itself after large
changes, rather than waiting for autovacuum (off on this machine, as it may be
anywhere, and lagging a large first ingest everywhere)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from catalog import statistics
from tests.support.catalog import crawl_repo

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's statistics"
)

MANY = "".join(
    "---\napiVersion: backstage.io/v1alpha1\nkind: Component\n"
    f"metadata: {{name: c{i}}}\n"
    "spec: {type: service, lifecycle: production, owner: team-a}\n"
    for i in range(60)
)


def last_analyzed(table: str):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table]
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_large_crawl_analyzes_the_tables_it_changed(repos, settings, monkeypatch):
    monkeypatch.setattr(statistics, "LARGE_CHANGE", 50)  # 60 entities is "large"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    started = timezone.now()
    crawl_repo(repos, "many", {"catalog-info.yaml": MANY})
    for table in ("catalog_entity", "catalog_entitysummary", "catalog_relation"):
        analyzed = last_analyzed(table)
        assert analyzed is not None, table
        assert analyzed >= started, table
    # Analyzed just now: a second large change within RECENT seconds leaves them.
    assert "catalog_entity" not in statistics.stale_tables(changed=True)


@pytest.mark.django_db(transaction=True)
def test_a_small_crawl_leaves_it_to_the_periodic_check(repos, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_entity")
    before = last_analyzed("catalog_entity")
    crawl_repo(repos, "few", {"catalog-info.yaml": MANY})  # 60 < LARGE_CHANGE
    assert last_analyzed("catalog_entity") == before


@pytest.mark.django_db(transaction=True)
def test_the_periodic_check_analyzes_what_never_was_and_what_changed_a_lot():
    analyzed = statistics.refresh_statistics()
    assert set(analyzed) <= set(statistics.tables())
    # Everything analyzed now: nothing is stale until rows change.
    assert statistics.stale_tables() == []
    assert statistics.refresh_statistics() == []
