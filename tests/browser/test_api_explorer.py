"""The API explorer in a real browser: Swagger UI on Greenroom's own schema,
loaded from our server only, and "Try it out" answering with the real API."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.browser import log_in


def test_the_explorer_lists_and_calls_the_api(
    page, server, viewer, catalog_org, screenshot
):
    outside: list[str] = []

    def record(request) -> None:
        if not request.url.startswith((server, "data:")):
            outside.append(request.url)

    page.on("request", record)
    log_in(page, viewer)
    page.goto("/api/schema/explorer/")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() >= 23
    by_name = page.locator("#operations-catalog-getEntityByName")
    by_name.locator(".opblock-summary").click()
    by_name.get_by_role("button", name="Try it out").click()
    for field, value in (("kind", "component"), ("namespace", "default")):
        by_name.locator(f'tr[data-param-name="{field}"] input').fill(value)
    by_name.locator('tr[data-param-name="name"] input').fill("billing")
    by_name.get_by_role("button", name="Execute").click()
    # The browser's session is enough to read; the answer is the stored entity.
    response = by_name.locator(".live-responses-table .response .response-col_status")
    expect(response.first).to_have_text("200")
    expect(by_name.locator(".live-responses-table .microlight").first).to_contain_text(
        '"name": "billing"'
    )
    screenshot(page, "api-explorer")
    assert outside == []
