"""Scorecard rules and the entities they grade: an organisation with a team of two
and a team of one, a component that passes every check and one that fails most."""

from __future__ import annotations

RULES = """\
scorecards:
  - id: ready
    title: Ready
    kinds: [component, api]
    levels: [bronze, silver, gold]
    rules:
      - {id: owner, check: owner-exists, level: bronze}
      - {id: description, check: has-description, level: bronze}
      - {id: lifecycle, check: has-lifecycle, level: silver}
      - {id: source, check: has-source-location, level: silver}
      - {id: docs, check: techdocs-built, level: gold, kinds: [component]}
      - {id: team, check: owner-members, min: 2, level: gold}
      - {id: definition, check: api-definition, level: silver, kinds: [api]}
      - id: pager
        check: annotation
        key: pagerduty.com/service-id
        level: gold
      - id: slack
        check: annotation
        key: slack.com/channel
        matches: "^#[a-z-]+$"
        level: gold
      - id: tier
        check: label
        key: tier
        one_of: [1, 2]
        level: gold
      - id: type
        check: field
        path: spec.type
        one_of: [service, website, openapi]
        level: silver
  - id: people
    kinds: [group]
    rules:
      - {id: described, check: has-description}
"""


ORG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a, description: The A team}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-b}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: alice}
spec: {memberOf: [team-a, team-b]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: bob}
spec: {memberOf: [team-a]}
"""


PERFECT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: perfect
  description: Does everything right
  annotations:
    pagerduty.com/service-id: PABC123
    slack.com/channel: "#perfect"
  labels: {tier: "1"}
spec: {type: service, lifecycle: production, owner: team-a}
"""


SLOPPY = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: sloppy
  annotations: {slack.com/channel: "general chat"}
  labels: {tier: "3"}
spec: {type: library, lifecycle: experimental, owner: group:ghosts}
"""


SMALL_TEAM = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: small-team
  description: Owned by a team of one
spec: {type: service, lifecycle: production, owner: team-b}
"""
