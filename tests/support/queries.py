"""Counting the database queries a page takes, so that lists stay flat as they grow."""

from __future__ import annotations


def count_queries(client, url: str) -> int:
    """How many queries one page takes (asserting it renders)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)
