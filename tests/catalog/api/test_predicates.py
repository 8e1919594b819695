"""Backstage's predicate language: POST /entities/by-query, by-refs, entity-facets."""

from __future__ import annotations

import pytest

URL = "/api/catalog/entities/by-query"
TITLED = ["billing", "payments-team", "platform"]
BILLING = ["billing", "billing-api", "billing-db"]


def query(client, body) -> list[str]:
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 200, response.content
    return sorted(item["metadata"]["name"] for item in response.json()["items"])


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        ({"kind": "Component", "spec.type": "SERVICE"}, ["billing"]),
        ({"kind": {"$in": ["user", "SYSTEM"]}}, ["jdoe", "payments"]),
        ({"kind": {"$in": []}}, []),
        ({"$all": []}, None),  # everything
        ({"$any": []}, []),
        ({"$any": [{"kind": "user"}, {"metadata.name": "ledger"}]}, ["jdoe", "ledger"]),
        ({"$all": [{"kind": "component"}, {"$not": {"spec.lifecycle": "production"}}]},
         ["ledger", "orphaned-tool"]),
        ({"metadata.title": {"$exists": True}}, TITLED),
        ({"kind": "group", "metadata.title": {"$exists": False}}, []),
        ({"metadata.name": {"$hasPrefix": "BILL"}}, BILLING),
        ({"metadata.tags": {"$contains": "python"}}, ["billing"]),
        ({"relations": {"$contains": {"type": "ownedBy",
                                      "targetRef": "group:default/platform"}}},
         ["ledger", "payments"]),
        ({"relations": {"$contains": {"type": "ownedby", "targetRef": {
            "$in": ["group:default/payments-team"]}}}},
         ["billing", "billing-api", "billing-db"]),
    ],
)  # fmt: skip
def test_predicates(viewer_client, org, predicate, expected):
    names = query(viewer_client, {"query": predicate, "limit": 100})
    if expected is None:  # everything: the 9 declared and the generated Location
        assert len(names) == 10
    else:
        assert names == expected


def test_predicate_cursors_carry_the_query(viewer_client, org):
    body = {
        "query": {"kind": "component"},
        "orderBy": [{"field": "metadata.name", "order": "desc"}],
        "limit": 2,
        "fields": ["metadata.name"],
    }
    first = viewer_client.post(URL, body, content_type="application/json").json()
    assert [i["metadata"]["name"] for i in first["items"]] == [
        "orphaned-tool",
        "ledger",
    ]
    assert first["totalItems"] == 3
    cursor = first["pageInfo"]["nextCursor"]
    second = viewer_client.post(
        URL, {"cursor": cursor, "limit": 2}, content_type="application/json"
    ).json()
    assert [i["metadata"]["name"] for i in second["items"]] == ["billing"]
    by_get = viewer_client.get(URL, {"cursor": cursor, "limit": 2}).json()
    assert by_get["items"][0]["metadata"]["name"] == "billing"


def test_by_refs_and_facets_take_a_predicate(viewer_client, org):
    refs = viewer_client.post(
        "/api/catalog/entities/by-refs",
        {"entityRefs": ["component:default/billing", "api:default/billing-api"],
         "query": {"kind": "api"}},
        content_type="application/json",
    ).json()["items"]  # fmt: skip
    assert refs[0] is None
    assert refs[1]["metadata"]["name"] == "billing-api"
    counted = viewer_client.post(
        "/api/catalog/entity-facets",
        {"facets": ["spec.lifecycle"], "query": {"kind": "component"}},
        content_type="application/json",
    ).json()
    assert counted == {
        "facets": {
            "spec.lifecycle": [
                {"value": "deprecated", "count": 1},
                {"value": "experimental", "count": 1},
                {"value": "production", "count": 1},
            ]
        }
    }


@pytest.mark.parametrize(
    "body",
    [
        {"query": []},
        {"query": {"$not": {"kind": "x"}, "kind": "y"}},
        {"query": {"$nope": []}},
        {"query": {"kind": {"$in": "x"}}},
        {"query": {"kind": {"$exists": "yes"}}},
        {"query": {"kind": [{"a": 1}]}},
        {"query": {"relations": {"$contains": {"targetRef": "x"}}}},
        {"query": {"$all": [{"$not": {"$all": [{"$not": {}}]}}] * 600}},
        {"limit": -1},
        {"limit": 100000},
        {"fields": "metadata.name"},
        {"orderBy": "metadata.name"},
        {"cursor": 12},
    ],
)
def test_malformed_bodies_are_400(viewer_client, org, body):
    response = viewer_client.post(URL, body, content_type="application/json")
    assert response.status_code == 400, body
    assert response.json()["error"]["name"] == "InputError"
