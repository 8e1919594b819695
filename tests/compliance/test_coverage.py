"""Ownership coverage over a crawled catalog: every check, its counts and lists."""

from __future__ import annotations

import csv
import io

import pytest

from catalog.ingest.sync import crawl_location
from catalog.locations import delete_entity, register_location
from catalog.models import Entity, Location
from compliance import coverage
from tests.support.coverage import ORG, component
from tests.support.worker import wait_for

pytestmark = pytest.mark.django_db


SYSTEMS = """\
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: payments}
spec: {owner: team-a}
"""


TEMPLATE = """\
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: new-service}
spec: {type: service, steps: []}
"""


@pytest.fixture
def catalog(repos):
    documents = [
        ORG,
        SYSTEMS,
        component(
            "billing", "team-a", system="payments", dependsOn="[component:legacy]"
        ),
        component("legacy", "team-a", lifecycle="deprecated"),
        component("ghostly", "group:ghosts"),
        component("lonely", "team-empty"),
        component("personal", "user:alice"),
        component("not-a-team", "component:billing"),
        component(
            "broken",
            "team-a",
            system="nowhere",
            dependsOn="[component:vanished]",
            providesApis="[missing-api]",
        ),
        TEMPLATE,
    ]
    repo = repos.create("org", {"catalog-info.yaml": "---\n".join(documents)})
    location, _ = register_location(repo.url)
    crawl_location(Location.objects.get(pk=location.pk))
    # An entity whose emitting Location entity has left the catalog.
    Entity.objects.filter(name="personal").update(parent_ref="location:default/gone")
    return location


def names(key: str, **narrow) -> list[str]:
    return sorted(row.name for row in coverage.narrowed(key, **narrow))


def test_every_check_finds_what_it_should(catalog):
    assert Entity.objects.filter(name="billing").exists()
    assert names("no-owner") == ["new-service"]
    assert names("unknown-owner") == ["ghostly", "not-a-team"]
    assert names("owner-without-members") == ["lonely"]
    assert names("orphaned") == ["personal"]
    assert names("deprecated-in-use") == ["legacy"]
    dangling = sorted(
        (r.source_ref, r.type, r.target_ref) for r in coverage.rows("dangling")
    )
    assert dangling == [
        ("component:default/broken", "dependsOn", "component:default/vanished"),
        ("component:default/broken", "partOf", "system:default/nowhere"),
        ("component:default/broken", "providesApi", "api:default/missing-api"),
    ]
    assert names("unknown-owner", owner="group:ghosts") == ["ghostly"]
    assert names("unknown-owner", kind="Component") == ["ghostly", "not-a-team"]
    assert names("unknown-owner", kind="api") == []


def test_the_summary_counts_per_kind_and_owner(catalog):
    found = {check["check"]: check for check in coverage.summary()}
    assert list(found) == list(coverage.CHECKS)
    assert found["unknown-owner"]["total"] == 2
    assert found["unknown-owner"]["byKind"] == {"component": 2}
    assert {r["owner"]: r["count"] for r in found["unknown-owner"]["byOwner"]} == {
        "group:default/ghosts": 1,
        "component:default/billing": 1,
    }
    assert found["dangling"]["total"] == 3
    assert found["dangling"]["byKind"] == {"component": 3}
    assert found["dangling"]["byOwner"] == [
        {"owner": "group:default/team-a", "count": 3}
    ]


