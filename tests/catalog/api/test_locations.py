"""Locations through the API: list, get, by entity, register (and dry run), delete."""

from __future__ import annotations

import subprocess

from django.test import Client

from catalog.ingest.mirrors import location_mirror_path
from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import Entity, EntityRevision, Location
from core.tokens import issue_token
from tests.support.descriptors import ORG

URL = "/api/catalog/locations"


def post(client, body, query="", url=URL, **extra):
    return client.post(f"{url}{query}", body, content_type="application/json", **extra)


def test_list_get_and_by_entity(viewer_client, org):
    listed = viewer_client.get(URL).json()
    assert listed == [
        {
            "data": {
                "id": str(org.uid),
                "type": "url",
                "target": org.url,
                "entityRef": listed[0]["data"]["entityRef"],
            }
        }
    ]
    assert listed[0]["data"]["entityRef"].startswith("location:default/generated-")
    assert viewer_client.get(f"{URL}/{org.uid}").json() == listed[0]["data"]
    by_entity = viewer_client.get(f"{URL}/by-entity/component/default/billing").json()
    assert by_entity["id"] == str(org.uid)
    assert viewer_client.get(f"{URL}/{'0' * 32}").status_code == 404
    assert viewer_client.get(f"{URL}/nope").status_code == 404


def test_register_crawls_in_celery_and_conflicts_the_second_time(
    editor_client, repos, git_daemon, django_capture_on_commit_callbacks
):
    url = git_daemon.url(repos.create("org", {"catalog-info.yaml": ORG}))
    with django_capture_on_commit_callbacks(execute=True):
        response = post(editor_client, {"type": "url", "target": url})
    assert response.status_code == 201
    body = response.json()
    assert body["entities"] == []
    assert body["location"]["target"] == url
    assert Entity.objects.filter(ref="component:default/billing").exists()
    again = post(editor_client, {"type": "url", "target": url})
    assert again.status_code == 409
    assert again.json()["error"]["name"] == "ConflictError"


def test_dry_run_returns_entities_and_stores_nothing(editor_client, repos, git_daemon):
    url = git_daemon.url(repos.create("org", {"catalog-info.yaml": ORG}))
    response = post(editor_client, {"type": "url", "target": url}, "?dryRun=true")
    assert response.status_code == 201
    body = response.json()
    assert body["exists"] is False
    assert body["location"] == {"id": f"url:{url}", "type": "url", "target": url}
    assert len(body["entities"]) == 10
    # As in Backstage: the Location entity the registration would generate, too.
    generated = body["entities"][0]
    assert generated["kind"] == "Location"
    assert generated["spec"] == {"type": "url", "target": url}
    assert not Location.objects.exists()
    broken = git_daemon.url(
        repos.create("bad", {"catalog-info.yaml": "kind: Component\n"})
    )
    refused = post(editor_client, {"type": "url", "target": broken}, "?dryRun=true")
    assert refused.status_code == 400


def test_bad_registrations_are_400_and_store_nothing(editor_client, db, settings):
    settings.GREENROOM_ALLOW_LOCAL_REPOS = False
    for body in (
        {"type": "file", "target": "https://github.com/a/b"},
        {"type": "url"},
        {"type": "url", "target": "https://github.com/a/b", "extra": 1},
        {"type": "url", "target": "https://user:secret@github.com/a/b"},
        {"type": "url", "target": "file:///etc"},
    ):
        response = post(editor_client, body)
        assert response.status_code == 400, body
        assert "secret" not in response.json()["error"]["message"]
    assert not Location.objects.exists()


def test_delete_unregisters_with_history(editor_client, org):
    response = editor_client.delete(f"{URL}/{org.uid}")
    assert response.status_code == 204
    assert not Location.objects.exists()
    assert EntityRevision.objects.filter(action="removed").count() == 10
    assert editor_client.delete(f"{URL}/{org.uid}").status_code == 404


