"""What goes over the wire at /scim/v2/: JSON in, application/scim+json out.

Bodies are read as JSON whatever Content-Type they declare (Okta's requests name
none in its documentation, Entra ID sends application/scim+json, some clients
application/json), at most GREENROOM_API_MAX_BODY bytes, read from the stream
so that a larger body is refused with a 413 before it is held in memory. Answers
are always application/scim+json, whatever the Accept header asks (RFC 7644,
3.1), so no client gets a 406.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from django.conf import settings
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer

from core.api.parsers import unusable
from people.scim.errors import ScimError, invalid_syntax

MEDIA_TYPE = "application/scim+json"


def max_body() -> int:
    return int(settings.GREENROOM_API_MAX_BODY)


def too_large() -> ScimError:
    return ScimError(413, f"the body is larger than {max_body()} bytes")


class ScimJsonParser(BaseParser):
    """A JSON body, size-limited, holding only text PostgreSQL can store.

    Not a JSONParser subclass: DRF hands those the whole body read by Django
    (request.body) rather than the stream."""

    media_type = "*/*"

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        limit = max_body()
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH", "") if request else ""
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise too_large()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large()
        try:
            data = json.loads(codecs.decode(raw, "utf-8"), parse_constant=_refuse)
        except (ValueError, RecursionError) as exc:
            raise invalid_syntax(f"the body is not valid JSON: {exc}") from None
        if unusable(data):
            raise invalid_syntax(
                "the body holds a NUL character or invalid Unicode, "
                "or is nested too deeply"
            )
        return data


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class ScimJsonRenderer(JSONRenderer):
    media_type = MEDIA_TYPE
    format = "scim"


class ScimNegotiation(BaseContentNegotiation):
    """One parser and one renderer, whatever the headers say."""

    def select_parser(self, request: Any, parsers: list[BaseParser]) -> BaseParser:
        return parsers[0]

    def select_renderer(
        self,
        request: Any,
        renderers: list[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], MEDIA_TYPE