def test_the_dashboard_links_lists_and_exports(catalog, viewer_client):
    page = viewer_client.get("/compliance/").content.decode()
    assert "Owner not in the catalog" in page
    assert 'href="/compliance/coverage/unknown-owner?kind=component">2</a>' in page
    assert (
        'href="/compliance/coverage/dangling?owner=group%3Adefault/team-a">3</a>'
        in page
    )
    listed = viewer_client.get("/compliance/coverage/unknown-owner?kind=component")
    assert listed.status_code == 200
    assert "component:default/ghostly" in listed.content.decode()
    assert viewer_client.get("/compliance/coverage/nope").status_code == 404

    export = viewer_client.get("/compliance/coverage/dangling?format=csv")
    text = b"".join(export.streaming_content).decode().removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["source", "type", "target"]
    assert len(rows) == 4
    as_json = viewer_client.get("/compliance/coverage/orphaned?format=json").json()
    assert [i["entityRef"] for i in as_json["items"]] == ["component:default/personal"]
    summary = viewer_client.get("/compliance/?format=csv")
    lines = list(
        csv.reader(io.StringIO(b"".join(summary.streaming_content).decode()[1:]))
    )
    assert ["unknown-owner", "total", "", "2"] in lines
    assert ["unknown-owner", "kind", "component", "2"] in lines
    assert viewer_client.get("/compliance/?format=json").json()["checks"][0][
        "check"
    ] == ("no-owner")


def test_the_api(catalog, viewer_client):
    summary = viewer_client.get("/api/compliance/coverage").json()["checks"]
    assert {c["check"]: c["total"] for c in summary}["deprecated-in-use"] == 1
    one = viewer_client.get(
        "/api/compliance/coverage/unknown-owner", {"owner": "group:ghosts", "limit": 1}
    ).json()
    assert one["totalItems"] == 1
    assert one["items"] == [
        {
            "entityRef": "component:default/ghostly",
            "kind": "component",
            "owner": "group:default/ghosts",
            "lifecycle": "production",
        }
    ]
    assert viewer_client.get("/api/compliance/coverage/nope").status_code == 404


def test_crawls_leave_the_counts_ready(repos, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from catalog.tasks import crawl_location_task
    from compliance.tasks import warm_coverage_task

    cache.delete("coverage:warming")
    repo = repos.create("org", {"catalog-info.yaml": ORG})
    location, _ = register_location(repo.url)
    with django_capture_on_commit_callbacks(execute=True):
        crawl_location_task.delay(location.pk)  # eager: the after-crawl tasks too
    assert coverage.is_current()
    assert warm_coverage_task() is False  # nothing changed since: nothing to count
    repo.commit({"catalog-info.yaml": ORG + "---\n" + component("x", "group:ghosts")})
    with django_capture_on_commit_callbacks(execute=True):
        crawl_location_task.delay(location.pk)
    assert not coverage.is_current()  # the crawl's count was throttled
    assert warm_coverage_task() is True  # beat's tick catches up
    found = {c["check"]: c["total"] for c in coverage.summary()}
    assert found["unknown-owner"] == 1


def test_pages_show_the_newest_count_and_when_it_was_made(catalog, viewer_client):
    first = coverage.counted()
    assert first.current
    assert {c["check"]: c["total"] for c in first.checks}["unknown-owner"] == 2
    delete_entity(Entity.objects.get(name="ghostly"))  # its owner was missing
    page = viewer_client.get("/compliance/").content.decode()
    assert "the catalog has changed since" in page  # read at once, the old count
    assert viewer_client.get("/api/compliance/coverage").json()["current"] is True
    again = coverage.counted()  # the count the page asked for (eager here)
    assert again.current
    assert {c["check"]: c["total"] for c in again.checks}["unknown-owner"] == 1
    assert again.counted_at >= first.counted_at


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_count_behind_the_catalog_is_counted_by_the_worker(
    repos, settings, live_worker
):
    """Not eager, the page's request reaches the worker's warm-up task by name."""
    from django.core.cache import cache

    settings.GREENROOM_AFTER_CRAWL = []  # only the request below counts
    cache.delete("coverage:requested")
    repo = repos.create("org", {"catalog-info.yaml": ORG})
    register_location(repo.url)  # the worker crawls it
    wait_for(lambda: Entity.objects.filter(name="alice").exists())
    coverage.count_now()
    delete_entity(Entity.objects.get(name="alice"))
    assert not coverage.counted().current  # behind: a count is queued
    wait_for(coverage.is_current)
