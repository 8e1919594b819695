"""Template helpers for entity refs and links; everything they output is escaped."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import template
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeString

from catalog import highlight as highlighting
from catalog import refs_display
from catalog.descriptor.kinds import KINDS

register = template.Library()
KIND_LABELS = {kind.lower(): kind for kind in KINDS}


@register.simple_tag
def entity_link(ref: str, label: str = "", tab: str = "") -> SafeString:
    """A link to the entity page of `ref`, labelled with its short name."""
    if not ref or ref.count(":") < 1 or "/" not in ref:
        return format_html("{}", ref)
    return format_html(
        '<a href="{}" title="{}">{}</a>',
        refs_display.entity_url(ref, tab),
        ref,
        label or refs_display.short_ref(ref),
    )


@register.filter
def entity_url(ref: str) -> str:
    return refs_display.entity_url(ref)


@register.filter
def short_ref(ref: str) -> str:
    return refs_display.short_ref(ref)


@register.filter
def ref_kind(ref: str) -> str:
    return refs_display.split_ref(ref)[0]


@register.filter
def ref_path(ref: str) -> str:
    """`kind/namespace/name`, each part quoted: addresses keyed by a ref."""
    return "/".join(quote(part, safe="") for part in refs_display.split_ref(ref))


@register.filter
def kind_label(kind: str) -> str:
    """`api` -> `API`, `component` -> `Component`: kinds as Backstage writes them."""
    return KIND_LABELS.get(kind.lower(), kind[:1].upper() + kind[1:])


@register.filter
def safe_url(url: Any) -> str | None:
    return refs_display.safe_url(url)


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes)."""
    query: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = value
    if "page" not in changes:
        query.pop("page", None)  # a new filter starts at the first page
    return "?" + query.urlencode() if query else "?"


@register.simple_tag(takes_context=True)
def query_toggle(context: dict[str, Any], key: str, value: str) -> str:
    """The current query string with `key=value` added, or removed if present."""
    query: QueryDict = context["request"].GET.copy()
    values = query.getlist(key)
    if value in values:
        values.remove(value)
    else:
        values.append(value)
    query.setlist(key, values)
    query.pop("page", None)
    return "?" + query.urlencode() if query else "?"


@register.simple_tag
def highlight(text: Any, query: str, width: int = 0) -> SafeString:
    """`text` escaped, its query words marked, cut around the first match."""
    return highlighting.highlight(text if isinstance(text, str) else "", query, width)
