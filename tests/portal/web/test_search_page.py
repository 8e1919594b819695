"""The search page: ranked results with kind, owner and a highlighted snippet."""

from __future__ import annotations

from tests.support.catalog import crawl_repo
from tests.support.descriptors import many_components
from tests.support.queries import count_queries


def titles(response) -> list[str]:
    return [e.title or e.name for e in response.context["results"]]


def test_results_show_kind_owner_and_marked_snippet(viewer_client, org):
    response = viewer_client.get("/search?query=invoices")
    assert titles(response)[:2] == ["Billing service", "billing-api"] or set(
        titles(response)
    ) == {"Billing service", "billing-api"}
    body = response.content.decode()
    assert "Sends <mark>invoices</mark> to customers" in body
    assert "owned by" in body
    assert 'href="/catalog/default/group/payments-team"' in body


def test_name_matches_rank_first(viewer_client, org):
    assert titles(viewer_client.get("/search?query=ledger"))[0] == "ledger"


def test_a_misspelt_name_still_finds_its_entity(viewer_client, org):
    assert "ledger" in titles(viewer_client.get("/search?query=ledgr"))
    assert "Billing service" in titles(viewer_client.get("/search?query=biling"))


def test_kind_narrows_results(viewer_client, org):
    response = viewer_client.get("/search?query=billing&kind=api")
    assert titles(response) == ["billing-api"]


def test_empty_and_hostile_queries(viewer_client, org):
    assert viewer_client.get("/search").status_code == 200
    response = viewer_client.get("/search?query=<script>alert(1)</script>")
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.content.decode()


def test_query_count_does_not_grow_with_results(viewer_client, repos, db):
    crawl_repo(repos, "small", {"catalog-info.yaml": many_components(2, "svc")})
    small = count_queries(viewer_client, "/search?query=svc")
    crawl_repo(repos, "large", {"catalog-info.yaml": many_components(40, "svc-x")})
    assert count_queries(viewer_client, "/search?query=svc") == small


def test_counts_stop_at_the_cap(viewer_client, repos, db, settings):
    crawl_repo(repos, "many", {"catalog-info.yaml": many_components(30, "svc")})
    settings.GREENROOM_SEARCH_MAX_COUNT = 25
    capped = viewer_client.get("/search?query=svc")
    assert "More than 25 entities" in capped.content.decode()
    assert capped.context["paginator"].num_pages == 2  # 26 counted, 20 a page
    settings.GREENROOM_SEARCH_MAX_COUNT = 30
    exact = viewer_client.get("/search?query=svc")
    assert "30 entities for" in exact.content.decode()
