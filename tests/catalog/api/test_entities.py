"""Backstage's catalog API, entity reads: GET /entities, by-name, by-uid, by-refs,
entity-facets; shapes and errors as the reference (section 9) gives them."""

from __future__ import annotations

import json

import pytest

from catalog.models import Entity
from tests.support.catalog import crawl_repo
from tests.support.descriptors import component, many_components
from tests.support.queries import count_queries

API = "/api/catalog"


def error(response, status: int, name: str) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["name"] == name
    assert body["response"] == {"statusCode": status}
    assert body["request"]["method"] == response.wsgi_request.method
    return body["error"]["message"]


def test_sign_in_is_required(client, org):
    response = client.get(f"{API}/entities")
    error(response, 401, "AuthenticationError")


def test_by_name_returns_the_stored_entity_with_uid_etag_relations(viewer_client, org):
    body = viewer_client.get(f"{API}/entities/by-name/Component/default/Billing").json()
    entity = Entity.objects.get(ref="component:default/billing")
    assert body["metadata"]["uid"] == str(entity.uid)
    assert body["metadata"]["etag"] == entity.etag
    assert body["spec"]["owner"] == "payments-team"
    assert {"type": "ownedBy", "targetRef": "group:default/payments-team"} in body[
        "relations"
    ]
    missing = viewer_client.get(f"{API}/entities/by-name/component/default/nope")
    assert error(missing, 404, "NotFoundError") == (
        "No entity named 'nope' found, with kind 'component' in namespace 'default'"
    )


def test_by_uid(viewer_client, org):
    entity = Entity.objects.get(ref="api:default/billing-api")
    body = viewer_client.get(f"{API}/entities/by-uid/{entity.uid}").json()
    assert body["metadata"]["name"] == "billing-api"
    error(viewer_client.get(f"{API}/entities/by-uid/not-a-uid"), 404, "NotFoundError")
    unknown = "00000000-0000-0000-0000-000000000000"
    error(viewer_client.get(f"{API}/entities/by-uid/{unknown}"), 404, "NotFoundError")


def test_by_refs_keeps_request_order_with_nulls(viewer_client, org):
    refs = [
        "api:default/billing-api",
        "component:default/ghost",
        "Component:default/Ledger",
        "a",
    ]
    response = viewer_client.post(
        f"{API}/entities/by-refs",
        {"entityRefs": refs, "fields": ["metadata.name", "kind"]},
        content_type="application/json",
    )
    assert response.json() == {
        "items": [
            {"kind": "API", "metadata": {"name": "billing-api"}},
            None,
            {"kind": "Component", "metadata": {"name": "ledger"}},
            None,
        ]
    }
    filtered = viewer_client.post(
        f"{API}/entities/by-refs?filter=kind=api",
        {"entityRefs": refs[:3]},
        content_type="application/json",
    ).json()["items"]
    assert [item and item["kind"] for item in filtered] == ["API", None, None]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"entityRefs": "component:default/a"},
        {"entityRefs": [1]},
        {"entityRefs": [], "fields": "x"},
    ],
)
def test_by_refs_refuses_bad_bodies(viewer_client, org, body):
    response = viewer_client.post(
        f"{API}/entities/by-refs", body, content_type="application/json"
    )
    error(response, 400, "InputError")
    not_json = viewer_client.post(
        f"{API}/entities/by-refs", "entityRefs=a", content_type="text/plain"
    )
    error(not_json, 400, "InputError")


def items(response) -> list[dict]:
    """The JSON array of a GET /entities response, streamed (no paging) or not."""
    assert response.status_code == 200
    if response.streaming:
        return json.loads(b"".join(response.streaming_content))
    return response.json()


def names(response) -> list[str]:
    return [e["metadata"]["name"] for e in items(response)]


