"""Compliance staff in the browser: coverage numbers lead to the entities behind
them, and the audit log shows who did what."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from catalog.locations import register_location
from tests.support.browser import log_in
from tests.support.coverage import ORG, component
from tests.support.scorecards import ORG as ORG_WITH_MEMBERS
from tests.support.scorecards import PERFECT, SLOPPY, SMALL_TEAM
from tests.support.users import make_user


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


def test_scorecards_lead_from_the_catalog_to_an_entitys_failures(
    page, server, repos, transactional_db, rules, screenshot
):
    documents = [ORG_WITH_MEMBERS, PERFECT, SLOPPY, SMALL_TEAM]
    repo = repos.create("org", {"catalog-info.yaml": "---\n".join(documents)})
    register_location(repo.url)  # crawled and scored at once (eager)
    log_in(page, make_user("dora-viewer", "viewer"))
    page.get_by_role("link", name="Scorecards").click()
    card = page.get_by_role("region", name="Ready")
    expect(card).to_contain_text("3 entities scored")
    card.get_by_role("link", name="Ready").click()
    rules_table = page.get_by_role("table", name="Rules")
    owner_row = rules_table.get_by_role("row", name=re.compile("Has an owner"))
    screenshot(page, "scorecard")
    owner_row.get_by_role("link").last.click()  # the failing count
    listed = page.get_by_role("table", name="Entities")
    expect(listed).to_contain_text("sloppy")
    expect(listed).not_to_contain_text("perfect")
    listed.get_by_role("link", name="sloppy").click()
    expect(
        page.get_by_role("link", name="Scorecards", exact=True).last
    ).to_have_attribute("aria-current", "page")
    expect(page.locator("ul.rules")).to_contain_text(
        "✗ Fail Has an owner that is a Group or User"
    )
    expect(page.locator("ul.rules")).to_contain_text(
        "group:default/ghosts is not in the catalog"
    )
    screenshot(page, "entity-scorecards")
