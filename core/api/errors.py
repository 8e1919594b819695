"""Errors in the shape Backstage's catalog API returns them.

`{"error": {"name", "message"}, "request": {"method", "url"}, "response":
{"statusCode"}}`, with Backstage's names for the status codes.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

NAMES = {
    400: "InputError",
    401: "AuthenticationError",
    403: "NotAllowedError",
    404: "NotFoundError",
    405: "NotAllowedError",
    409: "ConflictError",
    429: "TooManyRequestsError",
}


class InputError(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Invalid input"


class NotFoundError(exceptions.NotFound):
    pass


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict"


def _message(detail: Any) -> str:
    if isinstance(detail, list):
        return "; ".join(_message(item) for item in detail)
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_message(value)}" for key, value in detail.items())
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's hook: every API error in Backstage's envelope; others stay 500s."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found")
    elif isinstance(exc, PermissionDenied):  # an ownership rule's refusal
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, exceptions.UnsupportedMediaType):  # a 400, as in Backstage
        exc = InputError(
            "the body must be JSON, sent as Content-Type: application/json"
        )
    if not isinstance(exc, exceptions.APIException):
        return None
    request = context["request"]
    code = exc.status_code
    body = {
        "error": {"name": NAMES.get(code, "Error"), "message": _message(exc.detail)},
        "request": {"method": request.method, "url": request.get_full_path()},
        "response": {"statusCode": code},
    }
    headers = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait))
    if code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return Response(body, status=code, headers=headers)