def test_filters_or_across_and_inside(viewer_client, org):
    both = viewer_client.get(f"{API}/entities?filter=kind=user&filter=kind=system")
    assert sorted(names(both)) == ["jdoe", "payments"]
    services = viewer_client.get(
        f"{API}/entities?filter=kind=component,spec.type=SERVICE"
    )
    assert names(services) == ["billing"]
    tagged = viewer_client.get(f"{API}/entities?filter=metadata.tags.python")
    assert names(tagged) == ["billing"]
    owned = viewer_client.get(
        f"{API}/entities?filter=relations.ownedby=group:default/platform"
    )
    assert sorted(names(owned)) == ["ledger", "payments"]
    slug = viewer_client.get(
        f"{API}/entities?filter=metadata.annotations.github.com/project-slug"
    )
    assert names(slug) == ["billing"]


def test_fields_projection_keeps_named_leaves_and_subtrees(viewer_client, org):
    url = (
        f"{API}/entities?filter=kind=component,metadata.name=billing"
        "&fields=kind,metadata.name&fields=metadata.annotations.github.com/project-slug"
    )
    assert items(viewer_client.get(url)) == [
        {
            "kind": "Component",
            "metadata": {
                "name": "billing",
                "annotations": {"github.com/project-slug": "acme/billing"},
            },
        }
    ]
    whole = items(viewer_client.get(f"{API}/entities?filter=kind=system&fields=spec"))
    assert whole == [{"spec": {"owner": "platform"}}]


def test_order_and_paging_with_link_headers(viewer_client, org):
    first = viewer_client.get(
        f"{API}/entities?filter=kind=component&order=desc:metadata.name&limit=2"
    )
    assert names(first) == ["orphaned-tool", "ledger"]
    link = first["Link"]
    assert link.startswith(f"<{API}/entities?")
    assert link.endswith('>; rel="next"')
    second = viewer_client.get(link[1 : link.index(">")])
    assert names(second) == ["billing"]
    assert "Link" not in second
    titled = names(viewer_client.get(f"{API}/entities?order=asc:metadata.title"))
    # Entities with a title first (sorted), those without it last.
    assert titled[:3] == ["billing", "payments-team", "platform"]


def test_no_paging_streams_everything(viewer_client, repos, db):
    for half in ("a", "b"):  # more than one chunk of rows, fewer than 1000 a file
        crawl_repo(repos, half, {"catalog-info.yaml": many_components(600, half)})
    response = viewer_client.get(f"{API}/entities?fields=metadata.name")
    assert response.streaming
    everything = items(response)
    assert len(everything) == 1202  # and each registration's generated Location
    authored = [e for e in everything if not e["metadata"]["name"].startswith("gen")]
    assert len(authored) == 1200
    assert authored[0] == {"metadata": {"name": "a-0"}}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("filter=,kind=x", "empty key"),
        ("fields=metadata.tags[0]", "array indexing"),
        ("limit=100000", "limit must be between 1 and 1000"),
        ("limit=0", "limit must be between"),
        ("offset=-1", "offset must be between"),
        ("limit=ten", "limit must be an integer"),
        ("after=bm90LWpzb24", "invalid after cursor"),
        ("order=sideways:metadata.name", "invalid order"),
    ],
)
def test_bad_parameters_are_400_with_a_reason(viewer_client, org, query, message):
    response = viewer_client.get(f"{API}/entities?{query}")
    assert message in error(response, 400, "InputError")


def test_facets(viewer_client, org):
    response = viewer_client.get(
        f"{API}/entity-facets?facet=kind&facet=spec.type&filter=kind=component"
    )
    assert response.json() == {
        "facets": {
            "kind": [{"value": "Component", "count": 3}],
            "spec.type": [
                {"value": "library", "count": 1},
                {"value": "service", "count": 1},
                {"value": "tool", "count": 1},
            ],
        }
    }
    error(viewer_client.get(f"{API}/entity-facets"), 400, "InputError")


def test_query_count_does_not_grow_with_the_page(viewer_client, repos, db):
    crawl_repo(repos, "small", {"catalog-info.yaml": many_components(3, "a")})
    small = count_queries(
        viewer_client, f"{API}/entities?limit=50&order=asc:metadata.name"
    )
    crawl_repo(repos, "large", {"catalog-info.yaml": many_components(60, "b")})
    large = count_queries(
        viewer_client, f"{API}/entities?limit=50&order=asc:metadata.name"
    )
    assert large == small


