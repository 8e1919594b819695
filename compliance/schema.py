"""The OpenAPI description of /api/compliance (see catalog/api/schema.py)."""

from __future__ import annotations

from catalog.api.schema import (
    ANY_OBJECT,
    INTEGER,
    NOT_FOUND,
    PAGE,
    STRING,
    array,
    number,
    obj,
    operation,
    query,
)
from compliance.coverage import CHECKS

CHECK_SUMMARY = obj(
    {
        "check": {"type": "string", "enum": list(CHECKS)},
        "title": STRING,
        "explanation": STRING,
        "total": INTEGER,
        "byKind": {"type": "object", "additionalProperties": INTEGER},
        "byOwner": array(obj({"owner": STRING, "count": INTEGER})),
    },
    ("check", "total", "byKind", "byOwner"),
)
COVERAGE = operation(
    "getCoverage",
    "Ownership coverage: every check's total, per kind and per owning group",
    {200: obj({"checks": array(CHECK_SUMMARY)}, ("checks",))},
    tag="compliance",
)
CHECK = operation(
    "getCoverageCheck",
    "The entities (or relations) behind one check",
    {
        200: obj(
            {"check": STRING, "totalItems": INTEGER, "items": array(ANY_OBJECT)},
            ("check", "totalItems", "items"),
        ),
        **NOT_FOUND,
    },
    parameters=[
        query("kind", "only this kind"),
        query("owner", "only this owner (an entity ref)"),
        *PAGE,
    ],
    tag="compliance",
)

REVISION = obj(
    {
        "revision": INTEGER,
        "entityRef": STRING,
        "kind": STRING,
        "owner": {"type": "string", "nullable": True},
        "commit": {"type": "string", "nullable": True},
        "repository": STRING,
        "path": STRING,
        "since": STRING,
    },
    ("revision", "entityRef", "kind", "since"),
)
AT = query("at", "a date (the end of that day, UTC) or a date and time; default now")
CATALOG_AT = operation(
    "getCatalogAt",
    "The catalog as it was at a moment: each entity's revision then",
    {
        200: obj(
            {
                "at": STRING,
                "items": array(REVISION),
                "nextAfter": {
                    "type": "string",
                    "nullable": True,
                    "description": "pass as `after` for the next page",
                },
            },
            ("at", "items"),
        )
    },
    parameters=[
        AT,
        query("kind", "only this kind"),
        query("owner", "only what this owner owned (an entity ref)"),
        query("after", "the entity ref the previous page ended with"),
        number("limit", "page size (default 100)"),
    ],
    tag="compliance",
)
ENTITY_AT = operation(
    "getEntityAt",
    "One entity as it was at a moment, and its owners over time",
    {
        200: obj(
            {
                "entityRef": STRING,
                "at": STRING,
                "inCatalog": {"type": "boolean"},
                "revision": {**REVISION, "nullable": True},
                "entity": {**ANY_OBJECT, "nullable": True},
                "owners": array(
                    obj(
                        {
                            "owner": {"type": "string", "nullable": True},
                            "since": REVISION,
                        }
                    )
                ),
            },
            ("entityRef", "at", "inCatalog", "owners"),
        ),
        **NOT_FOUND,
    },
    parameters=[AT],
    tag="compliance",
)
DIFF = operation(
    "getRevisionDiff",
    "What changed in a descriptor between two revisions",
    {
        200: obj(
            {
                "from": {**REVISION, "nullable": True},
                "to": REVISION,
                "lines": array(obj({"kind": STRING, "text": STRING})),
            },
            ("to", "lines"),
        ),
        **NOT_FOUND,
    },
    parameters=[
        query("from", "the earlier revision id (absent: from nothing)"),
        query("to", "the later revision id", required=True),
    ],
    tag="compliance",
)
