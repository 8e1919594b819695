"""Entity references: `[<kind>:][<namespace>/]<name>`, compared lower-cased."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_NAMESPACE = "default"


class RefError(ValueError):
    """A reference that cannot be parsed, with the reason."""


@dataclass(frozen=True, slots=True)
class EntityName:
    kind: str
    namespace: str
    name: str

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}".lower()


def parse_ref(
    text: str,
    *,
    default_kind: str | None = None,
    default_namespace: str = DEFAULT_NAMESPACE,
) -> EntityName:
    """Parse a reference the way Backstage does.

    The first `:` ends the kind only when it comes before the first `/`; the first
    `/` ends the namespace; the rest is the name (so `a/b/c` is namespace `a`, name
    `b/c`). Missing parts take the defaults; an empty part is an error.
    """
    if not isinstance(text, str) or not text:
        raise RefError("entity reference must be a non-empty string")
    # Not trimmed: Backstage keeps surrounding spaces as part of the ref.
    rest = text
    kind: str | None = None
    colon, slash = rest.find(":"), rest.find("/")
    if colon != -1 and (slash == -1 or colon < slash):
        kind, rest = rest[:colon], rest[colon + 1 :]
        if not kind:
            raise RefError(f"entity reference {text!r} had missing or empty kind")
    namespace: str | None = None
    slash = rest.find("/")
    if slash != -1:
        namespace, rest = rest[:slash], rest[slash + 1 :]
        if not namespace:
            raise RefError(f"entity reference {text!r} had missing or empty namespace")
    if not rest:
        raise RefError(f"entity reference {text!r} had missing or empty name")
    kind = kind or default_kind
    if not kind:
        raise RefError(
            f"entity reference {text!r} had missing or empty kind "
            "(e.g. did not start with 'component:' or similar)"
        )
    return EntityName(kind, namespace or default_namespace, rest)


def compound_ref(
    value: dict[str, object], *, default_kind: str | None, default_namespace: str
) -> EntityName:
    """The `{kind, namespace, name}` form of a reference."""
    kind = value.get("kind") or default_kind
    namespace = value.get("namespace") or default_namespace
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise RefError(f"entity reference {value!r} had missing or empty name")
    if not isinstance(kind, str) or not kind:
        raise RefError(f"entity reference {value!r} had missing or empty kind")
    if not isinstance(namespace, str):
        raise RefError(f"entity reference {value!r} had an invalid namespace")
    return EntityName(kind, namespace, name)
