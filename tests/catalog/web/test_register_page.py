"""Register a repository over a real git transport: dry run, confirm, crawl."""

from __future__ import annotations

from catalog.models import Entity, EntityRevision, Location
from tests.support.descriptors import ORG

BROKEN = (
    ORG
    + "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\n"
)


def test_dry_run_lists_entities_and_errors_and_stores_nothing(
    editor_client, repos, git_daemon
):
    repo = repos.create("org", {"catalog-info.yaml": BROKEN})
    response = editor_client.post(
        "/catalog-import", {"url": git_daemon.url(repo), "action": "preview"}
    )
    assert response.status_code == 200
    refs = [row["parsed"].ref for row in response.context["entities"]]
    assert "component:default/billing" in refs
    assert len(refs) == 10  # 9 declared + the registration's Location entity
    body = response.content.decode()
    assert "1 problem" in body
    assert "spec is required" in body
    assert 'value="register"' in body
    assert not Location.objects.exists()
    assert not Entity.objects.exists()


def test_confirming_registers_and_crawls(
    editor_client, repos, git_daemon, django_capture_on_commit_callbacks
):
    repo = repos.create("org", {"catalog-info.yaml": ORG})
    data = {"url": git_daemon.url(repo), "path": "", "action": "register"}
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post("/catalog-import", data)
    location = Location.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/locations/{location.pk}"
    page = editor_client.get(response["Location"]).content.decode()
    assert "Registered: the first crawl has started." in page
    assert "10 entities" in page
    assert 'href="/catalog/default/component/billing"' in page
    again = editor_client.post("/catalog-import", data)
    assert Location.objects.count() == 1
    assert "already registered" in editor_client.get(again["Location"]).content.decode()


def test_a_pending_location_page_refreshes_itself(editor_client, repos, git_daemon):
    repo = repos.create("org", {"catalog-info.yaml": ORG})
    editor_client.post(
        "/catalog-import", {"url": git_daemon.url(repo), "action": "register"}
    )  # the crawl waits for the commit, which this test never makes
    location = Location.objects.get()
    page = editor_client.get(f"/locations/{location.pk}").content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Crawling…" in page


def test_refused_and_unreadable_targets_get_clear_errors(
    editor_client, repos, git_daemon
):
    refused = editor_client.post(
        "/catalog-import", {"url": "https://user:secret@evil.example/x.git"}
    )
    assert refused.status_code == 400
    errors = str(refused.context["form"].errors)
    assert "credentials" in errors or "not allowed" in errors
    assert "secret" not in errors
    missing = editor_client.post(
        "/catalog-import",
        {"url": git_daemon.url(repos.create("empty")), "action": "preview"},
    )
    assert missing.status_code == 200
    assert "could not be read" in missing.content.decode()
    bad_path = editor_client.post(
        "/catalog-import", {"url": "https://github.com/a/b", "path": "../etc/passwd"}
    )
    assert bad_path.status_code == 400
    assert not Location.objects.exists()


def test_refresh_and_unregister(
    editor_client, repos, git_daemon, django_capture_on_commit_callbacks
):
    repo = repos.create("org", {"catalog-info.yaml": ORG})
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(
            "/catalog-import", {"url": git_daemon.url(repo), "action": "register"}
        )
    location = Location.objects.get()
    repo.commit({"catalog-info.yaml": ORG.replace("ledger", "journal")}, "rename")
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(f"/locations/{location.pk}/refresh")
    assert response.status_code == 302
    assert Entity.objects.filter(name="journal").exists()
    confirm = editor_client.get(f"/locations/{location.pk}/unregister")
    assert "10 entities" in confirm.content.decode()
    response = editor_client.post(f"/locations/{location.pk}/unregister")
    assert response["Location"] == "/locations"
    assert not Location.objects.exists()
    assert not Entity.objects.exists()
    removed = EntityRevision.objects.filter(action="removed")
    assert removed.count() == 11  # ledger when renamed, then all nine + generated
    history = editor_client.get("/catalog/default/component/billing/history")
    assert history.status_code == 404  # gone from the catalog; its history is kept


def test_dry_run_leaves_owner_blank_for_owner_less_kinds(
    editor_client, repos, git_daemon
):
    repo = repos.create("org", {"catalog-info.yaml": ORG})
    body = editor_client.post(
        "/catalog-import", {"url": git_daemon.url(repo), "action": "preview"}
    ).content.decode()
    platform_row = body.split("group:default/platform</small></td>", 1)[1]
    owner_cell = platform_row.split("<td>", 3)[2]
    assert owner_cell.startswith("</td>")
