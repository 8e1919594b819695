"""Greenroom's own API at /api/: entity history, processing errors, crawls."""

from __future__ import annotations

from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from tests.support.descriptors import ORG
from tests.support.queries import count_queries


def test_history_with_commits_and_descriptors(viewer_client, repos, db):
    repo = repos.create("org", {"catalog-info.yaml": ORG})
    location, _ = register_location(repo.url)
    crawl_location(location)
    first = repo.head()
    repo.commit(
        {
            "catalog-info.yaml": ORG.replace(
                "lifecycle: production", "lifecycle: retired"
            )
        },
        "retire",
    )
    crawl_location(location)
    items = viewer_client.get("/api/entities/component/default/billing/history").json()[
        "items"
    ]
    assert [i["action"] for i in items] == ["changed", "added"]
    assert items[1]["commit"] == first
    assert items[0]["commit"] == repo.head()
    assert items[0]["entity"]["spec"]["lifecycle"] == "retired"
    assert items[0]["owner"] == "group:default/payments-team"
    missing = viewer_client.get("/api/entities/component/default/nope/history")
    assert missing.status_code == 404


def test_errors_filtered_by_level_ref_and_location(viewer_client, repos, db):
    repo = repos.create("org", {"catalog-info.yaml": ORG + "---\nkind: Component\n"})
    location, _ = register_location(repo.url)
    crawl_location(location)
    body = viewer_client.get(f"/api/errors?level=error&location={location.uid}").json()
    assert body["totalItems"] == 1
    assert "apiVersion" in body["items"][0]["message"]
    assert body["items"][0]["location"] == str(location.uid)
    assert viewer_client.get("/api/errors?level=warning").json()["totalItems"] == 0
    assert viewer_client.get("/api/errors?level=fatal").status_code == 400


def test_crawls_of_a_location(viewer_client, org):
    body = viewer_client.get(f"/api/locations/{org.uid}/crawls").json()
    assert body["status"] == "ok"
    assert body["lastCommit"] == org.last_commit
    assert body["items"][0]["added"] == 10  # 9 declared, 1 generated Location
    assert body["items"][0]["status"] == "succeeded"
    assert viewer_client.get("/api/locations/nope/crawls").status_code == 404
    assert count_queries(viewer_client, f"/api/locations/{org.uid}/crawls") < 10


def test_anonymous_callers_are_refused(client, org):
    assert client.get("/api/errors").status_code == 401
