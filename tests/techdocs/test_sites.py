"""Docs kept current by crawls: built when their files change, and only then."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import Location
from catalog.tasks import crawl_location_task
from techdocs.models import DocsBuild, DocsSite
from techdocs.sites import (
    STALE_AFTER,
    Busy,
    _build,
    claim,
    docs_changed,
    run_build,
    storage,
)
from techdocs.tasks import build_docs_task
from tests.support.docs import COMPONENT, FILES
from tests.support.worker import wait_for

pytestmark = pytest.mark.django_db


def crawl(location: Location) -> Location:
    crawl_location(Location.objects.get(pk=location.pk))
    return Location.objects.get(pk=location.pk)


def test_a_changed_docs_folder_builds_and_an_unchanged_one_does_not(
    repos, django_capture_on_commit_callbacks
):
    repo = repos.create("billing", FILES)
    location = crawl(register_location(repo.url)[0])
    [build] = docs_changed(location)
    assert run_build(build).status == DocsBuild.Status.SUCCEEDED, build.error
    site = DocsSite.objects.get(entity_ref="component:default/billing")
    assert site.current_id == build.pk
    assert (site.key, site.folder) == ("default/component/billing", "")
    store = storage()
    assert "Invoices" in store.open(f"{build.prefix}/index.html").read().decode()
    assert store.exists(f"{build.prefix}/guide/index.html")
    assert store.open(f"{build.prefix}/img/logo.png").read() == b"\x89PNG fake"
    metadata = json.loads(store.open(f"{build.prefix}/techdocs_metadata.json").read())
    assert metadata["site_name"] == "Billing docs"
    assert metadata["etag"] == repo.head()
    assert "guide/index.html" in metadata["files"]
    nav = json.loads(store.open(f"{build.prefix}/techdocs_nav.json").read())
    assert [p["title"] for p in nav["pages"]] == ["Billing", "Guide"]

    repo.commit({"README.md": "outside the docs\n"})
    assert docs_changed(crawl(location)) == []  # same docs folder: nothing to do

    repo.commit({"docs/guide.md": "# Guide\n\n## Setup\n\nNew steps.\n"})
    [second] = docs_changed(crawl(location))
    with django_capture_on_commit_callbacks(execute=True):
        run_build(second)
    site.refresh_from_db()
    assert site.current_id == second.pk
    assert (
        "New steps" in store.open(f"{second.prefix}/guide/index.html").read().decode()
    )
    assert not store.exists(f"{build.prefix}/index.html")  # the old site is gone
    assert DocsBuild.objects.count() == 2


def test_a_failed_build_keeps_the_last_good_site(repos):
    repo = repos.create("billing", FILES)
    location = crawl(register_location(repo.url)[0])
    [good] = docs_changed(location)
    run_build(good)
    repo.commit({"mkdocs.yml": "docs_dir: /etc\n"})
    [bad] = docs_changed(crawl(location))
    bad = run_build(bad)
    assert bad.status == DocsBuild.Status.FAILED
    assert "leaves the documentation folder" in bad.error
    assert DocsSite.objects.get().current_id == good.pk
    assert storage().exists(f"{good.prefix}/index.html")


def test_crawls_queue_and_run_builds_through_celery(
    repos, django_capture_on_commit_callbacks
):
    repo = repos.create("billing", FILES)
    location, _ = register_location(repo.url)
    with django_capture_on_commit_callbacks(execute=True):
        crawl_location_task.delay(location.pk)  # eager here: the tasks chain
    build = DocsBuild.objects.get()
    assert build.status == DocsBuild.Status.SUCCEEDED, build.error
    assert build.pages == 2
    assert "built 2 pages" in build.log
    assert DocsSite.objects.get().current_id == build.pk


def test_pages_are_served_in_the_portal(repos, viewer_client):
    repo = repos.create("billing", FILES)
    location = crawl(register_location(repo.url)[0])
    [build] = docs_changed(location)
    run_build(build)
    base = "/docs/default/component/billing/"
    home = viewer_client.get(base)
    assert home.status_code == 200
    body = home.content.decode()
    assert "Invoices" in body
    assert f'href="{base}guide/">Guide</a>' in body  # the site's navigation
    assert f'Built from commit <span class="mono">{repo.head()[:12]}' in body
    guide = viewer_client.get(f"{base}guide/").content.decode()
    assert 'href="#setup"' in guide  # its contents
    assert viewer_client.get(f"{base}guide").status_code == 302  # to guide/
    logo = viewer_client.get(f"{base}img/logo.png")
    assert logo["Content-Type"] == "image/png"
    assert "sandbox" in logo["Content-Security-Policy"]
    assert logo.content == b"\x89PNG fake"
    assert viewer_client.get(f"{base}techdocs_metadata.json").json()["etag"] == (
        repo.head()
    )
    for missing in ("nope/", "../../etc/passwd", "guide/index.html", "x.png"):
        assert viewer_client.get(base + missing).status_code == 404, missing
    assert viewer_client.get("/docs/default/component/nope/").status_code == 404
    assert Client().get(base).status_code == 302  # sign-in first


def test_a_site_without_a_good_build_says_why(repos, viewer_client):
    repo = repos.create("billing", {**FILES, "mkdocs.yml": "docs_dir: /etc\n"})
    location = crawl(register_location(repo.url)[0])
    [build] = docs_changed(location)
    run_build(build)
    page = viewer_client.get("/docs/default/component/billing/")
    assert page.status_code == 200
    assert "leaves the documentation folder" in page.content.decode()


def test_the_entity_page_has_a_docs_tab_with_the_builds(repos, viewer_client):
    repo = repos.create("billing", FILES)
    location = crawl(register_location(repo.url)[0])
    [build] = docs_changed(location)
    run_build(build)
    entity = viewer_client.get("/catalog/default/component/billing").content.decode()
    assert 'href="/catalog/default/component/billing/docs"' in entity
    tab = viewer_client.get("/catalog/default/component/billing/docs")
    body = tab.content.decode()
    assert tab.status_code == 200
    assert f"{build.pk} (served)" in body
    assert "built 2 pages" in body
    assert 'href="/docs/default/component/billing/"' in body
    other = repos.create("plain", {"catalog-info.yaml": COMPONENT.replace(
        '  annotations: {backstage.io/techdocs-ref: "dir:."}\n', ""
    ).replace("billing", "ledger")})  # fmt: skip
    crawl(register_location(other.url)[0])
    ledger = viewer_client.get("/catalog/default/component/ledger").content.decode()
    assert 'href="/catalog/default/component/ledger/docs"' not in ledger


def test_the_docs_index_lists_every_documented_entity(repos, viewer_client):
    from tests.support.queries import count_queries

    assert (
        "No entity has documentation yet"
        in viewer_client.get("/docs/").content.decode()
    )
    for name in ("billing", "ledger"):
        files = {**FILES, "catalog-info.yaml": COMPONENT.replace("billing", name)}
        location = crawl(register_location(repos.create(name, files).url)[0])
        [build] = docs_changed(location)
        run_build(build)
    index = viewer_client.get("/docs/").content.decode()
    assert 'href="/docs/default/component/billing/"' in index
    assert 'href="/docs/default/component/ledger/"' in index
    assert 'href="/docs/"' in index  # in the header of every page
    queries = count_queries(viewer_client, "/docs/")
    location = crawl(register_location(repos.create("third", {
        **FILES, "catalog-info.yaml": COMPONENT.replace("billing", "third")
    }).url)[0])  # fmt: skip
    run_build(docs_changed(location)[0])
    assert count_queries(viewer_client, "/docs/") == queries


def two_queued_builds(repos) -> tuple[DocsBuild, DocsBuild]:
    repo = repos.create("billing", FILES)
    location = crawl(register_location(repo.url)[0])
    [older] = docs_changed(location)
    repo.commit({"docs/guide.md": "# Guide\n\nNewer.\n"})
    [newer] = docs_changed(crawl(location))
    return older, newer


def test_a_newer_commit_supersedes_a_queued_build(repos):
    older, newer = two_queued_builds(repos)
    older = run_build(older)
    assert older.status == DocsBuild.Status.SUPERSEDED
    assert older.started_at is None  # nothing was built for it
    assert run_build(newer).status == DocsBuild.Status.SUCCEEDED
    assert DocsSite.objects.get().current_id == newer.pk
    assert run_build(newer).status == DocsBuild.Status.SUCCEEDED  # twice: no-op


def test_one_build_per_site_at_a_time(repos):
    older, newer = two_queued_builds(repos)
    DocsBuild.objects.filter(pk=newer.pk).update(created_at=older.created_at)
    assert claim(older.pk).status == DocsBuild.Status.RUNNING
    with pytest.raises(Busy):
        run_build(newer)
    assert DocsBuild.objects.get(pk=newer.pk).status == DocsBuild.Status.QUEUED
    # A build "running" for longer than any worker may lost its worker.
    DocsBuild.objects.filter(pk=older.pk).update(
        started_at=timezone.now() - timedelta(seconds=STALE_AFTER + 1)
    )
    assert run_build(newer).status == DocsBuild.Status.SUCCEEDED
    older.refresh_from_db()
    assert (older.status, older.error) == (
        DocsBuild.Status.FAILED,
        "the worker building it stopped",
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_waits_for_the_running_build_of_the_site(repos, live_worker):
    older, newer = two_queued_builds(repos)
    DocsBuild.objects.filter(pk=newer.pk).update(created_at=older.created_at)
    running = claim(older.pk)  # held here, as another worker would
    build_docs_task.delay(newer.pk)
    time.sleep(2)  # the worker has tried, and waits
    assert DocsBuild.objects.get(pk=newer.pk).status == DocsBuild.Status.QUEUED
    _build(running)
    wait_for(
        lambda: DocsBuild.objects.get(pk=newer.pk).status == DocsBuild.Status.SUCCEEDED
    )
    first, second = (
        DocsBuild.objects.get(pk=older.pk),
        DocsBuild.objects.get(pk=newer.pk),
    )
    assert first.finished_at <= second.started_at  # never both at once
    assert DocsSite.objects.get().current_id == newer.pk
