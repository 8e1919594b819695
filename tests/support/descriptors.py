"""Descriptor texts the tests crawl: the small organisation the page and API tests
share, and components made to order."""

from __future__ import annotations

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


def component(name: str, **spec: object) -> str:
    body = {"type": "service", "lifecycle": "production", "owner": "platform", **spec}
    lines = "".join(f"  {key}: {value}\n" for key, value in body.items())
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        f"metadata: {{name: {name}}}\nspec:\n{lines}"
    )


def many_components(count: int, prefix: str = "svc", **spec: object) -> str:
    return "---\n".join(component(f"{prefix}-{i}", **spec) for i in range(count))


# One valid component, for the worker's end-to-end tests.
GOOD = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: good}
spec: {type: service, lifecycle: production, owner: team-a}
"""
