"""The OpenAPI description of /api/audit (built with core/api/schema.py)."""

from __future__ import annotations

from audit.models import AuditEntry
from core.api.schema import (
    ANY_OBJECT,
    NULLABLE_STRING,
    PAGE,
    STRING,
    array,
    obj,
    operation,
    query,
)

ENTRY = obj(
    {
        "at": STRING,
        "actor": STRING,
        "source": {"type": "string", "enum": AuditEntry.Source.values},
        "address": NULLABLE_STRING,
        "action": STRING,
        "target": STRING,
        "details": ANY_OBJECT,
    },
    ("at", "actor", "source", "action", "target", "details"),
)
AUDIT = operation(
    "getAuditLog",
    "Every write, newest first (compliance staff and admins)",
    {200: obj({"items": array(ENTRY)}, ("items",))},
    parameters=[
        query("action", "an action or its start, e.g. location."),
        query("actor", "who, by name"),
        query("source", "through what", enum=AuditEntry.Source.values),
        query("target", "a part of what was changed"),
        query("since", "from this date (YYYY-MM-DD)"),
        query("until", "to this date, included (YYYY-MM-DD)"),
        *PAGE,
    ],
    tag="greenroom",
)
