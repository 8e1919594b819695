"""SCIM error responses (RFC 7644, 3.12): every error at /scim/v2/ has this shape.

`{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409",
"scimType": "uniqueness", "detail": "..."}`: the status is a string, as the RFC
writes it, and `scimType` is there for the 400s and 409s it names.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
log = logging.getLogger(__name__)


class ScimError(Exception):
    """A request refused with `status` and, for the 400s and 409s the RFC names,
    a `scim_type` (invalidFilter, invalidSyntax, invalidPath, noTarget,
    invalidValue, mutability, uniqueness, tooMany)."""

    def __init__(self, status: int, detail: str, scim_type: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidSyntax")


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidPath")


def not_found(kind: str, resource_id: str) -> ScimError:
    return ScimError(404, f"{kind} {resource_id[:100]!r} not found")


def body(status: int, detail: str, scim_type: str = "") -> dict[str, Any]:
    doc: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status)}
    if scim_type:
        doc["scimType"] = scim_type
    doc["detail"] = detail
    return doc


def _detail(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_detail(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_detail(item)}" for key, item in value.items())
    return str(value)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's hook for the SCIM views: every error, expected or not, in the SCIM
    shape (an unexpected one is logged and answered with a plain 500)."""
    headers: dict[str, str] = {}
    if isinstance(exc, ScimError):
        status, detail, scim_type = exc.status, exc.detail, exc.scim_type
    elif isinstance(exc, Http404):
        status, detail, scim_type = 404, "not found", ""
    elif isinstance(exc, exceptions.APIException):
        status, detail = exc.status_code, _detail(exc.detail)
        scim_type = "invalidSyntax" if isinstance(exc, exceptions.ParseError) else ""
        if auth_header := getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = auth_header
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait))
    else:
        log.error("SCIM request failed", exc_info=exc)
        status, detail, scim_type = 500, "the request failed (see the logs)", ""
    return Response(body(status, detail, scim_type), status=status, headers=headers)
