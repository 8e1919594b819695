"""Entity references as people read them and as page addresses."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from django.urls import get_script_prefix

from catalog.descriptor.refs import RefError, parse_ref

DEFAULT_NAMESPACE = "default"
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def split_ref(ref: str) -> tuple[str, str, str]:
    """(kind, namespace, name) of a stored, complete ref like `component:default/x`."""
    kind, _, rest = ref.partition(":")
    namespace, _, name = rest.partition("/")
    return kind, namespace, name


def entity_url(ref: str, tab: str = "") -> str:
    """The entity page's address (catalog/urls.py ENTITY), built without `reverse`:
    pages link hundreds of entities, and reverse costs ~50 µs each."""
    parts = "/".join(quote(part, safe="") for part in _url_order(ref))
    url = f"{get_script_prefix()}catalog/{parts}"
    return f"{url}/{tab}" if tab else url


def _url_order(ref: str) -> tuple[str, str, str]:
    kind, namespace, name = split_ref(ref)
    return namespace, kind, name


def short_ref(ref: str) -> str:
    """`name`, or `namespace/name` outside the default namespace."""
    if not ref:
        return ""
    _, namespace, name = split_ref(ref)
    return name if namespace == DEFAULT_NAMESPACE else f"{namespace}/{name}"


def full_ref(text: str, default_kind: str | None = None) -> str | None:
    """A user's reference completed to the stored form, or None if unreadable."""
    try:
        return parse_ref(text, default_kind=default_kind).ref
    except RefError:
        return None


def safe_url(url: object) -> str | None:
    """The URL if following it cannot run script (http, https, mailto), else None."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in SAFE_SCHEMES else None
