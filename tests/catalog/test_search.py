"""Search: full text with weights and misspellings on PostgreSQL, plain on SQLite."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import EntitySummary
from catalog.search import search
from tests.support.catalog import authored

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-gateway
  title: Payments gateway
  description: Takes card payments from the storefront
  tags: [java]
spec: {type: service, lifecycle: production, owner: team-payments}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: storefront
  description: The web shop, which calls the payments gateway
spec: {type: website, lifecycle: production, owner: team-web}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: ledger-db, tags: [postgres, payments]}
spec: {type: database, owner: team-payments}
"""


@pytest.fixture
def catalog(repos, db):
    repo = repos.create("org", {"catalog-info.yaml": CATALOG})
    location, _ = register_location(repo.url)
    crawl_location(location)
    return authored()


def found(entities, text) -> list[str]:
    rows = EntitySummary.objects.filter(entity__in=entities)
    return [row.name for row in search(rows, text)]


def test_name_and_title_rank_above_description_and_tags(catalog):
    results = found(catalog, "payments")
    assert set(results) == {"payments-gateway", "storefront", "ledger-db"}
    assert results[0] == "payments-gateway"


def test_words_of_the_description_are_found(catalog):
    assert found(catalog, "card") == ["payments-gateway"]


def test_an_empty_query_returns_everything(catalog):
    assert len(found(catalog, "  ")) == 3


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigrams are PostgreSQL's"
)
def test_a_misspelt_name_still_finds_its_entity(catalog):
    assert found(catalog, "paymnts-gatway")[0] == "payments-gateway"
    assert found(catalog, "storfront")[0] == "storefront"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full text is PostgreSQL's"
)
def test_web_search_syntax(catalog):
    assert found(catalog, '"web shop"') == ["storefront"]
    assert found(catalog, "payments -storefront -shop") == ["ledger-db"]
