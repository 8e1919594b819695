"""A documentation site in a real browser: navigation, contents, images, no errors."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from catalog.locations import register_location
from techdocs.models import DocsBuild
from tests.browser.conftest import log_in
from tests.techdocs.test_sites import FILES


def test_a_reader_follows_the_docs_navigation(
    page, server, viewer, repos, transactional_db, screenshot
):
    repo = repos.create("billing", FILES)
    register_location(repo.url)  # commits at once here: crawl, then docs, eagerly
    assert DocsBuild.objects.get().status == DocsBuild.Status.SUCCEEDED
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith((server, "data:")) else outside.append(r.url)
        ),
    )
    log_in(page, viewer)
    page.goto("/docs/default/component/billing/")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Billing"))
    screenshot(page, "docs-home")
    page.locator("nav.docs-nav").get_by_role("link", name="Guide").click()
    expect(page).to_have_url(re.compile(r"/docs/default/component/billing/guide/$"))
    expect(page.locator("nav.docs-toc")).to_contain_text("Setup")
    page.locator("nav.docs-nav").get_by_role("link", name="Billing").first.click()
    image = page.locator("article img")
    expect(image).to_have_count(1)
    assert page.evaluate("img => img.naturalWidth", image.element_handle()) == 0  # fake
    screenshot(page, "docs-page")
    assert outside == []
