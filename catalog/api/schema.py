"""The OpenAPI description of the catalog's API, for drf-spectacular (served at
/api/schema/ with every app's).

The views build their JSON by hand (the stored entity JSON is served as it is), so
there are no serializers to introspect: each operation is described here with the
helpers of core/api/schema.py, next to the shared shapes (`COMPONENTS`, appended to
the schema by settings), and applied to its view with `@extend_schema_view`.
tests/portal/api/test_schema.py runs Schemathesis against it, so it has to say what the
server really does.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse

from core.api.schema import (
    ANY_OBJECT,
    ERROR,
    INTEGER,
    NOT_FOUND,
    NULLABLE_STRING,
    PAGE,
    STRING,
    Schema,
    array,
    number,
    obj,
    operation,
    query,
    ref,
)

PREDICATE: Schema = {
    **ANY_OBJECT,
    "description": "Backstage's predicate: field values, $all, $any, $not, $exists, "
    "$in, $hasPrefix, $contains.",
}


def add_components(result: Schema, **_: Any) -> Schema:
    """drf-spectacular's post-processing hook: the shapes the operations share."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(
        COMPONENTS["schemas"]
    )
    return result


# OpenAPI links: where one operation's answer names what another takes, so that
# clients (and Schemathesis' stateful phase, tests/portal/api/test_schema_fuzz_roles.py)
# can follow register -> read -> delete, list -> entity by name, and so on.
# (source operationId, status) -> [(link name, target operationId, parameters)]
ENTITY_0 = {
    "kind": "$response.body#/0/kind",
    "namespace": "$response.body#/0/metadata/namespace",
    "name": "$response.body#/0/metadata/name",
}
ENTITY = {
    "kind": "$response.body#/kind",
    "namespace": "$response.body#/metadata/namespace",
    "name": "$response.body#/metadata/name",
}
LINKS: dict[tuple[str, str], list[tuple[str, str, dict[str, str]]]] = {
    ("createLocation", "201"): [
        (name, target, {"uid": "$response.body#/location/id"})
        for name, target in (
            ("GetLocation", "getLocation"),
            ("UpdateLocation", "updateLocation"),
            ("DeleteLocation", "deleteLocation"),
            ("GetLocationCrawls", "getLocationCrawls"),
        )
    ],
    ("getLocation", "200"): [
        ("DeleteLocation", "deleteLocation", {"uid": "$response.body#/id"}),
        ("GetLocationCrawls", "getLocationCrawls", {"uid": "$response.body#/id"}),
    ],
    ("getEntities", "200"): [
        ("GetEntityByName", "getEntityByName", ENTITY_0),
        ("GetEntityByUid", "getEntityByUid", {"uid": "$response.body#/0/metadata/uid"}),
        (
            "DeleteEntityByUid",
            "deleteEntityByUid",
            {"uid": "$response.body#/0/metadata/uid"},
        ),
    ],
    ("getEntityByName", "200"): [
        ("GetEntityAncestry", "getEntityAncestryByName", ENTITY),
        ("GetLocationByEntity", "getLocationByEntity", ENTITY),
        ("GetEntityHistory", "getEntityHistory", ENTITY),
        ("GetEntityScores", "getEntityScores", ENTITY),
        ("GetEntityAt", "getEntityAt", ENTITY),
        (
            "DeleteEntityByUid",
            "deleteEntityByUid",
            {"uid": "$response.body#/metadata/uid"},
        ),
    ],
    ("createWebhook", "201"): [
        (name, target, {"uid": "$response.body#/id"})
        for name, target in (
            ("GetWebhook", "getWebhook"),
            ("GetWebhookDeliveries", "getWebhookDeliveries"),
            ("RotateWebhookSecret", "rotateWebhookSecret"),
            ("DeleteWebhook", "deleteWebhook"),
        )
    ],
}


