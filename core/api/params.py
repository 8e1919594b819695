"""Reading the API's query parameters: every bad value is a clear 400."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import QueryDict

from core import inputs
from core.api.errors import InputError


def body_integer(body: dict[str, Any], name: str, *, maximum: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(f"{name} must be an integer of at least 0")
    if value > maximum:
        raise InputError(f"{name} must be at most {maximum}")
    return value


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def integer(query: QueryDict, name: str, *, minimum: int, maximum: int) -> int | None:
    text = query.get(name)
    if text is None:
        return None
    try:
        return inputs.integer(text, name, minimum=minimum, maximum=maximum)
    except inputs.InputRefused as exc:
        raise InputError(str(exc)) from None


def max_page() -> int:
    return int(settings.GREENROOM_API_MAX_PAGE)
