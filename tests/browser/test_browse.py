"""Finding things in the catalog with a real browser: search, facets, links, graph."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from tests.support.browser import log_in

BILLING = "/catalog/default/component/billing"


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def facet(page, label: str):
    """The fieldset of one facet in the sidebar, by its legend."""
    return page.locator("aside.facets fieldset").filter(
        has=page.locator("legend", has_text=re.compile(f"^{label}$"))
    )


def table_names(page) -> list[str]:
    return page.locator("table tbody tr td:first-child a").all_inner_texts()


def test_a_misspelt_name_in_the_header_search_finds_the_entity(
    page, viewer, catalog_org
):
    log_in(page, viewer)
    page.fill("#site-search", "biling")
    page.locator("header form.search-box").get_by_role("button").click()

    expect(page).to_have_url(re.compile(r"/search\?query=biling$"))
    results = page.locator("ol.results a.title")
    expect(results.filter(has_text="Billing service")).to_have_count(1)
    results.filter(has_text="Billing service").click()

    expect(page).to_have_url(re.compile(f"{BILLING}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Billing service")


def test_facet_links_filter_by_owner_and_kind(page, viewer, catalog_org):
    log_in(page, viewer)  # lands on /catalog
    expect(page.locator("#results-heading")).to_have_text(
        "10 entities"
    )  # 9 + generated Location
    owner = facet(page, "Owner").locator("a", has_text="payments-team")
    expect(owner.locator(".count")).to_have_text("3")

    owner.click()
    expect(page).to_have_url(re.compile(r"owner="))
    expect(page.locator("#results-heading")).to_have_text("3 entities")
    assert sorted(table_names(page)) == ["Billing service", "billing-api", "billing-db"]

    facet(page, "Kind").locator("a", has_text="Component").click()
    expect(page).to_have_url(re.compile(r"kind="))
    query = query_of(page)
    assert sorted(query) == ["kind", "owner"]
    assert query["owner"] == ["group:default/payments-team"]
    assert [kind.lower() for kind in query["kind"]] == ["component"]
    expect(page.locator("#results-heading")).to_have_text("1 entity")
    assert table_names(page) == ["Billing service"]
    # Both chosen values are marked, with the counts under the other filters.
    chosen = page.locator("aside.facets a[aria-current=true]")
    expect(chosen).to_have_count(2)
    expect(chosen.filter(has_text="payments-team").locator(".count")).to_have_text("1")
    expect(chosen.filter(has_text="Component").locator(".count")).to_have_text("1")
    kinds = facet(page, "Kind").locator("a")
    expect(kinds).to_have_count(3)  # the owner's kinds: Component, Resource, API
    expect(kinds.filter(has_text="Resource").locator(".count")).to_have_text("1")

    # A chosen facet link toggles its value off again.
    chosen.filter(has_text="Component").click()
    assert query_of(page) == {"owner": ["group:default/payments-team"]}
    expect(page.locator("#results-heading")).to_have_text("3 entities")


def test_a_relation_link_leads_to_the_related_entity(page, viewer, catalog_org):
    log_in(page, viewer)
    page.goto(BILLING)
    relations = page.locator("section.card").filter(
        has=page.get_by_role("heading", name="Relations")
    )
    relations.get_by_role("link", name="billing-db").click()

    expect(page).to_have_url(re.compile(r"/catalog/default/resource/billing-db$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("billing-db")
    expect(page.locator(".entity-header .badge.kind")).to_have_text("Resource")

    # And back up to the owner, through the header.
    page.locator(".entity-header").get_by_role("link", name="payments-team").click()
    expect(page).to_have_url(re.compile(r"/catalog/default/group/payments-team$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Payments team")


def test_a_deeper_graph_node_leads_to_its_entity(page, viewer, catalog_org):
    log_in(page, viewer)
    page.goto(BILLING)
    page.get_by_role("navigation", name="Entity sections").get_by_role(
        "link", name="Graph"
    ).click()
    expect(page).to_have_url(re.compile(f"{BILLING}/graph$"))
    nodes = page.locator("svg.graph a.graph-node")
    expect(nodes.filter(has_text="billing-db")).to_have_count(1)
    ledger = page.locator('svg.graph a.graph-node[href$="/component/ledger"]')
    expect(ledger).to_have_count(0)  # two steps away, through billing-api

    page.select_option("select[name=depth]", "2")
    page.locator("form.graph-controls").get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"depth=2"))
    expect(page.locator("select[name=depth]")).to_have_value("2")
    expect(ledger).to_have_count(1)

    ledger.click()
    expect(page).to_have_url(re.compile(r"/catalog/default/component/ledger$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("ledger")


def test_the_keyboard_reaches_search_from_the_skip_link(page, viewer, catalog_org):
    log_in(page, viewer)  # lands on /catalog
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown when focused, not left off-screen

    search = page.locator("#site-search")
    for _ in range(12):  # the skip link, the brand, the header links, the search box
        if search.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(search).to_be_focused()
    page.keyboard.type("ledgr")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/search\?query=ledgr$"))
    expect(page.locator("ol.results a.title").first).to_have_text("ledger")
