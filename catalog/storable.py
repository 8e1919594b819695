"""Make text from git, YAML or the network storable, in one place.

PostgreSQL refuses NUL characters in text and in jsonb strings, and psycopg cannot
encode lone surrogates (which `json.loads` and GitPython's `surrogateescape`
produce) as UTF-8; a value longer than its column fails the statement. Any of them
would abort a crawl's whole transaction, so everything a crawl writes passes
through these functions first.

Descriptors that hold such characters are refused by validation with an error
naming the field (catalog/descriptor/validation.py, `unstorable_field`): what is
escaped here is only error text and the like, never an entity's content.
"""

from __future__ import annotations

import re
from typing import Any

from catalog.descriptor.rules import UNSTORABLE

ELLIPSIS = "…"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return "\\x00" if code == 0 else f"\\u{code:04x}"


def storable_text(value: object, max_length: int | None = None) -> str:
    """`value` as text the database accepts: NUL and lone surrogates escaped
    (visibly, as `\\x00` and `\\udXXX`), cut to `max_length` with an ellipsis."""
    text = value if isinstance(value, str) else str(value)
    if UNSTORABLE.search(text):
        text = UNSTORABLE.sub(_escape, text)
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1] + ELLIPSIS
    return text


def storable_json(value: Any) -> Any:
    """A JSON value whose strings and keys are all storable (not cut: the limits
    on a document's size and fields are checked when it is validated)."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_text(k): storable_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable_json(item) for item in value]
    return value


def has_unstorable(text: str) -> bool:
    return UNSTORABLE.search(text) is not None


# Unbounded text columns (errors, messages) are still cut: a message quoting a
# megabyte of hostile YAML helps nobody and is shown on pages and in the API.
TEXT_MAX = 4000


def fit(model: Any, name: str, value: object) -> str:
    """`value` made storable in `model`'s column `name`: cut to its size, or to
    TEXT_MAX for a text column."""
    length: int | None = model._meta.get_field(name).max_length
    return storable_text(value, length or TEXT_MAX)
