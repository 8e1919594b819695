"""The locations list and a location's page."""

from __future__ import annotations

from tests.support.catalog import crawl_repo
from tests.support.descriptors import ORG, many_components
from tests.support.queries import count_queries


def test_location_list(viewer_client, org):
    response = viewer_client.get("/locations")
    body = response.content.decode()
    assert org.url in body
    row = response.context["locations"][0]
    assert (row.entity_count, row.error_count) == (10, 0)  # 9 + generated Location
    assert (
        viewer_client.get("/locations?status=failed").context["locations"].count() == 0
    )


def test_location_page_shows_crawls_errors_and_entities(viewer_client, repos, db):
    broken = ORG + "---\nkind: Component\n"
    location = crawl_repo(repos, "org", {"catalog-info.yaml": broken})
    response = viewer_client.get(f"/locations/{location.pk}")
    body = response.content.decode()
    assert "Processed with errors" in body
    assert "apiVersion" in body  # the error message
    assert 'href="/catalog/default/component/billing"' in body
    assert response.context["runs"][0].added == 10
    assert "Crawling…" not in body


def test_query_counts_do_not_grow_with_locations_or_entities(viewer_client, repos, db):
    first = crawl_repo(repos, "one", {"catalog-info.yaml": many_components(2, "a")})
    list_queries = count_queries(viewer_client, "/locations")
    page_queries = count_queries(viewer_client, f"/locations/{first.pk}")
    big = None
    for index in range(6):
        big = crawl_repo(
            repos,
            f"more-{index}",
            {"catalog-info.yaml": many_components(30, f"m{index}")},
        )
    assert count_queries(viewer_client, "/locations") == list_queries
    assert count_queries(viewer_client, f"/locations/{big.pk}") == page_queries
