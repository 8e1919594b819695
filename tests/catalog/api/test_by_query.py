"""GET /entities/by-query: keyset cursors, totals, sorting, full text."""

from __future__ import annotations

import base64

import pytest

from tests.support.catalog import crawl_repo
from tests.support.descriptors import many_components

URL = "/api/catalog/entities/by-query"


def get(client, **query):
    response = client.get(URL, query)
    assert response.status_code == 200, response.content
    return response.json()


def names(body) -> list[str]:
    return [item["metadata"]["name"] for item in body["items"]]


@pytest.fixture
def services(repos, db):
    return crawl_repo(repos, "many", {"catalog-info.yaml": many_components(25, "svc")})


def test_cursors_walk_forward_and_back(viewer_client, services):
    first = get(
        viewer_client,
        filter="kind=component",
        orderField="metadata.name,desc",
        limit=10,
        fields="metadata.name",
    )
    assert first["totalItems"] == 25
    assert names(first)[:2] == ["svc-9", "svc-8"]
    assert "prevCursor" not in first["pageInfo"]
    seen, body = names(first), first
    while "nextCursor" in body["pageInfo"]:
        body = get(viewer_client, cursor=body["pageInfo"]["nextCursor"], limit=10)
        assert body["totalItems"] == 25  # carried, not recounted
        seen += names(body)
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == 25
    back = get(viewer_client, cursor=body["pageInfo"]["prevCursor"], limit=10)
    assert names(back) == seen[10:20]
    assert "nextCursor" in back["pageInfo"]


def test_pages_do_not_shift_when_rows_arrive(viewer_client, services, repos):
    first = get(
        viewer_client, filter="kind=component", orderField="metadata.name", limit=10
    )
    # New entities sort before and after the first page's edge.
    crawl_repo(
        repos,
        "more",
        {
            "catalog-info.yaml": many_components(3, "aaa")
            + "---\n"
            + many_components(3, "zzz")
        },
    )
    rest, body = [], first
    while "nextCursor" in body["pageInfo"]:
        body = get(viewer_client, cursor=body["pageInfo"]["nextCursor"], limit=10)
        rest += names(body)
    assert not set(rest) & set(names(first))
    assert {f"svc-{i}" for i in range(25)} <= set(names(first) + rest)
    assert "zzz-0" in rest
    assert "aaa-0" not in rest


def test_full_text_total_and_limits(viewer_client, services):
    found = get(
        viewer_client, fullTextFilterTerm="VC-1", fullTextFilterFields="metadata.name"
    )
    assert sorted(names(found)) == ["svc-1"] + [f"svc-1{i}" for i in range(10)]
    assert found["totalItems"] == 11
    none = get(viewer_client, limit=0, filter="kind=component")
    assert none["items"] == []
    assert none["totalItems"] == 25
    quick = get(viewer_client, filter="kind=component", totalItems="exclude", limit=5)
    assert quick["totalItems"] == 0
    assert len(quick["items"]) == 5


def test_sorting_excludes_entities_lacking_the_field(viewer_client, org):
    body = get(viewer_client, orderField="metadata.title")
    assert names(body) == ["billing", "payments-team", "platform"]


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": base64.urlsafe_b64encode(b'{"filters": "x"}').decode()},
        {"cursor": base64.urlsafe_b64encode(b'{"edge": [1, "x"]}').decode()},
        {"orderField": "metadata.name,sideways"},
        {"limit": "5000"},
        {"filter": "=x"},
    ],
)
def test_bad_queries_are_400(viewer_client, org, query):
    response = viewer_client.get(URL, query)
    assert response.status_code == 400
    assert response.json()["error"]["name"] == "InputError"
