"""JSON bodies for the API: size-limited, and only text PostgreSQL can hold.

PostgreSQL text cannot hold NUL characters, and lone surrogates (which JSON's
`\\udXXX` escapes can produce) cannot be encoded at all: both are refused with a
400 wherever they come in (path, query string, body), rather than failing deep
inside a query. Bodies are JSON, at most GREENROOM_API_MAX_BODY bytes.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 64


def unusable(value: Any, depth: int = 0) -> bool:
    """True when a string somewhere in `value` cannot be stored or compared."""
    if depth > MAX_DEPTH:
        return True
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(
            unusable(k, depth + 1) or unusable(v, depth + 1) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(unusable(item, depth + 1) for item in value)
    return False


class JsonBodyParser(JSONParser):
    """DRF's JSON parser, with a size limit and the checks above."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        limit = int(settings.GREENROOM_API_MAX_BODY)
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise ParseError(f"the body is larger than {limit} bytes")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(f"the body is larger than {limit} bytes")
        try:
            text = codecs.decode(raw, "utf-8")
            data = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"the body is not valid JSON: {exc}") from None
        if unusable(data):
            raise ParseError(
                "the body holds a NUL character or invalid Unicode, "
                "or is nested too deeply"
            )
        return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
