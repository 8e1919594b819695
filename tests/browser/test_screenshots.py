"""Screenshots of the main pages as build artefacts, at desktop and phone widths.

They land in $GREENROOM_ARTIFACTS, or build/screenshots/ in the checkout, for a
person to look at; the test checks what a machine can: each page renders, and
at phone width nothing makes the whole page scroll sideways.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import PHONE, log_in
from tests.support.descriptors import component

BILLING = "/catalog/default/component/billing"
NEW_REPO = "---\n".join(
    [
        component("invoicing-worker", owner="payments-team", system="payments"),
        component("reminder-mailer", owner="payments-team"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\n",
    ]
)


def page_width_overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scroll)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"
    )


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, path
    expect(page.get_by_role("heading", level=1)).to_be_visible()


@pytest.fixture
def new_repo(repos):
    return repos.create("more", {"catalog-info.yaml": NEW_REPO})


def test_screenshots_of_the_main_pages(
    browser, server, page, editor, catalog_org, new_repo, screenshot
):
    log_in(page, editor)

    visit(page, "/catalog")
    expect(page.locator("table tbody tr")).to_have_count(10)
    screenshot(page, "catalog-list")

    page.fill("#site-search", "billing")
    page.keyboard.press("Enter")
    expect(page.locator("ol.results a.title").first).to_be_visible()
    screenshot(page, "search-results")

    visit(page, BILLING)
    expect(page.get_by_role("heading", name="Relations")).to_be_visible()
    screenshot(page, "entity-page")

    visit(page, f"{BILLING}/graph?depth=2")
    expect(page.locator("svg.graph a.graph-node").first).to_be_visible()
    screenshot(page, "entity-graph")

    visit(page, "/catalog/default/api/billing-api/definition")
    explorer = page.frame_locator("iframe.api-explorer")
    expect(explorer.locator(".info .title")).to_contain_text("Billing")
    screenshot(page, "api-definition")

    visit(page, f"/locations/{catalog_org.pk}")
    expect(page.locator("#entities-heading")).to_have_text("10 entities")
    screenshot(page, "location-page")

    visit(page, "/catalog-import")
    page.fill("#id_url", new_repo.url)
    page.get_by_role("button", name="Analyse").click()
    expect(page.get_by_role("heading", name="3 entities")).to_be_visible()
    expect(page.get_by_role("heading", name="1 problem")).to_be_visible()
    screenshot(page, "register-dry-run")

    phone = browser.new_context(
        base_url=server,
        viewport=PHONE,
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        storage_state=page.context.storage_state(),
    )
    try:
        small = phone.new_page()
        overflow = {}
        for name, path in [
            ("catalog-list-phone", "/catalog"),
            ("entity-page-phone", BILLING),
        ]:
            visit(small, path)
            screenshot(small, name)
            overflow[name] = page_width_overflow(small)
    finally:
        phone.close()
    assert overflow == {"catalog-list-phone": 0, "entity-page-phone": 0}
