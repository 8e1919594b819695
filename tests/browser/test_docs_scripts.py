"""A docs site's own scripts never run in a reader's browser, whatever a page holds."""

from __future__ import annotations

import re

from django.core.files.base import ContentFile
from playwright.sync_api import expect

from catalog.locations import register_location
from techdocs.models import DocsBuild
from techdocs.sites import storage
from tests.support.browser import log_in
from tests.support.docs import BASE, HOSTILE


def _as_if_unsanitised(build: DocsBuild) -> None:
    """Store the home page with live script tags, as a sanitiser bypass would
    (nh3 before 0.3.7 turned PAYLOAD into one): the page must still run nothing."""
    name = f"{build.prefix}/index.html"
    store = storage()
    page = store.open(name).read().decode()
    store.delete(name)
    injected = (
        f'<script src="{BASE}evil.js"></script><script src="../evil.js"></script>'
        f'<link rel="stylesheet" href="{BASE}site.css">'
    )
    store.save(name, ContentFile((injected + page).encode()))


def test_a_site_script_referenced_by_a_page_never_runs(
    page, server, viewer, repos, transactional_db
):
    repo = repos.create("billing", HOSTILE)
    register_location(repo.url)  # crawl, then the docs build, eagerly
    build = DocsBuild.objects.get()
    assert build.status == DocsBuild.Status.SUCCEEDED, build.error
    _as_if_unsanitised(build)
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if message.type == "error" else None
        ),
    )
    log_in(page, viewer)
    page.goto(BASE)
    page.wait_for_load_state("load")
    assert page.evaluate("() => document.body.dataset.pwned") is None
    assert page.locator("body").is_visible()  # site.css (display: none) refused
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Billing"))
    expect(page.locator("nav.docs-nav span", has_text="Evil")).to_have_count(1)
    # The scripts: refused by the CSP (script-src is the static folder); served
    # anyway they would be application/octet-stream with nosniff
    # (tests/techdocs/test_serving_safety.py), which no browser runs either, as
    # the stylesheet shows: CSP allows it, its type does not.
    assert any("evil.js" in text and "Content Security" in text for text in blocked)
    assert any("site.css" in text and "MIME" in text for text in blocked), blocked


def test_an_svg_of_the_site_opened_by_itself_runs_nothing(
    page, server, viewer, repos, transactional_db
):
    scripted = {
        **HOSTILE,
        "docs/img/evil.svg": (
            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            "<script>document.documentElement.setAttribute('data-pwned', 'yes')"
            "</script><rect width='10' height='10'/></svg>"
        ),
    }
    repo = repos.create("billing", scripted)
    register_location(repo.url)
    assert DocsBuild.objects.get().status == DocsBuild.Status.SUCCEEDED
    log_in(page, viewer)
    response = page.goto(f"{BASE}img/evil.svg")
    assert response is not None
    assert response.headers["content-type"] == "image/svg+xml"
    page.wait_for_load_state("load")
    assert page.locator("svg").get_attribute("data-pwned") is None
