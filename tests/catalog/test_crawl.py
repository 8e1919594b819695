"""Crawling real git repositories into the catalog: the happy path and its promises."""

from __future__ import annotations

import pytest

from catalog.ingest.mirrors import location_mirror_path
from catalog.ingest.sync import crawl_location
from catalog.locations import (
    register_location,
    register_many,
    unregister_location,
    validate_target,
)
from catalog.models import (
    CrawlRun,
    Entity,
    EntityRevision,
    Location,
    ProcessingError,
    Relation,
)
from catalog.serialize import served

pytestmark = pytest.mark.django_db

SERVICE = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
  description: The {name} service
  tags: [python]
spec:
  type: service
  lifecycle: production
  owner: {owner}
  system: shop
  providesApis: [{name}-api]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: {name}-api
spec:
  type: openapi
  lifecycle: production
  owner: {owner}
  definition:
    $text: ./openapi.yaml
"""
TEAMS = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-b}
spec: {type: team, children: []}
"""


def service(name: str = "billing", owner: str = "team-a") -> str:
    return SERVICE.format(name=name, owner=owner)


def location_for(repo, path: str = "catalog-info.yaml", branch: str = "") -> Location:
    location, _ = register_location(repo.url, branch=branch, path=path)
    return location


def refs() -> set[str]:
    """What the repositories' files declare (not the generated Location entities)."""
    authored = Entity.objects.exclude(name__startswith="generated-")
    return set(authored.values_list("ref", flat=True))


def test_crawl_ingests_entities_relations_and_provenance(repos):
    repo = repos.create(
        "billing",
        {
            "catalog-info.yaml": service(),
            "openapi.yaml": "openapi: 3.0.0\n",
            "teams.yaml": TEAMS,
        },
    )
    location = location_for(repo)
    run = crawl_location(location)

    assert run.status == CrawlRun.Status.SUCCEEDED
    # Two from the file, one generated for the registration (Backstage's).
    assert (run.added, run.changed, run.removed, run.errors) == (3, 0, 0, 0)
    assert refs() == {"component:default/billing", "api:default/billing-api"}
    component = Entity.objects.get(ref="component:default/billing")
    assert component.commit == repo.head()
    assert component.path == "catalog-info.yaml"
    assert component.owner_ref == "group:default/team-a"
    body = served(component)
    assert body["metadata"]["uid"] == str(component.uid)
    assert body["metadata"]["etag"] == component.etag
    assert body["metadata"]["namespace"] == "default"
    annotations = body["metadata"]["annotations"]
    # As Backstage: `url:` and the target exactly as registered (the repository).
    assert annotations["backstage.io/managed-by-location"] == f"url:{repo.url}"
    assert {"type": "ownedBy", "targetRef": "group:default/team-a"} in body["relations"]
    assert {"type": "providesApi", "targetRef": "api:default/billing-api"} in body[
        "relations"
    ]
    api = Entity.objects.get(ref="api:default/billing-api")
    assert served(api)["spec"]["definition"] == "openapi: 3.0.0\n"
    assert {
        "type": "apiProvidedBy",
        "targetRef": "component:default/billing",
    } in served(api)["relations"]
    # The reverse relation of an owner that is not in the catalog is kept as a row.
    assert Relation.objects.filter(
        source_ref="group:default/team-a",
        type="ownerOf",
        target_ref="component:default/billing",
    ).exists()
    assert EntityRevision.objects.filter(action="added").count() == 3
    location.refresh_from_db()
    assert location.status == Location.Status.OK
    assert location.last_commit == repo.head()
    assert location.resolved_branch == "main"


def test_unchanged_head_is_a_cheap_no_op(repos, django_assert_max_num_queries):
    repo = repos.create(
        "billing", {"catalog-info.yaml": service(), "openapi.yaml": "x: 1\n"}
    )
    location = location_for(repo)
    crawl_location(location)
    location.refresh_from_db()
    with django_assert_max_num_queries(8):
        assert crawl_location(location) is None
    assert CrawlRun.objects.count() == 1


def test_new_commit_with_same_descriptors_skips_database_work(repos):
    repo = repos.create(
        "billing", {"catalog-info.yaml": service(), "openapi.yaml": "x: 1\n"}
    )
    location = location_for(repo)
    crawl_location(location)
    etag = Entity.objects.get(ref="component:default/billing").etag
    repo.commit({"README.md": "# Billing\n"})
    run = crawl_location(Location.objects.get(pk=location.pk))
    assert run.status == CrawlRun.Status.UNCHANGED
    assert Entity.objects.get(ref="component:default/billing").etag == etag
    assert EntityRevision.objects.count() == 3
    assert Location.objects.get(pk=location.pk).last_commit == repo.head()


