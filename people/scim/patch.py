"""PATCH (RFC 7644, 3.5.2) applied to a resource's JSON, as the clients send it.

The operations change a copy of the resource as the client last wrote it; the
result is then checked and stored exactly as a PUT of it would be
(people/scim/store.py), so a PATCH can never store what a PUT could not.

What Okta and Entra ID send, all taken: `op` in any case ("Replace", "Add");
no `path` and a `value` object whose keys are paths themselves ("name.givenName",
an extension's "urn:…:User:employeeNumber"); `emails[type eq "work"].value`,
which adds that e-mail when there is none of that type yet; group members added
as `[{"value": id}]`, removed with `members[value eq "id"]` or, as Entra ID does
without its compliance flag, with `path: "members"` and the values to remove.
Read-only attributes (id, meta, a user's groups) in a value object are skipped,
since Okta sends the id along; a path naming one is a 400 mutability. Passwords
are never stored: a password change is accepted and dropped.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from people.scim import filters
from people.scim.errors import (
    ScimError,
    invalid_path,
    invalid_syntax,
    invalid_value,
)

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_OPERATIONS = 1000
MAX_PATH = 1000
MULTI_VALUED = {
    "emails",
    "phonenumbers",
    "ims",
    "photos",
    "addresses",
    "groups",
    "entitlements",
    "roles",
    "x509certificates",
    "members",
}
# The spelling a new attribute gets when a client names it in another case.
CANONICAL = {
    name.lower(): name
    for name in (
        "userName",
        "externalId",
        "displayName",
        "nickName",
        "profileUrl",
        "userType",
        "preferredLanguage",
        "name",
        "givenName",
        "familyName",
        "middleName",
        "formatted",
        "honorificPrefix",
        "honorificSuffix",
        "emails",
        "phoneNumbers",
        "addresses",
        "members",
        "active",
        "title",
        "locale",
        "timezone",
        "value",
        "type",
        "primary",
        "display",
    )
}
IGNORED = {"password", "schemas"}
_PATH = re.compile(
    r"(?:(?P<uri>urn:[^\[\]\s\"]*?):)?"
    r"(?P<attr>[A-Za-z][\w$-]*)"
    r"(?:\[(?P<where>[^\[\]]*)\])?"
    r"(?:\.(?P<sub>[A-Za-z][\w$-]*))?"
)
_ABSENT = object()


@dataclass(frozen=True, slots=True)
class Path:
    uri: str  # an extension's schema URN, "" for the core schema
    attr: str
    where: filters.Node | None
    sub: str


def parse_path(text: Any) -> Path:
    if not isinstance(text, str) or not text.strip():
        raise invalid_path("a path is a non-empty string")
    if len(text) > MAX_PATH:
        raise invalid_path(f"the path is longer than {MAX_PATH} characters")
    match = _PATH.fullmatch(text.strip())
    if match is None:
        raise invalid_path(f"{text[:100]!r} is not a SCIM attribute path")
    uri = match["uri"] or ""
    if uri.lower() in filters.CORE_SCHEMAS:
        uri = ""
    where = match["where"]
    return Path(
        uri,
        match["attr"],
        filters.parse(where) if where is not None else None,
        match["sub"] or "",
    )


def apply(resource: dict[str, Any], body: Any, read_only: set[str]) -> dict[str, Any]:
    """A copy of `resource` with the PatchOp `body`'s operations applied."""
    if not isinstance(body, dict):
        raise invalid_syntax("a PATCH body is a PatchOp object")
    operations = lookup(body, "Operations")
    if not isinstance(operations, list) or not operations:
        raise invalid_syntax("a PATCH body has a non-empty Operations list")
    if len(operations) > MAX_OPERATIONS:
        raise invalid_syntax(f"a PATCH has at most {MAX_OPERATIONS} operations")
    doc = copy.deepcopy(resource)
    for operation in operations:
        _apply(doc, operation, {name.lower() for name in read_only})
    return doc


def _apply(doc: dict[str, Any], operation: Any, read_only: set[str]) -> None:
    if not isinstance(operation, dict):
        raise invalid_syntax("each operation is an object")
    op = lookup(operation, "op")
    if not isinstance(op, str) or op.lower() not in ("add", "remove", "replace"):
        raise invalid_syntax("an operation's op is add, remove or replace")
    op = op.lower()
    path, value = lookup(operation, "path"), lookup(operation, "value", _ABSENT)
    if path is None or path == "":
        if op == "remove":
            raise ScimError(400, "a remove operation names its path", "noTarget")
        if not isinstance(value, dict):
            raise invalid_value("without a path, the value is an object of attributes")
        for key, item in value.items():
            target = parse_path(key)
            if not target.uri and target.attr.lower() in read_only | IGNORED:
                continue  # Okta sends the id along; passwords are not kept
            _set(doc, op, target, item)
        return
    target = parse_path(path)
    if not target.uri and target.attr.lower() in IGNORED:
        return
    if not target.uri and target.attr.lower() in read_only:
        raise ScimError(400, f"{target.attr} is read-only", "mutability")
    if op == "remove":
        _remove(doc, target, None if value is _ABSENT else value)
        return
    if value is _ABSENT:
        raise invalid_value(f"an {op} operation has a value")
    _set(doc, op, target, value)