def test_writes_need_an_editor_and_a_write_token(client, viewer, editor, org):
    _, read = issue_token(editor, "read")
    _, write = issue_token(editor, "write", write=True)
    # A viewer's write token: refused here, where the viewer's teams own nothing
    # (tests/portal/api/test_ownership.py: where they do).
    _, viewer_write = issue_token(viewer, "sneaky", write=True)
    target = f"{URL}/{org.uid}"
    for token in (read, viewer_write):
        response = client.delete(target, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403
        assert response.json()["error"]["name"] == "NotAllowedError"
    assert Location.objects.exists()
    done = client.delete(target, headers={"Authorization": f"Bearer {write}"})
    assert done.status_code == 204


def test_a_host_file_url_registers_its_repository_branch_and_path(
    editor_client, db, settings
):
    settings.GREENROOM_ALLOWED_GIT_HOSTS = ["github.com"]
    target = "https://github.com/acme/billing/blob/release/services/catalog-info.yaml"
    response = post(editor_client, {"type": "url", "target": target})
    assert response.status_code == 201, response.content
    location = Location.objects.get()
    assert (location.url, location.branch, location.path) == (
        "https://github.com/acme/billing",
        "release",
        "services/catalog-info.yaml",
    )
    assert response.json()["location"]["target"] == target


def test_refresh_crawls_the_entitys_location_again(
    editor_client, viewer, repos, django_capture_on_commit_callbacks
):
    viewer_client = Client()  # editor_client is the `client` fixture, signed in
    viewer_client.force_login(viewer)
    repo = repos.create("org", {"catalog-info.yaml": ORG})
    crawl_repo_at(repo)
    repo.commit({"catalog-info.yaml": ORG.replace("ledger", "journal")}, "rename")
    refresh = "/api/catalog/refresh"
    body = {"entityRef": "Component:default/billing"}
    assert post(viewer_client, body, url=refresh).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = post(editor_client, body, url=refresh)
    assert response.status_code == 200
    assert Entity.objects.filter(name="journal").exists()
    missing = post(editor_client, {"entityRef": "component:default/nope"}, url=refresh)
    assert missing.status_code == 404
    message = missing.json()["error"]["message"]
    assert message == "Failed to schedule component:default/nope for refresh"


def crawl_repo_at(repo) -> None:
    location, _ = register_location(repo.url)
    crawl_location(location)


def test_validate_entity_reports_what_a_crawl_would_refuse(viewer_client, db):
    url = "/api/catalog/validate-entity"
    good = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "billing"},
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"},
    }
    where = "url:https://github.com/acme/billing/blob/main/catalog-info.yaml"
    ok = post(viewer_client, {"location": where, "entity": good}, url=url)
    assert ok.status_code == 200
    bad_ref = {**good, "spec": {**good["spec"], "dependsOn": ["component:"]}}
    for entity in ({**good, "metadata": {"name": "-x"}}, bad_ref):
        refused = post(viewer_client, {"location": where, "entity": entity}, url=url)
        assert refused.status_code == 400
        errors = refused.json()["errors"]
        assert errors
        assert errors[0]["name"] == "InputError"
    assert (
        "metadata.name"
        in post(
            viewer_client,
            {"location": where, "entity": {**good, "metadata": {"name": "-x"}}},
            url=url,
        ).json()["errors"][0]["message"]
    )
    no_location = post(viewer_client, {"location": "file:/x", "entity": good}, url=url)
    assert no_location.status_code == 400
    assert no_location.json()["error"]["name"] == "InputError"
    assert not Entity.objects.exists()


