"""The OpenAPI description of /api/compliance (see catalog/api/schema.py)."""

from __future__ import annotations

from catalog.api.schema import (
    ANY_OBJECT,
    INTEGER,
    NOT_FOUND,
    PAGE,
    STRING,
    array,
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