def test_by_refs_query_count_does_not_grow_with_refs(viewer_client, repos, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    crawl_repo(repos, "many", {"catalog-info.yaml": many_components(60, "r")})

    def queries(count: int) -> int:
        refs = [f"component:default/r-{i}" for i in range(count)]
        with CaptureQueriesContext(connection) as captured:
            response = viewer_client.post(
                f"{API}/entities/by-refs",
                {"entityRefs": refs},
                content_type="application/json",
            )
        assert len(response.json()["items"]) == count
        assert all(response.json()["items"])
        return len(captured)

    # First reads build and store the bodies; later ones send what is stored.
    building = queries(3), queries(60)  # 57 of the 60 are read for the first time
    stored = queries(60), queries(3)
    assert building[0] == building[1]
    assert stored[0] == stored[1] < building[0]


def test_delete_by_uid_removes_until_the_next_crawl(editor_client, org):
    from catalog.ingest.sync import crawl_location
    from catalog.models import EntityRevision

    entity = Entity.objects.get(ref="component:default/ledger")
    url = f"{API}/entities/by-uid/{entity.uid}"
    assert editor_client.delete(url).status_code == 204
    assert not Entity.objects.filter(ref="component:default/ledger").exists()
    removed = EntityRevision.objects.get(
        ref="component:default/ledger", action="removed"
    )
    assert removed.entity_uid == entity.uid
    assert editor_client.delete(url).status_code == 204  # gone already: still 204
    assert editor_client.delete(f"{API}/entities/by-uid/junk").status_code == 204
    org.refresh_from_db()
    crawl_location(org)  # not forced: the file still declares it, so it comes back
    assert Entity.objects.filter(ref="component:default/ledger").exists()


def test_viewers_cannot_delete(viewer_client, org):
    entity = Entity.objects.get(ref="component:default/ledger")
    response = viewer_client.delete(f"{API}/entities/by-uid/{entity.uid}")
    error(response, 403, "NotAllowedError")
    assert Entity.objects.filter(pk=entity.pk).exists()


def test_stored_bodies_follow_every_change(editor_client, org, repos):
    """Bodies are sent as stored text: whatever changes an entity's JSON (its
    relations from other entities, their removal) must show in the next read."""
    team = f"{API}/entities/by-name/group/default/payments-team"

    def owned() -> set[str]:
        relations = editor_client.get(team).json()["relations"]
        return {r["targetRef"] for r in relations if r["type"] == "ownerOf"}

    assert "component:default/billing" in owned()  # read, so stored
    crawl_repo(
        repos,
        "more",
        {"catalog-info.yaml": component("ledger-2", owner="payments-team")},
    )
    assert "component:default/ledger-2" in owned()
    billing = Entity.objects.get(ref="component:default/billing")
    assert (
        editor_client.delete(f"{API}/entities/by-uid/{billing.uid}").status_code == 204
    )
    assert "component:default/billing" not in owned()
    assert "component:default/ledger-2" in owned()


def test_facet_counts_follow_every_change(editor_client, org, repos):
    """Counts are kept until the catalog changes: a crawl or a delete shows at once."""
    from django.core.cache import cache

    cache.clear()
    url = f"{API}/entity-facets?facet=spec.type&filter=kind=component"

    def services() -> int:
        counts = editor_client.get(url).json()["facets"]["spec.type"]
        return next((c["count"] for c in counts if c["value"] == "service"), 0)

    cold = count_queries(editor_client, url)
    assert count_queries(editor_client, url) == cold - 1  # no counting: cached
    before = services()
    crawl_repo(repos, "more", {"catalog-info.yaml": many_components(3, "x")})
    assert services() == before + 3
    gone = Entity.objects.get(ref="component:default/x-0")
    editor_client.delete(f"{API}/entities/by-uid/{gone.uid}")
    assert services() == before + 2
