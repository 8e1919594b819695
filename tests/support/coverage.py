"""The catalog the ownership-coverage tests crawl: a team with a member, an empty
team, and components owned as asked."""

from __future__ import annotations

ORG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-empty}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: alice}
spec: {memberOf: [team-a]}
"""


def component(name: str, owner: str, lifecycle: str = "production", **spec) -> str:
    extra = "".join(f", {key}: {value}" for key, value in spec.items())
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        f"metadata: {{name: {name}}}\n"
        f"spec: {{type: service, lifecycle: {lifecycle}, owner: {owner}{extra}}}\n"
    )
