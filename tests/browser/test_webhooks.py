"""Adding a webhook in the browser, then seeing a host's delivery in its log."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from catalog.locations import register_location
from tests.support.browser import log_in
from tests.support.deliveries import COMPONENT, Host, github_push
from webhooks.models import Webhook


def test_an_editor_adds_a_webhook_and_watches_its_deliveries(
    page, server, editor, repos, transactional_db, screenshot
):
    repo = repos.create(
        "billing", {"catalog-info.yaml": COMPONENT.format(description="v1")}
    )
    location, _ = register_location(repo.url)  # crawled at once here (eager)
    log_in(page, editor)
    page.goto(f"/locations/{location.pk}")
    page.get_by_role("link", name="Add a webhook…").click()
    expect(page.get_by_label("Location")).to_have_value(str(location.uid))
    page.get_by_label("Git host").select_option("github")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Webhook created")).to_be_visible()
    secret = page.locator("#webhook-secret").inner_text()
    webhook = Webhook.objects.get()
    assert webhook.secrets() == [secret]
    expect(page.get_by_text(f"{server}/webhooks/github/{webhook.uid}")).to_be_visible()
    screenshot(page, "webhook-created")

    before = repo.head()
    after = repo.commit({"catalog-info.yaml": COMPONENT.format(description="v2")})
    body = github_push(repo.url, ref="refs/heads/main", before=before, after=after)
    assert Host("github", webhook, secret).post(body).status_code == 202
    page.get_by_role("link", name="Go to the webhook and its deliveries").click()
    log = page.get_by_role("table", name="Recent deliveries")
    expect(log).to_contain_text("Crawl queued")
    expect(log).to_contain_text("refs/heads/main")
    expect(log.get_by_role("link", name=re.compile("Succeeded"))).to_be_visible()
    assert secret not in page.content()  # shown once, on creation only
    screenshot(page, "webhook-deliveries")
