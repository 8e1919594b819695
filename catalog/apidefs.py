"""API entities' definitions: their text, how to serve it and how to show it.

A definition is whatever the descriptor's author wrote (or a repository file read
through `$text`), so it is untrusted: it is only ever served as plain text or JSON,
and shown through Pygments, which escapes it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import (
    GraphQLLexer,
    JsonLexer,
    ProtoBufLexer,
    TextLexer,
    YamlLexer,
)

from catalog.models import Entity, Relation

# Pygments takes about a second per MB and makes three times as much HTML: past
# this many characters people get the plain text, so one page cannot hog a worker.
HIGHLIGHT_LIMIT = 512 * 1024

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"
EXTENSIONS = {"graphql": "graphql", "grpc": "proto"}
PROVIDED_BY, CONSUMED_BY = "apiProvidedBy", "apiConsumedBy"
SIDES = (PROVIDED_BY, CONSUMED_BY)
UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def is_api(entity: Entity) -> bool:
    # Kinds are stored as written ("API"); Backstage compares them case-insensitively.
    return entity.kind.lower() == "api"


def api_type(entity: Entity) -> str:
    """`spec.type`, lower-cased as Backstage compares it; "" when absent."""
    value = _spec(entity).get("type")
    return value.strip().lower() if isinstance(value, str) else ""


def is_openapi(entity: Entity) -> bool:
    return is_api(entity) and api_type(entity) == "openapi"


def definition_text(entity: Entity) -> str:
    """`spec.definition` as text; a `$json`/`$yaml` substitution left an object,
    which is shown as the JSON it is equivalent to."""
    value = _spec(entity).get("definition")
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False)


def is_json(text: str) -> bool:
    # Every JSON document is also YAML: only a JSON parse tells them apart.
    if not text.lstrip().startswith(("{", "[")):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def raw_content_type(text: str) -> str:
    """application/json for JSON, else plain text: never anything a browser runs."""
    return JSON_TYPE if is_json(text) else TEXT_TYPE


def download_name(entity: Entity, text: str) -> str:
    """`<name>.<ext>`, the extension from the type (and JSON-ness) of the text."""
    extension = EXTENSIONS.get(api_type(entity))
    if extension is None:
        extension = "json" if is_json(text) else "yaml"
    stem = UNSAFE_FILENAME.sub("_", entity.name).strip("._") or "definition"
    return f"{stem}.{extension}"


def lexer_for(text: str, kind_of_api: str) -> Lexer:
    """The lexer for a definition of `spec.type` `kind_of_api`."""
    if kind_of_api in ("openapi", "asyncapi"):
        return JsonLexer() if is_json(text) else YamlLexer()
    if kind_of_api == "graphql":
        return GraphQLLexer()
    if kind_of_api == "grpc":
        return ProtoBufLexer()
    return TextLexer()


def highlight(text: str, kind_of_api: str) -> SafeString | None:
    """The text as highlighted HTML, or None when it is too large to highlight."""
    if len(text) > HIGHLIGHT_LIMIT:
        return None
    html = pygments_highlight(
        text,
        lexer_for(text, kind_of_api),
        HtmlFormatter(nowrap=False, cssclass="highlight"),
    )
    return mark_safe(html)  # noqa: S308 - Pygments' HTML formatter escapes the text


def providers_and_consumers(entity: Entity) -> tuple[list[str], list[str]]:
    """Refs of the entities providing and consuming the API, in one query.

    The API side rows (`apiProvidedBy`, `apiConsumedBy`) are read rather than the
    components' forward rows, so the lookup uses the index on `source_ref`.
    """
    rows = (
        Relation.objects.filter(source_ref=entity.ref, type__in=SIDES)
        .values_list("type", "target_ref")
        .distinct()
        .order_by("target_ref")
    )
    found: dict[str, list[str]] = {side: [] for side in SIDES}
    for side, ref in rows:
        found[side].append(ref)
    return found[PROVIDED_BY], found[CONSUMED_BY]


def _spec(entity: Entity) -> dict[str, Any]:
    spec = (entity.processed or {}).get("spec")
    return spec if isinstance(spec, dict) else {}
