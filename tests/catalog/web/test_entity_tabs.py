"""The entity page's tabs, registered by each app in its ready() (core/tabs.py):
their order, which entities have them, and that each tab's address serves it."""

from __future__ import annotations

import re

import pytest

from core import tabs
from tests.support.catalog import crawl_repo

ENTITIES = """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api
  annotations: {backstage.io/techdocs-ref: "dir:."}
spec:
  type: openapi
  lifecycle: production
  owner: platform
  definition: "openapi: 3.0.0"
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: plain}
spec: {type: service, lifecycle: production, owner: platform}
"""
DOCUMENTED_API = "/catalog/default/api/payments-api"
PLAIN = "/catalog/default/component/plain"
TAB = re.compile(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>')


@pytest.fixture
def entities(repos, db):
    return crawl_repo(repos, "tabs", {"catalog-info.yaml": ENTITIES})


def tabs_of(client, url: str) -> list[tuple[str, str, bool]]:
    """(address, label, current) of each tab the page shows."""
    response = client.get(url)
    assert response.status_code == 200, url
    nav = response.content.decode().split('aria-label="Entity sections"')[1]
    found = TAB.findall(nav.split("</nav>")[0])
    return [(href, label, bool(current)) for href, current, label in found]


def labels(client, url: str) -> list[str]:
    return [label for _, label, _ in tabs_of(client, url)]


def test_every_app_adds_its_tab_in_order(viewer_client, entities):
    assert labels(viewer_client, DOCUMENTED_API) == [
        "Overview",
        "Definition",
        "Docs",
        "Graph",
        "History",
        "Scorecards",
        "YAML",
    ]


def test_each_tab_address_serves_its_page(viewer_client, entities):
    for href, label, _ in tabs_of(viewer_client, DOCUMENTED_API):
        current = [
            name for _, name, is_current in tabs_of(viewer_client, href) if is_current
        ]
        assert current == [label], href


def test_an_entity_has_only_the_tabs_that_fit_it(viewer_client, entities):
    assert labels(viewer_client, PLAIN) == [
        "Overview",
        "Graph",
        "History",
        "Scorecards",
        "YAML",
    ]


def test_a_registered_tab_shows_where_its_app_says(
    viewer_client, entities, monkeypatch
):
    monkeypatch.setattr(tabs, "_registered", dict(tabs._registered))
    only_components = lambda entity: entity.kind.lower() == "component"  # noqa: E731
    tabs.register(
        tabs.EntityTab("runbook", "Runbook", 35, lambda r: None, only_components)
    )
    assert labels(viewer_client, PLAIN) == [
        "Overview",
        "Graph",
        "Runbook",
        "History",
        "Scorecards",
        "YAML",
    ]
    assert "Runbook" not in labels(viewer_client, DOCUMENTED_API)