def test_change_updates_entity_relations_and_history(repos):
    repo = repos.create(
        "billing",
        {"catalog-info.yaml": service(), "openapi.yaml": "x: 1\n", "teams.yaml": TEAMS},
    )
    teams = location_for(repo, "teams.yaml")
    crawl_location(teams)
    location = location_for(repo)
    crawl_location(location)
    owned = {"type": "ownerOf", "targetRef": "component:default/billing"}
    team_a = Entity.objects.get(ref="group:default/team-a")
    assert owned in served(team_a)["relations"]
    old_etag = Entity.objects.get(ref="component:default/billing").etag
    etags = dict(Entity.objects.values_list("ref", "etag"))

    repo.commit({"catalog-info.yaml": service(owner="team-b")})
    run = crawl_location(Location.objects.get(pk=location.pk))

    assert (run.added, run.changed, run.removed) == (0, 2, 0)
    component = Entity.objects.get(ref="component:default/billing")
    assert component.owner_ref == "group:default/team-b"
    assert component.etag != old_etag
    # Both sides of the relation moved, and both groups' served JSON changed.
    team_a = Entity.objects.get(ref="group:default/team-a")
    team_b = Entity.objects.get(ref="group:default/team-b")
    assert owned not in served(team_a)["relations"]
    assert owned in served(team_b)["relations"]
    assert team_a.etag != etags[team_a.ref]
    assert team_b.etag != etags[team_b.ref]
    history = list(
        EntityRevision.objects.filter(ref="component:default/billing").values_list(
            "action", "owner_ref"
        )
    )
    assert history == [
        ("added", "group:default/team-a"),
        ("changed", "group:default/team-b"),
    ]


def test_forced_crawl_twice_leaves_the_same_state(repos):
    repo = repos.create(
        "billing", {"catalog-info.yaml": service(), "openapi.yaml": "x: 1\n"}
    )
    location = location_for(repo)
    crawl_location(location, force=True)
    before = list(Entity.objects.values_list("ref", "etag", "uid").order_by("ref"))
    run = crawl_location(Location.objects.get(pk=location.pk), force=True)
    assert (run.added, run.changed, run.removed, run.unchanged) == (0, 0, 0, 3)
    assert (
        list(Entity.objects.values_list("ref", "etag", "uid").order_by("ref")) == before
    )
    assert EntityRevision.objects.count() == 3
    assert Relation.objects.count() == 8


def test_push_removing_catalog_file_removes_entities_and_keeps_history(repos):
    repo = repos.create(
        "billing", {"catalog-info.yaml": service(), "openapi.yaml": "x: 1\n"}
    )
    location = location_for(repo)
    crawl_location(location)
    repo.commit({"catalog-info.yaml": None})
    run = crawl_location(Location.objects.get(pk=location.pk))
    assert run.removed == 2
    assert refs() == set()
    assert Relation.objects.count() == 0
    removed = EntityRevision.objects.filter(action="removed")
    assert set(removed.values_list("ref", flat=True)) == {
        "component:default/billing",
        "api:default/billing-api",
    }
    assert removed.get(ref="component:default/billing").commit == repo.head()
    error = ProcessingError.objects.get(location=location)
    assert "catalog-info.yaml not found" in error.message


def test_glob_path_finds_descriptors_in_subfolders(repos):
    repo = repos.create(
        "mono",
        {
            "services/a/catalog-info.yaml": service("svc-a"),
            "services/b/catalog-info.yaml": service("svc-b"),
            "services/a/openapi.yaml": "a: 1\n",
            "services/b/openapi.yaml": "b: 1\n",
            "catalog-info.yaml": service("root"),
        },
    )
    location = location_for(repo, "services/**/catalog-info.yaml")
    crawl_location(location)
    assert refs() == {
        "component:default/svc-a",
        "api:default/svc-a-api",
        "component:default/svc-b",
        "api:default/svc-b-api",
    }
    assert (
        served(Entity.objects.get(ref="api:default/svc-b-api"))["spec"]["definition"]
        == "b: 1\n"
    )


def test_location_entity_targets_are_followed(repos):
    root = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: root}
spec:
  targets: [./teams.yaml, ./svc/catalog-info.yaml]
"""
    repo = repos.create(
        "org",
        {
            "catalog-info.yaml": root,
            "teams.yaml": TEAMS,
            "svc/catalog-info.yaml": service("svc"),
            "svc/openapi.yaml": "s: 1\n",
        },
    )
    crawl_location(location_for(repo))
    assert refs() == {
        "location:default/root",
        "group:default/team-a",
        "group:default/team-b",
        "component:default/svc",
        "api:default/svc-api",
    }
    assert (
        Entity.objects.get(ref="component:default/svc").path == "svc/catalog-info.yaml"
    )


def test_location_target_in_another_repository_is_registered(repos, git_daemon):
    other = repos.create(
        "other", {"catalog-info.yaml": service("other"), "openapi.yaml": "o: 1\n"}
    )
    other_url = git_daemon.url(other)
    root = f"""\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {{name: root}}
