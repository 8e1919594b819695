"""The building blocks of every app's OpenAPI description, for drf-spectacular.

The views build their JSON by hand, so there are no serializers to introspect:
each app describes its operations with these helpers (catalog/api/schema.py, and
each app's schema.py) and applies them to its views with `@extend_schema_view`.
Every operation answers errors in the shape of core/api/errors.py (`ERROR`).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(properties: Schema, required: tuple[str, ...] = (), **extra: Any) -> Schema:
    schema: Schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NULLABLE_STRING: Schema = {"type": "string", "nullable": True}
ANY_OBJECT: Schema = {"type": "object", "additionalProperties": True}


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "core.access.BearerTokenAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema: Any) -> Schema:
        return {"type": "http", "scheme": "bearer"}


# The "Error" component: core/api/errors.py's envelope.
ERROR: Schema = obj(
    {
        "error": obj({"name": STRING, "message": STRING}, ("name", "message")),
        "request": obj({"method": STRING, "url": STRING}),
        "response": obj({"statusCode": INTEGER}),
    },
    ("error", "response"),
)
ERRORS = {
    400: OpenApiResponse(ref("Error"), "Bad input; the message says what is wrong"),
    401: OpenApiResponse(ref("Error"), "No or an invalid token or session"),
    403: OpenApiResponse(ref("Error"), "A write without the editor role or scope"),
    429: OpenApiResponse(ref("Error"), "Too many requests for this token"),
}
NOT_FOUND = {404: OpenApiResponse(ref("Error"), "Not in the catalog")}


def operation(
    operation_id: str,
    summary: str,
    responses: dict[int, Any],
    *,
    parameters: list[OpenApiParameter] | None = None,
    request: Schema | None = None,
    tag: str = "catalog",
) -> Any:
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        parameters=parameters or [],
        request={"application/json": request} if request else None,
        responses={**ERRORS, **responses},
        tags=[tag],
    )


def query(name: str, description: str, *, many: bool = False, **extra: Any) -> Any:
    kind = {"type": "array", "items": STRING} if many else OpenApiTypes.STR
    return OpenApiParameter(
        name, kind, OpenApiParameter.QUERY, description=description, **extra
    )


def number(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.INT, OpenApiParameter.QUERY, description=description
    )


PAGE = [number("offset", "rows to skip"), number("limit", "page size (default 100)")]