def lookup(mapping: Any, name: str, default: Any = None) -> Any:
    """A member of a JSON object, its name in any case (SCIM names are)."""
    if not isinstance(mapping, dict):
        return default
    if name in mapping:
        return mapping[name]
    lowered = name.lower()
    return next((v for k, v in mapping.items() if k.lower() == lowered), default)


def _key(mapping: dict[str, Any], name: str) -> str:
    lowered = name.lower()
    found = next((k for k in mapping if k.lower() == lowered), None)
    return found if found is not None else CANONICAL.get(lowered, name)


def _box(doc: dict[str, Any], uri: str, *, create: bool) -> dict[str, Any] | None:
    """The object an attribute lives in: the resource, or its extension's."""
    if not uri:
        return doc
    key = _key(doc, uri)
    box = doc.get(key)
    if isinstance(box, dict):
        return box
    if not create:
        return None
    doc[key] = {}
    return doc[key]  # type: ignore[no-any-return]


def _set(doc: dict[str, Any], op: str, target: Path, value: Any) -> None:
    box = _box(doc, target.uri, create=True)
    assert box is not None
    key = _key(box, target.attr)
    current = box.get(key)
    multi = target.attr.lower() in MULTI_VALUED or isinstance(current, list)
    if target.where is None and not target.sub:
        if multi:
            items = value if isinstance(value, list) else [value]
            kept = current if op == "add" and isinstance(current, list) else []
            box[key] = _unique([*kept, *items])
        elif isinstance(current, dict) and isinstance(value, dict):
            # A complex attribute: the sub-attributes given replace theirs,
            # the others stay (RFC 7644, 3.5.2.1 and 3.5.2.3).
            for sub, item in value.items():
                current[_key(current, sub)] = item
        else:
            box[key] = value
        return
    if target.where is None:  # attr.sub
        if isinstance(current, list):
            if not current:
                box[key] = [{_key({}, target.sub): value}]
            for item in current:
                if isinstance(item, dict):
                    item[_key(item, target.sub)] = value
            return
        inner = current if isinstance(current, dict) else {}
        inner[_key(inner, target.sub)] = value
        box[key] = inner
        return
    items = current if isinstance(current, list) else []
    hits = [item for item in items if filters.matches(target.where, item)]
    if not hits:
        seed = _seed(target.where)
        if seed is None or (op == "replace" and not target.sub):
            raise ScimError(400, f"no value of {target.attr} matches", "noTarget")
        if target.sub:
            seed[_key(seed, target.sub)] = value
        elif isinstance(value, dict):
            seed.update(value)
        else:
            raise invalid_value(f"the value for {target.attr}[…] is an object")
        box[key] = [*items, seed]
        return
    for index, item in enumerate(items):
        if not any(item is hit for hit in hits):
            continue
        if target.sub:
            if not isinstance(item, dict):
                raise invalid_path(
                    f"the values of {target.attr} have no sub-attributes"
                )
            item[_key(item, target.sub)] = value
        elif not isinstance(value, dict):
            raise invalid_value(f"the value for {target.attr}[…] is an object")
        elif op == "replace":
            items[index] = dict(value)
        elif isinstance(item, dict):
            item.update(value)
    box[key] = items


def _seed(where: filters.Node) -> dict[str, Any] | None:
    """`type eq "work"` as the value it describes, to add when none matches."""
    if isinstance(where, filters.Compare) and where.op == "eq" and not where.sub:
        return {_key({}, where.attr): where.value}
    return None


def _remove(doc: dict[str, Any], target: Path, value: Any) -> None:
    box = _box(doc, target.uri, create=False)
    if box is None:
        return
    key = _key(box, target.attr)
    if key not in box:
        return
    current = box[key]
    if target.where is None and not target.sub:
        if isinstance(current, list) and value is not None:
            unwanted = {_identity(item) for item in _listed(value)}
            box[key] = [item for item in current if _identity(item) not in unwanted]
        else:
            del box[key]
        return
    if target.where is None:
        for item in current if isinstance(current, list) else [current]:
            if isinstance(item, dict):
                item.pop(_key(item, target.sub), None)
        return
    if not isinstance(current, list):
        return
    if target.sub:
        for item in current:
            if isinstance(item, dict) and filters.matches(target.where, item):
                item.pop(_key(item, target.sub), None)
        return
    box[key] = [item for item in current if not filters.matches(target.where, item)]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _identity(item: Any) -> str:
    """What makes two values of a multi-valued attribute the same one: their
    `value` (a member's id, an address), else the whole value."""
    if isinstance(item, dict):
        found = lookup(item, "value", _ABSENT)
        if found is not _ABSENT:
            return f"v:{found}"
        return f"o:{sorted((str(k).lower(), repr(v)) for k, v in item.items())}"
    return f"s:{item!r}"


def _unique(items: Iterable[Any]) -> list[Any]:
    seen: set[str] = set()
    kept = []
    for item in items:
        identity = _identity(item)
        if identity not in seen:
            seen.add(identity)
            kept.append(item)
    return kept
