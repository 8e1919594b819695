"""A provider's people and teams through the crawl's apply path: entities like
any other, a provider location that is never crawled or listed, leavers removed
with a reason, bad entries refused one by one."""

from __future__ import annotations

import pytest

from catalog.ingest.provided import apply_provided, provider_location
from catalog.ingest.schedule import refresh_due
from catalog.models import Entity, EntityRevision, Location, ProcessingError, Relation
from people.directory import Directory, Person, Team, documents
from tests.support.catalog import crawl_repo

pytestmark = pytest.mark.django_db

TARGET = "ldap://ldap.example.com"


def directory(*people: str, teams: list[Team] | None = None) -> Directory:
    return Directory(
        people=[
            Person(name, display_name=name.title(), email=f"{name}@example.com")
            for name in people
        ],
        teams=teams
        if teams is not None
        else [
            Team("engineering", display_name="Engineering", type="department"),
            Team("platform", parent="engineering", members=list(people)),
        ],
    )


def apply(location: Location, found: Directory, reason: str = "left"):
    return apply_provided(
        location, documents(found), version=found.fingerprint(), removal_reason=reason
    )


def test_people_and_teams_become_entities_with_relations_and_provenance():
    location = provider_location("ldap", TARGET)
    stats = apply(location, directory("alice", "bob"))
    assert (stats.added, stats.errors) == (4, 0)
    alice = Entity.objects.get(ref="user:default/alice")
    annotations = alice.processed["metadata"]["annotations"]
    assert annotations["backstage.io/managed-by-location"] == f"ldap:{TARGET}"
    assert annotations["backstage.io/managed-by-origin-location"] == f"ldap:{TARGET}"
    assert alice.processed["spec"]["profile"]["email"] == "alice@example.com"
    assert alice.parent_ref == ""
    triples = set(Relation.objects.values_list("source_ref", "type", "target_ref"))
    assert ("group:default/platform", "hasMember", "user:default/alice") in triples
    assert ("user:default/bob", "memberOf", "group:default/platform") in triples
    assert (
        "group:default/engineering",
        "parentOf",
        "group:default/platform",
    ) in triples
    assert ("group:default/platform", "childOf", "group:default/engineering") in triples


def test_the_provider_location_is_never_crawled_listed_or_unregistered(viewer_client):
    location = provider_location("ldap", TARGET)
    apply(location, directory("alice"))
    assert not Location.objects.filter(pk=location.pk).exists()
    assert Location.every.filter(pk=location.pk).exists()
    Location.every.filter(pk=location.pk).update(next_crawl_at="2000-01-01T00:00Z")
    assert refresh_due() == 0
    assert viewer_client.get("/api/catalog/locations").json() == []
    assert (
        viewer_client.get(f"/api/catalog/locations/{location.uid}").status_code == 404
    )
    by_entity = viewer_client.get("/api/catalog/locations/by-entity/user/default/alice")
    assert by_entity.status_code == 404
    body = viewer_client.get("/api/catalog/entities/by-name/user/default/alice").json()
    assert body["spec"]["memberOf"] == ["platform"]
    page = viewer_client.get("/catalog/default/user/alice")
    assert page.status_code == 200
    assert f"ldap:{TARGET}" in page.content.decode()


def test_a_leaver_is_removed_with_a_history_entry_saying_why():
    location = provider_location("ldap", TARGET)
    apply(location, directory("alice", "bob"))
    stats = apply(location, directory("alice"), reason="no longer in the directory")
    assert (stats.removed, stats.changed) == (1, 1)  # bob; the team lost a member
    assert not Entity.objects.filter(ref="user:default/bob").exists()
    removal = EntityRevision.objects.get(
        ref="user:default/bob", action=EntityRevision.Action.REMOVED
    )
    assert removal.reason == "no longer in the directory"
    assert removal.location_id == location.pk
    unchanged = apply(location, directory("alice"))
    assert (unchanged.added, unchanged.changed, unchanged.removed) == (0, 0, 0)


def test_an_invalid_entry_is_an_error_and_the_rest_applies():
    location = provider_location("ldap", TARGET)
    found = directory("alice", "not a name", "x" * 64)
    stats = apply(location, found)
    assert stats.errors == 2
    assert set(Entity.objects.values_list("ref", flat=True)) == {
        "user:default/alice",
        "group:default/engineering",
        "group:default/platform",
    }
    messages = list(ProcessingError.objects.filter(location=location))
    assert len(messages) == 2
    assert all(m.message.startswith(f"ldap:{TARGET}, document") for m in messages)


def test_a_provider_gives_only_groups_and_users():
    location = provider_location("scim", "okta")
    component = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "sneaky"},
        "spec": {"type": "service", "owner": "x", "lifecycle": "production"},
    }
    stats = apply_provided(location, [component], version="v1", removal_reason="left")
    assert stats.errors == 1
    assert not Entity.objects.filter(name="sneaky").exists()


def test_a_ref_a_repository_already_gives_is_a_conflict_on_the_provider(repos):
    user = (
        "apiVersion: backstage.io/v1alpha1\nkind: User\n"
        "metadata: {name: alice}\nspec: {memberOf: []}\n"
    )
    repository = crawl_repo(repos, "people", {"catalog-info.yaml": user})
    Location.objects.filter(pk=repository.pk).update(allow_org_kinds=True)
    from tests.support.catalog import crawl

    crawl(repository)
    assert Entity.objects.get(ref="user:default/alice").location_id == repository.pk
    location = provider_location("ldap", TARGET)
    stats = apply(location, directory("alice", "bob"))
    assert stats.errors == 1
    error = ProcessingError.objects.get(location=location, level="error")
    assert "user:default/alice is already defined by location" in error.message
    assert Entity.objects.get(ref="user:default/bob").location_id == location.pk