def add_links(result: Schema, **_: Any) -> Schema:
    """drf-spectacular's post-processing hook: LINKS, for operations that exist."""
    operations = {
        operation.get("operationId"): operation
        for path in result.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict)
    }
    for (source, status), links in LINKS.items():
        response = operations.get(source, {}).get("responses", {}).get(status)
        if response is None:
            continue
        response["links"] = {
            name: {"operationId": target, "parameters": parameters}
            for name, target, parameters in links
            if target in operations
        }
    return result


# Entities are served as stored; a `fields` projection keeps only some parts, so
# nothing is required.
COMPONENTS: Schema = {
    "schemas": {
        "Entity": obj(
            {
                "apiVersion": STRING,
                "kind": STRING,
                "metadata": obj(
                    {
                        "name": STRING,
                        "namespace": STRING,
                        "uid": STRING,
                        "etag": STRING,
                        "title": STRING,
                        "description": STRING,
                        "labels": ANY_OBJECT,
                        "annotations": ANY_OBJECT,
                        "tags": array(STRING),
                        "links": array(ANY_OBJECT),
                    },
                    additionalProperties=True,
                ),
                "spec": ANY_OBJECT,
                "relations": array(
                    obj({"type": STRING, "targetRef": STRING}, ("type", "targetRef"))
                ),
                "status": obj({"items": array(ANY_OBJECT)}),
            },
            additionalProperties=True,
        ),
        "EntityPage": obj(
            {
                "items": array(ref("Entity")),
                "totalItems": INTEGER,
                "pageInfo": obj({"nextCursor": STRING, "prevCursor": STRING}),
            },
            ("items", "totalItems", "pageInfo"),
        ),
        "Location": obj(
            {"id": STRING, "type": STRING, "target": STRING, "entityRef": STRING},
            ("id", "type", "target", "entityRef"),
        ),
        "LocationSpec": obj(
            {
                "type": {"type": "string", "enum": ["url"]},
                "target": STRING,
                "presence": {"type": "string", "enum": ["required", "optional"]},
            },
            ("type", "target"),
            additionalProperties=False,
        ),
        "Facets": obj(
            {
                "facets": {
                    "type": "object",
                    "additionalProperties": array(
                        obj({"value": STRING, "count": INTEGER}, ("value", "count"))
                    ),
                }
            },
            ("facets",),
        ),
        "Error": ERROR,
    }
}

ENTITY_OR_404 = {200: ref("Entity"), **NOT_FOUND}


FILTER = query(
    "filter",
    "key=value conditions, comma-separated (AND); repeated parameters OR",
    many=True,
)
FIELDS = query("fields", "dotted paths to keep, comma-separated", many=True)
OFFSET, LIMIT = number("offset", "rows to skip"), number("limit", "page size")

