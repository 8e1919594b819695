"""The OpenAPI description of /api/discovery (see core/api/schema.py)."""

from __future__ import annotations

from core.api.schema import (
    INTEGER,
    NOT_FOUND,
    NULLABLE_STRING,
    STRING,
    Schema,
    array,
    obj,
    operation,
)
from discovery.models import DescriptorRequest

REQUEST: Schema = obj(
    {
        "number": INTEGER,
        "url": NULLABLE_STRING,
        "state": {"type": "string", "enum": DescriptorRequest.State.values},
        "openedAt": STRING,
    },
    ("number", "state", "openedAt"),
)
PROPOSAL = operation(
    "getDescriptorProposal",
    "The descriptor proposed for a repository without one, and its requests",
    {
        200: obj(
            {
                "repository": STRING,
                "path": STRING,
                "yaml": STRING,
                "entity": {"type": "object", "additionalProperties": True},
                "requests": array(REQUEST),
            },
            ("repository", "path", "yaml", "entity", "requests"),
        ),
        **NOT_FOUND,
    },
    tag="discovery",
)
OPEN = operation(
    "openDescriptorRequest",
    "Open a pull (merge) request adding the proposed descriptor (editors)",
    {201: REQUEST, **NOT_FOUND},
    tag="discovery",
)
