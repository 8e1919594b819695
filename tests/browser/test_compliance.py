"""Compliance staff in the browser: coverage numbers lead to the entities behind
them, and the audit log shows who did what."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from catalog.locations import register_location
from tests.browser.conftest import log_in
from tests.compliance.test_coverage import ORG, component
from tests.conftest import make_user


def test_coverage_and_the_audit_log(page, server, repos, transactional_db, screenshot):
    documents = [
        ORG,
        component("ghostly", "group:ghosts"),
        component("lonely", "team-empty"),
    ]
    repo = repos.create("org", {"catalog-info.yaml": "---\n".join(documents)})
    register_location(repo.url)  # crawled at once (eager)
    log_in(page, make_user("carol-compliance", "compliance"))
    page.get_by_role("link", name="Coverage").click()
    card = page.get_by_role("region", name=re.compile("Owner not in the catalog"))
    expect(card).to_contain_text("1")
    screenshot(page, "coverage")
    card.get_by_role("link", name="1").first.click()
    expect(page.get_by_role("table")).to_contain_text("ghostly")
    expect(page.get_by_role("table")).not_to_contain_text("lonely")

    page.get_by_role("link", name="Audit log").click()
    log = page.get_by_role("table", name="Audit entries")
    expect(log).to_contain_text("location.register")
    expect(log).to_contain_text("role.change")
    page.get_by_label("Action").fill("role.")
    page.get_by_role("button", name="Filter").click()
    expect(log).not_to_contain_text("location.register")
    expect(log).to_contain_text("carol-compliance")
    screenshot(page, "audit-log")
