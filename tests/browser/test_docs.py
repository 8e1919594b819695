"""A documentation site in a real browser: navigation, contents, images, no errors."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

from catalog.locations import register_location
from techdocs.models import DocsBuild
from tests.support.browser import log_in
from tests.support.docs import FILES


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


RICH_PAGE = """\
# Features :smile:

Shipped :rocket: on time.

!!! warning "Mind the quota"
    Admonition body text.

??? note "Closed details"
    Hidden details text.

???+ tip "Open details"
    Shown details text.

=== "Python"

    ```python
    print("first tab text")
    ```

=== "Shell"

    Second tab text.

```python linenums="1" hl_lines="2"
def total(items):
    return sum(items)
```
"""


def test_a_page_of_markdown_extensions_loads_nothing_from_elsewhere(
    page, server, viewer, repos, transactional_db, screenshot
):
    repo = repos.create("billing", {**FILES, "docs/features.md": RICH_PAGE})
    register_location(repo.url)
    assert DocsBuild.objects.get().status == DocsBuild.Status.SUCCEEDED
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    log_in(page, viewer)
    page.goto("/docs/default/component/billing/features/")
    page.wait_for_load_state("networkidle")
    article = page.locator("article.docs-page")
    expect(article.get_by_role("heading", level=1)).to_have_text(re.compile("Features"))
    smile = article.locator('img[title=":smile:"]').first
    expect(smile).to_have_attribute("alt", "😄")
    assert smile.get_attribute("src") is None  # no picture from the CDN: its alt text
    drawn = "img => getComputedStyle(img, '::before').content"  # portal.css shows it
    assert page.evaluate(drawn, smile.element_handle()) == '"😄"'
    expect(article.locator(".admonition.warning")).to_contain_text("Mind the quota")
    expect(article.get_by_text("Admonition body text.")).to_be_visible()
    expect(article.get_by_text("Shown details text.")).to_be_visible()
    hidden = article.get_by_text("Hidden details text.")
    expect(hidden).to_be_hidden()  # a closed <details> until its summary is clicked
    article.get_by_text("Closed details").click()
    expect(hidden).to_be_visible()
    first, second = (
        article.get_by_text('print("first tab text")'),
        article.get_by_text("Second tab text."),
    )
    expect(first).to_be_visible()  # tabs switch with CSS alone: no script runs
    expect(second).to_be_hidden()
    article.locator(".tabbed-labels").get_by_text("Shell").click()
    expect(second).to_be_visible()
    expect(first).to_be_hidden()
    expect(article.locator("td.code").last).to_contain_text("return sum(items)")
    screenshot(page, "docs-extensions")

    host = urlsplit(server).netloc
    assert requests
    elsewhere = [
        url
        for url in requests
        if urlsplit(url).scheme != "data" and urlsplit(url).netloc != host
    ]
    assert elsewhere == [], elsewhere


def test_a_phrase_in_the_docs_is_found_from_the_portal_search(
    page, server, viewer, repos, transactional_db, screenshot
):
    guide = (
        "# Guide\n\n## Setup\n\nSteps.\n\n## Rotating keys\n\nDrain the queue first.\n"
    )
    repo = repos.create("billing", {**FILES, "docs/guide.md": guide})
    register_location(repo.url)
    assert DocsBuild.objects.get().status == DocsBuild.Status.SUCCEEDED
    log_in(page, viewer)
    page.goto("/")
    search = page.get_by_role("search").get_by_role("searchbox").first
    search.fill("drain the queue")
    search.press("Enter")
    results = page.get_by_role("region", name="In the documentation")
    expect(results).to_contain_text("Guide › Rotating keys")
    screenshot(page, "docs-search")
    results.get_by_role("link", name=re.compile("Rotating keys")).click()
    expect(page).to_have_url(
        re.compile(r"/docs/default/component/billing/guide/#rotating-keys$")
    )
    expect(page.locator("#rotating-keys")).to_be_in_viewport()
