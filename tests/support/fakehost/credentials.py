"""The credential a request carries, read the way each host reads it."""

from __future__ import annotations

import base64
import binascii


def scheme(headers: dict[str, str], *names: str) -> str | None:
    """The value after `Authorization: <scheme>` when the scheme is one of `names`."""
    kind, _, value = headers.get("authorization", "").strip().partition(" ")
    if kind.lower() in names and value.strip():
        return value.strip()
    return None


def basic_password(headers: dict[str, str]) -> str | None:
    """The password of `Authorization: Basic base64(user:password)`; any user."""
    value = scheme(headers, "basic")
    if value is None:
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, colon, password = decoded.partition(":")
    return password if colon else None


def git_token(headers: dict[str, str]) -> str | None:
    """What a git client sends: Basic any-user:token, or a Bearer token."""
    return basic_password(headers) or scheme(headers, "bearer")
