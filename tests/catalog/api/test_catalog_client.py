"""Backstage's own @backstage/catalog-client (npm) against a live Greenroom.

The methods Greenroom serves so far are called through the real client, over
HTTP, with a token; the answers are checked for content, not just for success.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import Entity, Location
from core.tokens import issue_token
from tests.support.catalog import crawl_repo
from tests.support.descriptors import ORG, component

ORACLE = Path(__file__).resolve().parents[2] / "oracle"
CLIENT = ORACLE / "node_modules" / "@backstage" / "catalog-client"
NAME = "metadata.name"


def call(server: str, token: str, calls: list[list[object]]) -> list[dict]:
    if shutil.which("node") is None or not CLIENT.exists():
        pytest.fail(
            "node and tests/oracle's packages are needed (make test installs them)"
        )
    result = subprocess.run(
        ["node", str(ORACLE / "catalog_client.mjs")],
        input=json.dumps(
            {"baseUrl": f"{server}/api/catalog", "token": token, "calls": calls}
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture
def catalog(repos, transactional_db, viewer):
    crawl_repo(repos, "org", {"catalog-info.yaml": ORG})
    return issue_token(viewer, "catalog-client")[1]


def names(entities: list[dict]) -> list[str]:
    return [e["metadata"]["name"] for e in entities]


def test_entity_reads(server, catalog):
    billing = Entity.objects.get(ref="component:default/billing")
    component = {"kind": "component"}
    by_name = {"field": "metadata.name", "order": "asc"}
    refs = ["api:default/billing-api", "component:default/ghost"]
    results = call(
        server,
        catalog,
        [
            ["getEntities", {"filter": component, "fields": ["metadata.name"],
                             "order": {**by_name, "order": "desc"}}],
            ["getEntities", {"filter": [{"kind": "user"}, {"kind": "system"}]}],
            ["getEntities", {"filter": component, "limit": 2, "offset": 1,
                             "order": [by_name]}],
            ["getEntityByRef", "component:default/billing"],
            ["getEntityByRef", "component:default/nope"],
            ["getEntitiesByRefs", {"entityRefs": refs, "fields": ["kind", NAME]}],
            ["getEntityFacets", {"facets": ["kind", "spec.lifecycle"],
                                 "filter": component}],
            ["queryEntitiesAll", {"filter": component, "limit": 2,
                                  "orderFields": by_name}],
            ["queryEntities", {"fullTextFilter": {"term": "BILL", "fields": [NAME]}}],
        ],
    )  # fmt: skip
    errors = [r for r in results if "error" in r]
    assert not errors, errors
    values = [r["value"] for r in results]
    assert values[0] == {
        "items": [
            {"metadata": {"name": n}} for n in ("orphaned-tool", "ledger", "billing")
        ]
    }
    assert sorted(names(values[1]["items"])) == ["jdoe", "payments"]
    assert names(values[2]["items"]) == ["ledger", "orphaned-tool"]
    assert values[3]["metadata"]["uid"] == str(billing.uid)
    assert values[3]["metadata"]["etag"] == billing.etag
    assert values[4] is None
    assert values[5] == {
        "items": [{"kind": "API", "metadata": {"name": "billing-api"}}, None]
    }
    assert values[6] == {
        "facets": {
            "kind": [{"value": "Component", "count": 3}],
            "spec.lifecycle": [
                {"value": "deprecated", "count": 1},
                {"value": "experimental", "count": 1},
                {"value": "production", "count": 1},
            ],
        }
    }
    pages = values[7]
    assert [names(p["items"]) for p in pages] == [
        ["billing", "ledger"],
        ["orphaned-tool"],
    ]
    assert all(p["totalItems"] == 3 for p in pages)
    assert sorted(names(values[8]["items"])) == ["billing", "billing-api", "billing-db"]


def test_locations_and_refused_writes(server, catalog, editor):
    location = Location.objects.get()
    _, write = issue_token(editor, "deploys", write=True)
    results = call(
        server,
        catalog,
        [
            ["getLocationById", str(location.uid)],
            ["getLocationByEntity", "component:default/billing"],
            ["getLocationById", "00000000-0000-0000-0000-000000000000"],
            ["refreshEntity", "component:default/billing"],  # a read token
        ],
    )
    assert results[0]["value"]["id"] == str(location.uid)
    assert results[0]["value"]["target"] == location.url
    assert results[1]["value"] == results[0]["value"]
    assert results[2]["value"] is None
    assert results[3]["error"]["status"] == 403
    refreshed = call(server, write, [["refreshEntity", "component:default/billing"]])
    assert refreshed == [{"value": None}]


def test_predicate_methods(server, catalog):
    component = {"kind": "component"}
    results = call(
        server,
        catalog,
        [
            ["queryEntitiesAll", {"query": {"$all": [component, {"$not": {
                "spec.lifecycle": "production"}}]}, "limit": 1,
                "orderFields": {"field": NAME, "order": "asc"}}],
            ["getEntityFacets", {"facets": ["spec.type"], "query": component}],
            ["getEntitiesByRefs", {"entityRefs": ["component:default/ledger",
                                                  "api:default/billing-api"],
                                   "query": component, "fields": [NAME]}],
            ["queryEntities", {"filter": component, "query": {
                "metadata.name": {"$hasPrefix": "bill"}}}],
        ],
    )  # fmt: skip
    errors = [r for r in results if "error" in r]
    assert not errors, errors
    pages, facets, refs, both = (r["value"] for r in results)
    assert [names(p["items"]) for p in pages] == [["ledger"], ["orphaned-tool"]]
    assert facets["facets"]["spec.type"] == [
        {"value": "library", "count": 1},
        {"value": "service", "count": 1},
        {"value": "tool", "count": 1},
    ]
    assert refs["items"] == [{"metadata": {"name": "ledger"}}, None]
    assert names(both["items"]) == ["billing"]


def test_validate_entity(server, catalog):
    entity = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "billing"},
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"},
    }
    where = "url:https://github.com/acme/billing/blob/main/catalog-info.yaml"
    broken = {**entity, "spec": {"type": "service"}}
    good, bad = call(
        server,
        catalog,
        [["validateEntity", entity, where], ["validateEntity", broken, where]],
    )
    assert good == {"value": {"valid": True}}
    assert bad["value"]["valid"] is False
    assert any("lifecycle" in e["message"] for e in bad["value"]["errors"])


def test_ancestry_locations_and_streams(server, catalog):
    location = Location.objects.get()
    generated = Entity.objects.get(kind="Location")
    component = {"kind": "component"}
    results = call(
        server,
        catalog,
        [
            ["getEntityAncestors", {"entityRef": "component:default/billing"}],
            ["getEntityByName", {"kind": "Component", "namespace": "default",
                                 "name": "ledger"}],
            ["getLocations", {}],
            ["getLocationByRef", f"url:{location.url}"],
            ["queryLocations", {"limit": 1, "query": {"type": "url"}}],
            ["streamLocations", {}],
            ["streamEntities", {"filter": component, "pageSize": 2,
                                "orderFields": {"field": NAME, "order": "desc"}}],
        ],
    )  # fmt: skip
    errors = [(i, r) for i, r in enumerate(results) if "error" in r]
    assert not errors, errors
    ancestry, ledger, locations, by_ref, queried, streamed, pages = (
        r["value"] for r in results
    )
    assert ancestry["rootEntityRef"] == "component:default/billing"
    assert [i["entity"]["metadata"]["name"] for i in ancestry["items"]] == [
        "billing",
        generated.name,
    ]
    assert ancestry["items"][0]["parentEntityRefs"] == [generated.ref]
    assert ledger["metadata"]["name"] == "ledger"
    expected = {
        "id": str(location.uid),
        "type": "url",
        "target": location.url,
        "entityRef": generated.ref,
    }
    assert locations == {"items": [expected]}
    assert by_ref == expected
    assert queried == {"items": [expected], "totalItems": 1, "pageInfo": {}}
    assert streamed == [[expected]]
    assert [names(page) for page in pages] == [
        ["orphaned-tool", "ledger"],
        ["billing"],
    ]


def test_location_writes(server, catalog, editor, repos):
    _, write = issue_token(editor, "deploys", write=True)
    new = repos.create("new", {"catalog-info.yaml": component("fresh")})
    other = repos.create("other", {"catalog-info.yaml": component("moved")})
    billing = Entity.objects.get(ref="component:default/billing")
    results = call(
        server,
        write,
        [
            ["analyzeLocation", {"location": {"type": "url", "target": new.url}}],
            ["addLocation", {"target": new.url, "dryRun": True}],
            ["addLocation", {"target": new.url}],
            ["addLocation", {"target": new.url}],
            ["addLocation", {"target": new.url, "onConflict": "refresh"}],
            ["removeEntityByUid", str(billing.uid)],
        ],
    )
    analyzed, dry, added, again, refreshed, removed = results
    assert [f["entity"]["metadata"]["name"] for f in analyzed["value"][
        "existingEntityFiles"
    ]] == ["fresh"]  # fmt: skip
    assert [e["kind"] for e in dry["value"]["entities"]] == ["Location", "Component"]
    created = added["value"]["location"]
    assert created["target"] == new.url
    assert Location.objects.filter(uid=created["id"]).exists()
    assert again["error"]["status"] == 409
    assert refreshed["value"]["location"]["id"] == created["id"]
    assert removed == {"value": None}
    assert not Entity.objects.filter(uid=billing.uid).exists()
    updated, gone = call(
        server,
        write,
        [
            ["updateLocation", created["id"], {"target": other.url}],
            ["removeLocationById", created["id"]],
        ],
    )
    assert updated["value"]["target"] == other.url
    assert gone == {"value": None}
    assert not Location.objects.filter(uid=created["id"]).exists()


def test_the_client_finds_the_location_by_either_annotation(
    server, repos, git_daemon, transactional_db, viewer
):
    """Backstage finds an entity's location with getLocationByRef of its
    managed-by(-origin)-location (its unregister dialog does): for a location
    registered as a plain git URL both must be `url:<that URL>` exactly."""
    url = git_daemon.url(repos.create("extra", {"catalog-info.yaml": component("x")}))
    location, _ = register_location(url)
    crawl_location(location)
    token = issue_token(viewer, "catalog-client")[1]
    (entity,) = call(server, token, [["getEntityByRef", "component:default/x"]])
    annotations = entity["value"]["metadata"]["annotations"]

    found = call(
        server,
        token,
        [
            ["getLocationByRef", annotations["backstage.io/managed-by-location"]],
            [
                "getLocationByRef",
                annotations["backstage.io/managed-by-origin-location"],
            ],
        ],
    )

    generated = Entity.objects.get(kind="Location")
    expected = {"id": str(location.uid), "type": "url", "target": url}
    assert found == [{"value": expected | {"entityRef": generated.ref}}] * 2


def test_every_client_method_is_exercised():
    """The methods the installed client declares are the ones called above."""
    declared = (CLIENT / "dist" / "index.d.ts").read_text()
    body = declared[declared.index("declare class CatalogClient") :]
    body = body[: body.index("\n}")]
    public = set(re.findall(r"^    (\w+)\(", body, re.MULTILINE))
    called = set(re.findall(r'\["(\w+)"', Path(__file__).read_text()))
    called |= {"constructor"}  # and queryEntitiesAll: queryEntities, page by page
    assert public - called == set()
