"""The catalog list: facets and counts, filters, text, sorting, paging, in the URL."""

from __future__ import annotations

import re

from tests.support.catalog import crawl_repo
from tests.support.descriptors import many_components
from tests.support.queries import count_queries


def rows(response) -> list[str]:
    """The entity names in the table, in order."""
    body = response.content.decode()
    if "<tbody>" not in body:
        assert "No entities match these filters." in body
        return []
    table = body[body.index("<tbody>") : body.index("</tbody>")]
    return re.findall(r'<td><a href="/catalog/[^"]+">([^<]+)</a>', table)


def facet(response, param: str) -> dict[str, int]:
    for item in response.context["facets"]:
        if item["param"] == param:
            return {v["value"]: v["count"] for v in item["values"]}
    raise AssertionError(param)


def test_every_entity_is_listed_with_facet_counts(viewer_client, org):
    response = viewer_client.get("/catalog")
    assert response.context["paginator"].count == 10
    assert facet(response, "kind") == {
        "location": 1,  # generated for the registration, as in Backstage
        "component": 3,
        "group": 2,
        "user": 1,
        "system": 1,
        "resource": 1,
        "api": 1,
    }
    assert facet(response, "owner")["group:default/payments-team"] == 3
    assert facet(response, "tag") == {"python": 1, "django": 1, "java": 1}
    assert facet(response, "system") == {"payments": 4}
    flags = {f["param"]: f["count"] for f in response.context["flags"]}
    assert flags == {"errors": 0, "orphan": 1}


def test_filter_by_kind_and_owner(viewer_client, org):
    response = viewer_client.get(
        "/catalog?kind=component&kind=resource&owner=group:default/payments-team"
    )
    assert sorted(rows(response)) == ["Billing service", "billing-db"]
    # Facets are disjunctive: the kind facet still counts other kinds of this owner.
    assert facet(response, "kind") == {"component": 1, "resource": 1, "api": 1}


def test_field_facets_and_flags(viewer_client, org):
    assert rows(viewer_client.get("/catalog?lifecycle=Production&type=service")) == [
        "Billing service"
    ]
    assert rows(viewer_client.get("/catalog?tag=java")) == ["ledger"]
    assert rows(viewer_client.get("/catalog?orphan=1")) == ["orphaned-tool"]
    assert rows(viewer_client.get("/catalog?namespace=elsewhere")) == []


def test_text_filter_and_sorting(viewer_client, org):
    response = viewer_client.get("/catalog?query=invoices")
    assert set(rows(response)) == {"Billing service", "billing-api"}
    names = rows(viewer_client.get("/catalog?kind=component&sort=-name"))
    assert names == ["orphaned-tool", "ledger", "Billing service"]


def test_the_page_links_keep_the_filters(viewer_client, repos, db):
    crawl_repo(repos, "many", {"catalog-info.yaml": many_components(120)})
    first = viewer_client.get("/catalog?kind=component&sort=name")
    assert len(rows(first)) == 50
    body = first.content.decode()
    assert "?kind=component&amp;sort=name&amp;page=2" in body
    third = viewer_client.get("/catalog?kind=component&sort=name&page=3")
    assert len(rows(third)) == 20
    assert "Page 3 of 3" in third.content.decode()


def test_junk_parameters_are_ignored(viewer_client, org):
    response = viewer_client.get("/catalog?sort=drop+table&page=1&errors=maybe")
    assert response.status_code == 200
    assert viewer_client.get("/catalog?page=999").status_code == 404


def test_query_count_does_not_grow_with_rows(viewer_client, repos, db):
    crawl_repo(repos, "small", {"catalog-info.yaml": many_components(3, "a")})
    url = "/catalog?kind=component&tag=x&lifecycle=production&query=a&sort=owner"
    small = count_queries(viewer_client, url)
    crawl_repo(
        repos,
        "large",
        {"catalog-info.yaml": many_components(80, "b", owner="other", tags="[x]")},
    )
    assert count_queries(viewer_client, "/catalog") <= small + 2
    assert count_queries(viewer_client, url) == small
