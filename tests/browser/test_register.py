"""Registering a repository in the browser, crawled by a real Celery worker."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from playwright.sync_api import expect

from catalog.models import Entity, Location
from portal.celery import app
from tests.support.browser import log_in
from tests.support.descriptors import ORG
from tests.support.sessions import ending_new_sessions


@pytest.fixture
def worker_on_demand() -> Iterator[Callable[[], None]]:
    """Tasks go to the real broker; calling the result starts a worker on it.

    Starting it only when the test says so makes "Crawling…" observable: the
    crawl is queued and nobody takes it until then.
    """
    from celery.contrib.testing.worker import start_worker

    if app.conf.broker_url.startswith("memory:"):
        pytest.fail("CELERY_BROKER_URL must name the test broker (make test sets it)")
    app.conf.task_always_eager = False  # tests/conftest.py puts it back
    app.control.purge()
    workers = ExitStack()
    workers.enter_context(ending_new_sessions())

    def start() -> None:
        workers.enter_context(
            start_worker(
                app,
                pool="threads",
                concurrency=1,
                perform_ping_check=False,
                loglevel="WARNING",
            )
        )

    yield start
    workers.close()  # stops the worker, then ends the sessions its threads kept


@pytest.mark.worker
def test_an_editor_registers_a_repository_served_by_git_daemon(
    worker_on_demand, page, editor, repos, git_daemon, screenshot
):
    repo = repos.create("org", {"catalog-info.yaml": ORG})
    url = git_daemon.url(repo)
    assert url.startswith("git://")
    log_in(page, editor)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Register"
    ).click()
    expect(page).to_have_url(re.compile(r"/catalog-import$"))

    page.fill("#id_url", url)
    page.get_by_role("button", name="Analyse").click()
    preview = page.locator("section[aria-labelledby=preview-heading]")
    expect(preview.get_by_role("heading", level=2)).to_have_text(
        f"What {url} would produce"
    )
    expect(preview.get_by_role("heading", name="10 entities")).to_be_visible()
    rows = preview.locator("tbody tr")
    expect(rows).to_have_count(10)  # and the Location entity it would generate
    expect(rows.filter(has_text="component:default/billing")).to_contain_text(
        "Billing service"
    )
    expect(preview.get_by_role("heading", name="0 problems")).to_be_visible()
    assert not Location.objects.exists()  # a dry run stores nothing
    screenshot(page, "register-dry-run-git")

    preview.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"/locations/\d+$"))
    location = Location.objects.get()
    assert location.url == url
    status = page.locator("section[aria-labelledby=state-heading] [role=status]")
    entities = page.locator("#entities-heading")
    # No worker yet: the crawl waits in the queue and the page says so.
    expect(status).to_contain_text("Crawling…")
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_count(1)
    expect(entities).to_have_text("0 entities")
    assert not Entity.objects.exists()
    screenshot(page, "location-crawling-git")

    worker_on_demand()
    # The page refreshes itself every 2 s until the crawl is done.
    expect(entities).to_have_text("10 entities", timeout=20_000)
    expect(status).not_to_contain_text("Crawling")
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_count(0)
    expect(page.get_by_role("button", name="Refresh now")).to_be_visible()
    screenshot(page, "location-crawled-git")

    page.locator("section[aria-labelledby=entities-heading]").get_by_role(
        "link", name="billing", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Billing service")
    expect(page.locator("section[aria-labelledby=provenance-heading]")).to_contain_text(
        url
    )


def test_a_viewer_is_refused_writes(page, viewer, catalog_org):
    log_in(page, viewer)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Locations")).to_be_visible()
    expect(nav.get_by_role("link", name="Register")).to_have_count(0)

    response = page.goto("/catalog-import")
    assert response is not None
    assert response.status == 403
    expect(page.locator("#id_url")).to_have_count(0)

    page.goto("/locations")
    expect(page.get_by_role("link", name="Register a repository")).to_have_count(0)
    page.get_by_role("link", name=catalog_org.url).click()
    expect(page).to_have_url(re.compile(rf"/locations/{catalog_org.pk}$"))
    expect(page.locator("#entities-heading")).to_have_text("10 entities")
    expect(page.get_by_role("button", name="Refresh now")).to_have_count(0)
    expect(page.get_by_role("link", name="Unregister…")).to_have_count(0)
