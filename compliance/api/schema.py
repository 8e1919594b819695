"""The OpenAPI description of /api/compliance (see core/api/schema.py)."""

from __future__ import annotations

from compliance.coverage import CHECKS
from core.api.schema import (
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
    {
        200: obj(
            {
                "countedAt": {"type": "string", "format": "date-time"},
                "current": {
                    "type": "boolean",
                    "description": "false: the catalog changed since; one is queued",
                },
                "checks": array(CHECK_SUMMARY),
                "repositories": obj(
                    {
                        "discovered": INTEGER,
                        "catalogued": INTEGER,
                        "percent": {"type": "number", "nullable": True},
                        "check": STRING,
                        "title": STRING,
                        "explanation": STRING,
                        "total": INTEGER,
                        "bySource": {"type": "object", "additionalProperties": INTEGER},
                        "byOrganisation": array(ANY_OBJECT),
                    },
                    ("discovered", "catalogued", "percent", "total"),
                ),
            },
            ("countedAt", "current", "checks", "repositories"),
        )
    },
    tag="compliance",
)
REPOSITORIES = operation(
    "getUncataloguedRepositories",
    "Repositories of the discovery sources without a descriptor",
    {
        200: obj(
            {"check": STRING, "totalItems": INTEGER, "items": array(ANY_OBJECT)},
            ("check", "totalItems", "items"),
        ),
    },
    tag="compliance",
    parameters=[
        query("source", "A discovery source's name"),
        query("organisation", "A host organisation, group, workspace or project"),
        *PAGE,
    ],
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

LEVEL_COUNT = obj({"level": STRING, "entities": INTEGER}, ("level", "entities"))
CARD_SUMMARY = obj(
    {
        "scorecard": STRING,
        "entities": INTEGER,
        "levels": array(LEVEL_COUNT),
        "rules": array(
            obj(
                {
                    "rule": STRING,
                    "title": STRING,
                    "level": STRING,
                    "passed": INTEGER,
                    "failed": INTEGER,
                },
                ("rule", "level", "passed", "failed"),
            )
        ),
    },
    ("scorecard", "entities", "levels", "rules"),
)
CARD = {
    "id": STRING,
    "title": STRING,
    "description": STRING,
    "kinds": array(STRING),
    "levels": array(STRING),
    "rules": array(
        obj(
            {
                "id": STRING,
                "title": STRING,
                "check": STRING,
                "level": STRING,
                "kinds": array(STRING),
            },
            ("id", "check", "level"),
        )
    ),
    "summary": CARD_SUMMARY,
}
OWNER_LEVEL = obj(
    {
        "owner": STRING,
        "level": STRING,
        "levelIndex": INTEGER,
        "entities": INTEGER,
        "passed": INTEGER,
        "total": INTEGER,
        "levels": array(LEVEL_COUNT),
    },
    ("owner", "level", "entities"),
)
SCORECARDS = operation(
    "getScorecards",
    "The scorecards in force, each with the whole catalog's standing",
    {
        200: obj(
            {"errors": array(STRING), "scorecards": array(obj(CARD, ("id",)))},
            ("errors", "scorecards"),
        )
    },
    tag="compliance",
)
SCORECARD = operation(
    "getScorecard",
    "One scorecard: its rules, the catalog's standing and each owner's level",
    {
        200: obj(CARD | {"owners": array(OWNER_LEVEL)}, ("id", "summary", "owners")),
        **NOT_FOUND,
    },
    tag="compliance",
)
SCORE = obj(
    {
        "entityRef": STRING,
        "kind": STRING,
        "owner": {"type": "string", "nullable": True},
        "level": STRING,
        "passed": INTEGER,
        "total": INTEGER,
    },
    ("entityRef", "level", "passed", "total"),
)
SCORES = operation(
    "getScorecardEntities",
    "The entities on one scorecard: a rule's failures, an owner's, one level's",
    {
        200: obj(
            {"scorecard": STRING, "totalItems": INTEGER, "items": array(SCORE)},
            ("scorecard", "totalItems", "items"),
        ),
        **NOT_FOUND,
    },
    parameters=[
        query("rule", "only entities this rule judged"),
        query("result", "with rule: failed (default) or passed"),
        query("owner", "only this owner's (an entity ref)"),
        query("level", "only entities at this level (none for none)"),
        *PAGE,
    ],
    tag="compliance",
)
ENTITY_SCORES = operation(
    "getEntityScores",
    "One entity's results on every scorecard that applies to it",
    {
        200: obj(
            {
                "entityRef": STRING,
                "scorecards": array(
                    obj(
                        {
                            "scorecard": STRING,
                            "level": STRING,
                            "passed": INTEGER,
                            "total": INTEGER,
                            "computedAt": STRING,
                            "current": {"type": "boolean"},
                            "rules": array(
                                obj(
                                    {
                                        "rule": STRING,
                                        "level": STRING,
                                        "passed": {"type": "boolean"},
                                        "detail": STRING,
                                    },
                                    ("rule", "passed", "detail"),
                                )
                            ),
                        },
                        ("scorecard", "level", "rules"),
                    )
                ),
            },
            ("entityRef", "scorecards"),
        ),
        **NOT_FOUND,
    },
    tag="compliance",
)