ENTITY_LIST = operation(
    "getEntities",
    "List entities (legacy)",
    {200: array(ref("Entity"))},
    parameters=[
        FILTER,
        FIELDS,
        query("order", "asc:<field> or desc:<field>", many=True),
        OFFSET,
        LIMIT,
        query("after", "the cursor of a Link header"),
    ],
)
QUERY_PARAMETERS = [
    FILTER,
    FIELDS,
    query("orderField", "field[,asc|desc]; only the first one is used", many=True),
    query("fullTextFilterTerm", "case-insensitive substring"),
    query("fullTextFilterFields", "comma-separated fields to search"),
    LIMIT,
    OFFSET,
    query("cursor", "pageInfo.nextCursor or prevCursor of an earlier page"),
    query("totalItems", "include (default) or exclude", enum=["include", "exclude"]),
]
QUERY_BODY = obj(
    {
        "query": PREDICATE,
        "orderBy": array(
            obj(
                {"field": STRING, "order": {"type": "string", "enum": ["asc", "desc"]}},
                ("field",),
            )
        ),
        "fullTextFilter": obj({"term": STRING, "fields": array(STRING)}),
        "fields": array(STRING),
        "limit": {"type": "integer", "minimum": 0},
        "offset": {"type": "integer", "minimum": 0},
        "cursor": STRING,
        "totalItems": {"type": "string", "enum": ["include", "exclude"]},
    }
)
ENTITY_QUERY_GET = operation(
    "getEntitiesByQuery",
    "Query entities, cursor-paged",
    {200: ref("EntityPage")},
    parameters=QUERY_PARAMETERS,
)
ENTITY_QUERY_POST = operation(
    "queryEntitiesByPredicate",
    "Query entities with a predicate, cursor-paged",
    {200: ref("EntityPage")},
    request=QUERY_BODY,
)
ENTITY_BY_NAME = operation(
    "getEntityByName", "One entity by kind, namespace and name", ENTITY_OR_404
)
ENTITY_BY_UID = operation("getEntityByUid", "One entity by uid", ENTITY_OR_404)
ENTITY_DELETE = operation(
    "deleteEntityByUid",
    "Delete an entity (its location writes it back if its file still declares it)",
    {204: None},
)
ANCESTRY = operation(
    "getEntityAncestryByName",
    "The Location entities that emitted an entity, up to its registration's",
    {
        200: obj(
            {
                "rootEntityRef": STRING,
                "items": array(
                    obj(
                        {"entity": ref("Entity"), "parentEntityRefs": array(STRING)},
                        ("entity", "parentEntityRefs"),
                    )
                ),
            },
            ("rootEntityRef", "items"),
        ),
        **NOT_FOUND,
    },
)
BY_REFS = operation(
    "getEntitiesByRefs",
    "Entities by ref, in request order, null where missing",
    {
        200: obj(
            {"items": array({**ref("Entity"), "nullable": True})},
            ("items",),
        )
    },
    parameters=[FILTER],
    request=obj(
        {"entityRefs": array(STRING), "fields": array(STRING), "query": PREDICATE},
        ("entityRefs",),
    ),
)
FACETS_GET = operation(
    "getEntityFacets",
    "Value counts of fields",
    {200: ref("Facets")},
    parameters=[query("facet", "a field to count", many=True, required=True), FILTER],
)
FACETS_POST = operation(
    "queryEntityFacetsByPredicate",
    "Value counts of fields, over entities chosen by a predicate",
    {200: ref("Facets")},
    request=obj({"facets": array(STRING), "query": PREDICATE}, ("facets",)),
)
REFRESH = operation(
    "refreshEntity",
    "Crawl the entity's location again, now",
    {200: None, **NOT_FOUND},
    request=obj({"entityRef": STRING, "authorizationToken": STRING}, ("entityRef",)),
)
VALIDATE = operation(
    "validateEntity",
    "Check an entity as a crawl would, storing nothing",
    {
        200: None,
        400: OpenApiResponse(
            {
                "oneOf": [
                    ref("Error"),
                    obj(
                        {"errors": array(obj({"name": STRING, "message": STRING}))},
                        ("errors",),
                    ),
                ]
            },
            "The entity's problems, or a malformed request",
        ),
    },
    request=obj({"location": STRING, "entity": ANY_OBJECT}, ("location", "entity")),
)
LOCATIONS_LIST = operation(
    "getLocations",
    "Every registered location",
    {200: array(obj({"data": ref("Location")}, ("data",)))},
)
LOCATION_CREATE = operation(
    "createLocation",
    "Register a repository (or a file on a git host); dryRun previews it",
    {
        201: obj(
            {
                "location": obj(
                    {
                        "id": STRING,
                        "type": STRING,
                        "target": STRING,
                        "entityRef": STRING,
                    },
                    ("id", "type", "target"),
                ),
                "entities": array(ref("Entity")),
                "exists": {"type": "boolean"},
            },
            ("location", "entities"),
        ),
        409: OpenApiResponse(ref("Error"), "Already registered"),
    },
    parameters=[
        query("dryRun", "true: read it and store nothing", enum=["true", "false"]),
        query(
            "onConflict",
            "refresh: crawl an existing registration again",
            enum=["reject", "refresh"],
        ),
    ],
    request=ref("LocationSpec"),
)
LOCATION = operation("getLocation", "One location", {200: ref("Location"), **NOT_FOUND})
LOCATION_UPDATE = operation(
    "updateLocation",
    "Point a location at another target",
    {
        200: ref("Location"),
        409: OpenApiResponse(ref("Error"), "Already registered"),
        **NOT_FOUND,
    },
    request=ref("LocationSpec"),
)
LOCATION_DELETE = operation(
    "deleteLocation",
    "Unregister a location and remove what it produced",
    {204: None, **NOT_FOUND},
)
LOCATION_BY_ENTITY = operation(
    "getLocationByEntity",
    "The location an entity came from",
    {200: ref("Location"), **NOT_FOUND},
)
LOCATION_QUERY = operation(
    "getLocationsByQuery",
    "Locations chosen by a predicate over id, type and target, paged",
    {
        200: obj(
            {
                "items": array(ref("Location")),
                "totalItems": INTEGER,
                "pageInfo": obj({"nextCursor": STRING}),
            },
            ("items", "totalItems", "pageInfo"),
        )
    },
    request=obj(
        {
            "query": PREDICATE,
            "limit": {"type": "integer", "minimum": 1},
            "cursor": STRING,
        }
    ),
)
ANALYZE = operation(
    "analyzeLocation",
    "What a repository holds, for the import wizard (it is cloned; nothing stored)",
    {
        200: obj(
            {
                "existingEntityFiles": array(
                    obj(
                        {
                            "location": obj({"type": STRING, "target": STRING}),
                            "isRegistered": {"type": "boolean"},
                            "entity": ref("Entity"),
                        }
                    )
                ),
                "generateEntities": array(
                    obj({"entity": ANY_OBJECT, "fields": array(ANY_OBJECT)})
                ),
                # Only when the repository could not be read: why, and that the
                # proposal comes from the URL alone.
                "note": STRING,
            },
            ("existingEntityFiles", "generateEntities"),
        )
    },
    request=obj(
        {"location": ref("LocationSpec"), "catalogFilename": STRING}, ("location",)
    ),
)