def test_put_points_a_location_elsewhere_and_crawls_it_afresh(
    editor_client, repos, git_daemon, django_capture_on_commit_callbacks
):
    first = git_daemon.url(repos.create("org", {"catalog-info.yaml": ORG}))
    other = git_daemon.url(
        repos.create("other", {"catalog-info.yaml": ORG.replace("ledger", "journal")})
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = post(editor_client, {"type": "url", "target": first}).json()
    uid = created["location"]["id"]
    location = Location.objects.get()
    mirror, old_head = location_mirror_path(location), location.last_commit

    def in_mirror(commit: str) -> bool:
        check = ["git", "--git-dir", str(mirror), "cat-file", "-e", commit]
        return subprocess.run(check, capture_output=True).returncode == 0

    assert in_mirror(old_head)
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.put(
            f"{URL}/{uid}",
            {"type": "url", "target": other},
            content_type="application/json",
        )
    assert response.status_code == 200
    assert response.json()["target"] == other
    location.refresh_from_db()
    assert location.url == other
    assert not in_mirror(old_head)  # the old repository's mirror was dropped
    assert Entity.objects.filter(name="journal").exists()
    assert not Entity.objects.filter(name="ledger").exists()
    assert EntityRevision.objects.filter(
        ref="component:default/ledger", action="removed"
    ).exists()
    third = git_daemon.url(repos.create("third", {"catalog-info.yaml": ORG}))
    with django_capture_on_commit_callbacks(execute=True):
        post(editor_client, {"type": "url", "target": third})
    clash = editor_client.put(
        f"{URL}/{uid}",
        {"type": "url", "target": third},
        content_type="application/json",
    )
    assert clash.status_code == 409
    bad = editor_client.put(
        f"{URL}/{uid}", {"type": "url"}, content_type="application/json"
    )
    assert bad.status_code == 400


def test_query_locations_pages_with_a_predicate(viewer_client, repos, db):
    for name in ("alpha", "beta", "gamma"):
        register_location(repos.create(name).url)
    register_location(repos.create("other").url, "main", "services/catalog.yaml")
    by_query = f"{URL}/by-query"
    first = post(viewer_client, {"limit": 2}, url=by_query).json()
    assert first["totalItems"] == 4
    assert [i["target"].rsplit("/", 1)[-1] for i in first["items"]] == ["alpha", "beta"]
    assert set(first["items"][0]) == {"id", "type", "target", "entityRef"}
    cursor = first["pageInfo"]["nextCursor"]
    Location.objects.filter(url__endswith="/alpha").delete()  # paging does not shift
    second = post(viewer_client, {"cursor": cursor}, url=by_query).json()
    assert [i["target"].rsplit("/", 1)[-1] for i in second["items"]] == [
        "gamma",
        "catalog.yaml",
    ]
    assert second["totalItems"] == 4  # carried by the cursor
    assert second["pageInfo"] == {}
    prefix = f"file://{repos.base}/OTHER"  # matching ignores case
    chosen = post(
        viewer_client,
        {"query": {"$any": [{"target": {"$hasPrefix": prefix}}, {"type": "nope"}]}},
        url=by_query,
    ).json()
    assert [i["target"] for i in chosen["items"]] == [
        f"file://{repos.base}/other/blob/main/services/catalog.yaml"
    ]
    for bad in (
        {"query": {"owner": "x"}},
        {"query": {"target": {"$regex": "."}}},
        {"query": {"$not": [1]}},
        {"limit": 0},
        {"limit": "ten"},
        {"cursor": "not-a-cursor"},
        [],
    ):
        response = post(viewer_client, bad, url=by_query)
        assert response.status_code == 400, bad
        assert response.json()["error"]["name"] == "InputError"


def test_analyze_location_finds_descriptors_or_proposes_one(
    editor_client, viewer, repos, git_daemon
):
    url = git_daemon.url(repos.create("org", {"catalog-info.yaml": ORG}))
    body = {"location": {"type": "url", "target": url}}
    analyze = "/api/catalog/analyze-location"
    found = post(editor_client, body, url=analyze).json()
    assert found["generateEntities"] == []
    files = found["existingEntityFiles"]
    assert len(files) == 9  # the declared ones, not the generated Location
    billing = next(f for f in files if f["entity"]["metadata"]["name"] == "billing")
    assert billing["location"]["type"] == "url"
    assert billing["location"]["target"] == url  # what to register to read it
    assert billing["isRegistered"] is False
    bare = git_daemon.url(repos.create("my-service", {"README.md": "# hi\n"}))
    proposed = post(
        editor_client, {"location": {"type": "url", "target": bare}}, url=analyze
    ).json()
    assert proposed["existingEntityFiles"] == []
    assert proposed["generateEntities"][0]["entity"] == {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "my-service"},
        "spec": {"type": "other", "lifecycle": "unknown"},
    }
    assert not Location.objects.exists()
    reader = Client()
    reader.force_login(viewer)
    assert post(reader, body, url=analyze).status_code == 403  # it clones: editors
    broken = git_daemon.url(repos.create("bad", {"catalog-info.yaml": "kind: x\n"}))
    for bad in (
        {"location": {"type": "url", "target": broken}},  # no skeleton over it
        {"location": {"type": "file", "target": url}},
        {"location": "x"},
        {"location": {"type": "url", "target": "https://user:pw@github.com/a/b"}},
    ):
        response = post(editor_client, bad, url=analyze)
        assert response.status_code == 400, bad
