"""A small organisation crawled from a real git repository, for the page tests."""

from __future__ import annotations

import pytest

from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import Location

ORG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: platform, title: Platform}
spec: {type: department, children: [payments-team]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: payments-team, title: Payments team}
spec: {type: team, parent: platform, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jdoe}
spec:
  profile: {displayName: Jane Doe, email: jane@example.com}
  memberOf: [payments-team]
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: payments, description: Money in and out}
spec: {owner: platform}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing
  title: Billing service
  description: Sends invoices to customers every month.
  tags: [python, django]
  links:
    - {url: https://billing.example.com/runbook, title: Runbook}
  annotations: {github.com/project-slug: acme/billing}
spec:
  type: service
  lifecycle: production
  owner: payments-team
  system: payments
  dependsOn: [resource:billing-db, component:ghost]
  providesApis: [billing-api]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ledger, description: Double-entry bookkeeping, tags: [java]}
spec:
  type: library
  lifecycle: experimental
  owner: platform
  system: payments
  consumesApis: [billing-api]
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: billing-db}
spec: {type: database, owner: payments-team, system: payments}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: billing-api, description: Invoices over HTTP}
spec:
  type: openapi
  lifecycle: production
  owner: payments-team
  system: payments
  definition: |
    openapi: 3.0.0
    info: {title: Billing, version: "1"}
    paths: {}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: orphaned-tool}
spec: {type: tool, lifecycle: deprecated, owner: nobody-team}
"""


def crawl_repo(repos, name: str, files: dict[str, object], path: str = "") -> Location:
    repo = repos.create(name, files)
    location, _ = register_location(repo.url, "", path)
    crawl_location(location)
    location.refresh_from_db()
    return location


@pytest.fixture
def org(repos, db) -> Location:
    return crawl_repo(repos, "org", {"catalog-info.yaml": ORG})


def component(name: str, **spec: object) -> str:
    body = {"type": "service", "lifecycle": "production", "owner": "platform", **spec}
    lines = "".join(f"  {key}: {value}\n" for key, value in body.items())
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        f"metadata: {{name: {name}}}\nspec:\n{lines}"
    )


def many_components(count: int, prefix: str = "svc", **spec: object) -> str:
    return "---\n".join(component(f"{prefix}-{i}", **spec) for i in range(count))


def count_queries(client, url: str) -> int:
    """How many queries one page takes (asserting it renders)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)