spec:
  type: url
  targets: ["{other_url}"]
"""
    repo = repos.create("org", {"catalog-info.yaml": root})
    location = location_for_url(git_daemon.url(repo))
    crawl_location(location)
    child = Location.objects.get(parent=location)
    assert child.url == other_url
    crawl_location(child)
    assert "component:default/other" in refs()
    origin = served(Entity.objects.get(ref="component:default/other"))["metadata"][
        "annotations"
    ]
    # The registration that led here, exactly as registered.
    assert origin["backstage.io/managed-by-origin-location"] == (
        f"url:{git_daemon.url(repo)}"
    )

    # The parent stops naming it: the child location and its entities go, with history.
    repo.commit({"catalog-info.yaml": root.replace(f'"{other_url}"', "")})
    crawl_location(Location.objects.get(pk=location.pk))
    assert not Location.objects.filter(pk=child.pk).exists()
    assert "component:default/other" not in refs()
    assert EntityRevision.objects.filter(
        ref="component:default/other", action="removed"
    ).exists()


def test_unregister_removes_what_the_location_produced(
    repos, django_capture_on_commit_callbacks
):
    repo = repos.create(
        "billing", {"catalog-info.yaml": service(), "openapi.yaml": "x: 1\n"}
    )
    location = location_for(repo)
    crawl_location(location)
    assert location_mirror_path(location).is_dir()
    with django_capture_on_commit_callbacks(execute=True):
        unregister_location(Location.objects.get(pk=location.pk))
    assert not location_mirror_path(location).exists()
    assert not Entity.objects.exists()
    assert not Location.objects.exists()
    assert EntityRevision.objects.filter(action="removed").count() == 3
    assert (
        EntityRevision.objects.filter(action="removed").first().repository == repo.url
    )


def test_crawl_over_git_daemon(repos, git_daemon):
    repo = repos.create(
        "served/billing", {"catalog-info.yaml": service(), "openapi.yaml": "x: 1\n"}
    )
    location = location_for_url(git_daemon.url(repo))
    run = crawl_location(location)
    assert run.status == CrawlRun.Status.SUCCEEDED
    assert "component:default/billing" in refs()
    repo.commit({"catalog-info.yaml": service(owner="team-z")})
    crawl_location(Location.objects.get(pk=location.pk))
    assert (
        Entity.objects.get(ref="component:default/billing").owner_ref
        == "group:default/team-z"
    )


def location_for_url(url: str) -> Location:
    location, _ = register_location(url)
    return location


def test_queries_per_crawl_do_not_grow_with_entities(repos):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (3, 60):
        docs = "---\n".join(service(f"svc-{size}-{i}") for i in range(size))
        repo = repos.create(
            f"repo-{size}", {"catalog-info.yaml": docs, "openapi.yaml": "x: 1\n"}
        )
        location = location_for(repo)
        with CaptureQueriesContext(connection) as queries:
            crawl_location(location)
        counts.append(len(queries))
        assert Entity.objects.filter(location=location).count() == 2 * size + 1
    assert counts[0] == counts[1]


def test_empty_repository_is_a_clear_error(repos):
    repo = repos.create("empty")
    location = location_for(repo)
    run = crawl_location(location)
    assert run.status == CrawlRun.Status.FAILED
    assert "empty" in run.error
    assert crawl_location(Location.objects.get(pk=location.pk)).status == "failed"


def test_dangling_relations_can_be_listed(repos):
    repo = repos.create(
        "billing",
        {"catalog-info.yaml": service(), "openapi.yaml": "x: 1\n", "teams.yaml": TEAMS},
    )
    crawl_location(location_for(repo, "teams.yaml"))
    crawl_location(location_for(repo))
    dangling = set(
        Relation.objects.dangling().values_list("source_ref", "type", "target_ref")
    )
    # team-a exists; the system does not. Reverse rows are not "declared".
    assert dangling == {("component:default/billing", "partOf", "system:default/shop")}


def test_thousands_of_repositories_register_in_one_call(
    repos, django_assert_max_num_queries
):
    repo = repos.create("one", {"catalog-info.yaml": service()})
    targets = [
        validate_target(repo.url, path=f"services/{i}/catalog-info.yaml")
        for i in range(3000)
    ]
    with django_assert_max_num_queries(12):
        created = register_many(targets)
    assert len(created) == Location.objects.count() == 3000
    assert register_many(targets) == []  # idempotent
