"""Browser tests: Debian's Chromium, driven by Playwright, against a live server.

One browser for the session, a new context (cookies, storage) per test. The server
is pytest-django's `live_server` on the transactional test database; each test
rebuilds its request handler so that middleware sees the test's settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.browser import DESKTOP

# Playwright's sync API keeps an event loop in the main thread, so Django thinks
# the test's ORM calls come from async code. Documented for Playwright with
# pytest-django; the calls really are synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


REPO_ROOT = Path(__file__).resolve().parents[2]


def _browser_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("GREENROOM_REQUIRE_BROWSER"))


def _no_browser(reason: str) -> None:
    if _browser_required():
        pytest.fail(f"{reason} (CI or GREENROOM_REQUIRE_BROWSER is set)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def browser():
    """One Chromium for all the browser tests.

    Package-scoped rather than session-scoped: while Playwright runs, its event
    loop is the thread's running loop, and tests run after this package (e.g.
    the Swagger UI test in tests/catalog, which starts its own sync_playwright)
    would meet "using Playwright Sync API inside the asyncio loop".
    """
    if not CHROMIUM.exists():
        _no_browser(f"{CHROMIUM} is missing: install Debian's chromium package")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("playwright is not installed (pip install -e '.[dev]')")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    """People sign in through the form; PBKDF2 would cost a second each time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def server_errors() -> list[str]:
    return []


@pytest.fixture
def context(browser, server, server_errors):
    context = browser.new_context(base_url=server, viewport=DESKTOP)
    context.set_default_timeout(10_000)

    def record(response) -> None:
        if response.status >= 500:
            server_errors.append(f"{response.status} {response.url}")

    context.on("response", record)
    yield context
    context.close()
    assert not server_errors, f"the server failed: {server_errors}"


@pytest.fixture
def page(context):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, f"scripts failed in the page: {errors}"


@pytest.fixture
def catalog_org(repos, transactional_db):
    """The small organisation of tests/support/descriptors.py, crawled from a real
    git repository."""
    from tests.support.catalog import crawl_repo
    from tests.support.descriptors import ORG

    return crawl_repo(repos, "org", {"catalog-info.yaml": ORG})


def artifacts_dir() -> Path:
    path = Path(
        os.environ.get("GREENROOM_ARTIFACTS") or REPO_ROOT / "build" / "screenshots"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """Save a full-page screenshot as an artefact; returns its path."""

    def shoot(page, name: str) -> Path:
        path = artifacts_dir() / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 1000, path
        return path

    return shoot