HISTORY = operation(
    "getEntityHistory",
    "An entity's revisions, newest first",
    {
        200: obj(
            {
                "items": array(
                    obj(
                        {
                            "entityRef": STRING,
                            "uid": STRING,
                            "action": {
                                "type": "string",
                                "enum": ["added", "changed", "removed"],
                            },
                            "recordedAt": {"type": "string", "format": "date-time"},
                            "repository": STRING,
                            "path": STRING,
                            "commit": STRING,
                            "owner": NULLABLE_STRING,
                            "entity": {**ANY_OBJECT, "nullable": True},
                        }
                    )
                )
            },
            ("items",),
        ),
        **NOT_FOUND,
    },
    parameters=PAGE,
    tag="greenroom",
)
ERROR_LIST = operation(
    "getProcessingErrors",
    "Current processing errors",
    {
        200: obj(
            {
                "totalItems": INTEGER,
                "items": array(
                    obj(
                        {
                            "location": STRING,
                            "path": STRING,
                            "entityRef": NULLABLE_STRING,
                            "level": {"type": "string", "enum": ["error", "warning"]},
                            "message": STRING,
                            "commit": STRING,
                        }
                    )
                ),
            },
            ("totalItems", "items"),
        ),
        **NOT_FOUND,
    },
    parameters=[
        query("level", "error or warning", enum=["error", "warning"]),
        query("entityRef", "errors of one entity"),
        query("location", "errors of one location (its id)"),
        *PAGE,
    ],
    tag="greenroom",
)
CRAWLS = operation(
    "getLocationCrawls",
    "A location's state and its recent crawls, newest first",
    {
        200: obj(
            {
                "status": STRING,
                "lastCommit": NULLABLE_STRING,
                "lastError": NULLABLE_STRING,
                "items": array(ANY_OBJECT),
            },
            ("status", "items"),
        ),
        **NOT_FOUND,
    },
    parameters=PAGE,
    tag="greenroom",
)
