"""Backstage's own validators as the oracle for our descriptor checks: the cases,
the baseline documents and spec fields they vary, and both judges' verdicts.

The node packages are installed by ``npm ci --prefix tests/oracle``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ORACLE = Path(__file__).resolve().parents[1] / "oracle"


NPM_CI = "npm ci --prefix tests/oracle"


@dataclass(frozen=True)
class Case:
    id: str
    document: Any


V1 = "backstage.io/v1alpha1"


V1BETA3 = "scaffolder.backstage.io/v1beta3"


BASELINES: dict[str, dict[str, Any]] = {
    "Component": {
        "apiVersion": V1,
        "kind": "Component",
        "metadata": {"name": "svc"},
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"},
    },
    "API": {
        "apiVersion": V1,
        "kind": "API",
        "metadata": {"name": "svc-api"},
        "spec": {
            "type": "openapi",
            "lifecycle": "production",
            "owner": "team-a",
            "definition": "openapi: 3.0.0",
        },
    },
    "Resource": {
        "apiVersion": V1,
        "kind": "Resource",
        "metadata": {"name": "db"},
        "spec": {"type": "database", "owner": "team-a"},
    },
    "System": {
        "apiVersion": V1,
        "kind": "System",
        "metadata": {"name": "payments"},
        "spec": {"owner": "team-a"},
    },
    "Domain": {
        "apiVersion": V1,
        "kind": "Domain",
        "metadata": {"name": "commerce"},
        "spec": {"owner": "team-a"},
    },
    "Group": {
        "apiVersion": V1,
        "kind": "Group",
        "metadata": {"name": "team-a"},
        "spec": {"type": "team", "children": []},
    },
    "User": {
        "apiVersion": V1,
        "kind": "User",
        "metadata": {"name": "jdoe"},
        "spec": {"memberOf": []},
    },
    "Location": {
        "apiVersion": V1,
        "kind": "Location",
        "metadata": {"name": "root"},
        "spec": {"type": "url", "target": "./catalog-info.yaml"},
    },
    "Template": {
        "apiVersion": V1BETA3,
        "kind": "Template",
        "metadata": {"name": "new-service"},
        "spec": {
            "type": "service",
            "steps": [{"id": "fetch", "name": "Fetch", "action": "fetch:template"}],
        },
    },
}


# Spec fields per kind, from the reference (catalog-model.md section 2), not from our
# code: name -> (shape, required, a valid value).
STR, LIST, PROFILE, PRESENCE, STEPS, PARAMETERS, OBJECT = (
    "str",
    "list",
    "profile",
    "presence",
    "steps",
    "parameters",
    "object",
)


SPEC_FIELDS: dict[str, dict[str, tuple[str, bool, Any]]] = {
    "Component": {
        "type": (STR, True, "service"),
        "lifecycle": (STR, True, "production"),
        "owner": (STR, True, "team-a"),
        "system": (STR, False, "payments"),
        "subcomponentOf": (STR, False, "parent-svc"),
        "providesApis": (LIST, False, ["svc-api"]),
        "consumesApis": (LIST, False, ["other-api"]),
        "dependsOn": (LIST, False, ["resource:db"]),
        "dependencyOf": (LIST, False, ["component:frontend"]),
    },
    "API": {
        "type": (STR, True, "openapi"),
        "lifecycle": (STR, True, "production"),
        "owner": (STR, True, "team-a"),
        "definition": (STR, True, "openapi: 3.0.0"),
        "system": (STR, False, "payments"),
    },
    "Resource": {
        "type": (STR, True, "database"),
        "owner": (STR, True, "team-a"),
        "system": (STR, False, "payments"),
        "dependsOn": (LIST, False, ["resource:other-db"]),
        "dependencyOf": (LIST, False, ["component:svc"]),
    },
    "System": {
        "owner": (STR, True, "team-a"),
        "domain": (STR, False, "commerce"),
        "type": (STR, False, "product"),
    },
    "Domain": {
        "owner": (STR, True, "team-a"),
        "subdomainOf": (STR, False, "everything"),
        "type": (STR, False, "business"),
    },
    "Group": {
        "type": (STR, True, "team"),
        "profile": (PROFILE, False, {"displayName": "Team A"}),
        "parent": (STR, False, "org"),
        "children": (LIST, True, ["team-b"]),
        "members": (LIST, False, ["jdoe"]),
    },
    "User": {
        "profile": (PROFILE, False, {"displayName": "J. Doe", "email": "j@x.io"}),
        "memberOf": (LIST, True, ["team-a"]),
    },
    "Location": {
        "type": (STR, False, "url"),
        "target": (STR, False, "./catalog-info.yaml"),
        "targets": (LIST, False, ["./a.yaml", "./b.yaml"]),
        "presence": (PRESENCE, False, "optional"),
    },
    "Template": {
        "type": (STR, True, "service"),
        "steps": (STEPS, True, [{"action": "debug:log"}]),
        "parameters": (PARAMETERS, False, [{"title": "Name", "properties": {}}]),
        "owner": (STR, False, "team-a"),
        "lifecycle": (STR, False, "experimental"),
        "output": (OBJECT, False, {"links": [{"url": "https://example.com"}]}),
    },
}


@dataclass(frozen=True)
class Verdict:
    valid: bool
    errors: list[str]
    ref_errors: list[str]


@dataclass(frozen=True)
class Judged:
    case: Case
    backstage: Verdict
    ours: Verdict


def differs(item: Judged) -> bool:
    backstage, ours = item.backstage, item.ours
    if backstage.valid and backstage.ref_errors:
        return ours.valid  # the catalog would fail it while emitting relations
    return backstage.valid != ours.valid


def report_disagreements(items: list[Judged]) -> str:
    def verdict(v: Verdict) -> str:
        word = "valid" if v.valid else "INVALID"
        details = v.errors + [f"(refs) {e}" for e in v.ref_errors]
        return word + "".join(f"\n      - {e[:300]}" for e in details)

    blocks = []
    for item in items:
        document = json.dumps(item.case.document, ensure_ascii=False)
        if len(document) > 600:
            document = document[:600] + f"... ({len(document)} chars)"
        blocks.append(
            f"* {item.case.id}\n    document: {document}\n"
            f"    Backstage: {verdict(item.backstage)}\n    ours: {verdict(item.ours)}"
        )
    return f"{len(items)} disagreement(s) with Backstage:\n" + "\n".join(blocks)
