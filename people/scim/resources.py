"""SCIM User and Group resources (RFC 7643, 4.1 and 4.2): checked on the way in,
built on the way out.

On the way in, a client's JSON becomes the columns Greenroom reads (`UserFields`,
`GroupFields`) and the JSON kept to serve back: what the client sent, less the
read-only attributes and any password, at most MAX_RESOURCE_BYTES. Every string
is checked for its type and length; booleans may come as "True"/"False" strings
(Entra ID without its compliance flag sends them so).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from people.models import ScimGroup, ScimUser
from people.scim.errors import invalid_syntax, invalid_value
from people.scim.patch import lookup

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MAX_RESOURCE_BYTES = 64 * 1024
MAX_TEXT = 255
MAX_EMAIL = 320
# Never kept from what a client sends: the server's own, and passwords.
USER_READ_ONLY = {"id", "meta", "groups"}
GROUP_READ_ONLY = {"id", "meta"}
NOT_KEPT = {"id", "meta", "groups", "members", "schemas", "password"}
# Held by columns, so not kept twice (a user's name and e-mails are kept whole,
# with what else the client sent in them).
IN_COLUMNS = {
    "user": {"username", "externalid", "active", "displayname"},
    "group": {"displayname", "externalid"},
}
Locate = Callable[[str, str], str]  # (kind, id) -> the resource's URL


@dataclass(frozen=True, slots=True)
class UserFields:
    user_name: str
    external_id: str
    active: bool
    display_name: str
    given_name: str
    family_name: str
    email: str
    resource: dict[str, Any]


@dataclass(frozen=True, slots=True)
class GroupFields:
    display_name: str
    external_id: str
    members: list[uuid.UUID] | None  # None: the document had no members
    resource: dict[str, Any]


def user_fields(doc: Any) -> UserFields:
    if not isinstance(doc, dict):
        raise invalid_syntax("a user is a JSON object")
    name = lookup(doc, "name")
    if name is not None and not isinstance(name, dict):
        raise invalid_value("name is an object")
    return UserFields(
        user_name=_text(doc, "userName", required=True),
        external_id=_text(doc, "externalId"),
        active=_bool(lookup(doc, "active"), "active", default=True),
        display_name=_text(doc, "displayName"),
        given_name=_text(name, "givenName"),
        family_name=_text(name, "familyName"),
        email=_email(lookup(doc, "emails")),
        resource=_kept(doc, "user"),
    )


def group_fields(doc: Any) -> GroupFields:
    if not isinstance(doc, dict):
        raise invalid_syntax("a group is a JSON object")
    members = lookup(doc, "members")
    return GroupFields(
        display_name=_text(doc, "displayName", required=True),
        external_id=_text(doc, "externalId"),
        members=None if members is None else _member_ids(members),
        resource=_kept(doc, "group"),
    )


def _text(doc: Any, name: str, *, required: bool = False) -> str:
    value = lookup(doc, name)
    if value is None or value == "":
        if required:
            raise invalid_value(f"{name} is required")
        return ""
    if not isinstance(value, str):
        raise invalid_value(f"{name} is a string")
    if required and not value.strip():
        raise invalid_value(f"{name} is required")
    if len(value) > MAX_TEXT:
        raise invalid_value(f"{name} is longer than {MAX_TEXT} characters")
    return value


def _bool(value: Any, name: str, *, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid_value(f"{name} is true or false")


def _email(emails: Any) -> str:
    """The primary address, else the work one, else the first."""
    if emails is None:
        return ""
    if isinstance(emails, dict):  # one address, not in a list (OneLogin does)
        emails = [emails]
    if not isinstance(emails, list):
        raise invalid_value("emails is a list")
    found: list[tuple[int, str]] = []
    for item in emails:
        if not isinstance(item, dict):
            raise invalid_value("each of emails is an object")
        value = lookup(item, "value")
        if value is None or value == "":
            continue
        if not isinstance(value, str) or len(value) > MAX_EMAIL:
            raise invalid_value(f"an e-mail value is a string of at most {MAX_EMAIL}")
        primary = _bool(lookup(item, "primary"), "primary", default=False)
        kind = lookup(item, "type")
        rank = (
            0
            if primary
            else 1
            if isinstance(kind, str) and kind.lower() == "work"
            else 2
        )
        found.append((rank, value))
    return min(found, key=lambda pair: pair[0])[1] if found else ""


def _member_ids(members: Any) -> list[uuid.UUID]:
    if not isinstance(members, list):
        raise invalid_value("members is a list")
    ids: list[uuid.UUID] = []
    for item in members:
        value = lookup(item, "value") if isinstance(item, dict) else None
        if not isinstance(value, str):
            raise invalid_value("each member is an object with a string value")
        kind = lookup(item, "type")
        if isinstance(kind, str) and kind.lower() == "group":
            raise invalid_value("groups cannot be members of groups here")
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise invalid_value(f"no user with id {value[:100]!r}") from None
    return list(dict.fromkeys(ids))


def _kept(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    dropped = NOT_KEPT | IN_COLUMNS[kind]
    kept = {
        k: _without_passwords(v) for k, v in doc.items() if k.lower() not in dropped
    }
    size = len(json.dumps(kept, separators=(",", ":")).encode())
    if size > MAX_RESOURCE_BYTES:
        raise invalid_value(f"the {kind} is larger than {MAX_RESOURCE_BYTES} bytes")
    return kept


def _without_passwords(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _without_passwords(v)
            for k, v in value.items()
            if k.lower() != "password"
        }
    if isinstance(value, list):
        return [_without_passwords(item) for item in value]
    return value


# The way out -----------------------------------------------------------------


def _meta(kind: str, row: ScimUser | ScimGroup, locate: Locate) -> dict[str, Any]:
    return {
        "resourceType": kind,
        "created": row.created_at.isoformat(),
        "lastModified": row.modified_at.isoformat(),
        "location": locate(kind, str(row.id)),
    }


def _extras(resource: dict[str, Any], canonical: Iterable[str]) -> dict[str, Any]:
    """What the client sent beyond the attributes the columns hold."""
    dropped = {name.lower() for name in canonical}
    return {k: v for k, v in resource.items() if k.lower() not in dropped}


def user_doc(
    user: ScimUser, groups: Iterable[ScimGroup] | None, locate: Locate
) -> dict[str, Any]:
    """The user as served: the columns, what else the client sent, its groups
    (read-only, from the groups' members) and meta."""
    resource = user.resource if isinstance(user.resource, dict) else {}
    extras = _extras(
        resource, ("userName", "externalId", "active", "displayName", "name", "emails")
    )
    schemas = [USER_SCHEMA]
    schemas += [key for key in extras if key.lower() == ENTERPRISE_SCHEMA.lower()]
    doc: dict[str, Any] = {"schemas": schemas, "id": str(user.id)}
    if user.external_id:
        doc["externalId"] = user.external_id
    doc["userName"] = user.user_name
    name = lookup(resource, "name")
    name = dict(name) if isinstance(name, dict) else {}
    for key, value in (
        ("givenName", user.given_name),
        ("familyName", user.family_name),
    ):
        name.pop(next((k for k in name if k.lower() == key.lower()), key), None)
        if value:
            name[key] = value
    if name:
        doc["name"] = name
    if user.display_name:
        doc["displayName"] = user.display_name
    emails = lookup(resource, "emails")
    if isinstance(emails, dict):
        emails = [emails]
    if isinstance(emails, list) and emails:
        doc["emails"] = emails
    elif user.email:
        doc["emails"] = [{"value": user.email, "type": "work", "primary": True}]
    doc["active"] = user.active
    doc.update(extras)
    if groups is not None:
        doc["groups"] = [
            {
                "value": str(group.id),
                "display": group.display_name,
                "$ref": locate("Group", str(group.id)),
                "type": "direct",
            }
            for group in groups
        ]
    doc["meta"] = _meta("User", user, locate)
    return doc


def group_doc(
    group: ScimGroup, members: Iterable[ScimUser] | None, locate: Locate
) -> dict[str, Any]:
    """The group as served; `members` None leaves them out
    (`excludedAttributes=members`, as Entra ID asks)."""
    resource = group.resource if isinstance(group.resource, dict) else {}
    doc: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": str(group.id)}
    if group.external_id:
        doc["externalId"] = group.external_id
    doc["displayName"] = group.display_name
    doc.update(_extras(resource, ("displayName", "externalId")))
    if members is not None:
        doc["members"] = [
            {
                "value": str(user.id),
                "display": user.user_name,
                "$ref": locate("User", str(user.id)),
                "type": "User",
            }
            for user in members
        ]
    doc["meta"] = _meta("Group", group, locate)
    return doc


def writable_user(user: ScimUser) -> dict[str, Any]:
    """The user as a PATCH starts from: what a PUT of it would hold."""
    resource = user.resource if isinstance(user.resource, dict) else {}
    doc = dict(resource)
    for key, value in (
        ("userName", user.user_name),
        ("externalId", user.external_id),
        ("displayName", user.display_name),
    ):
        doc.pop(next((k for k in doc if k.lower() == key.lower()), key), None)
        if value:
            doc[key] = value
    doc.pop(next((k for k in doc if k.lower() == "active"), "active"), None)
    doc["active"] = user.active
    return doc


def writable_group(group: ScimGroup, member_ids: Iterable[uuid.UUID]) -> dict[str, Any]:
    resource = group.resource if isinstance(group.resource, dict) else {}
    doc = dict(resource)
    for key, value in (
        ("displayName", group.display_name),
        ("externalId", group.external_id),
    ):
        doc.pop(next((k for k in doc if k.lower() == key.lower()), key), None)
        if value:
            doc[key] = value
    doc["members"] = [{"value": str(member)} for member in member_ids]
    return doc


def project(
    doc: dict[str, Any], attributes: list[str], excluded: list[str]
) -> dict[str, Any]:
    """`attributes` and `excludedAttributes` (RFC 7644, 3.4.2.5), on top-level
    attributes: id, schemas and meta always stay."""
    always = {"id", "schemas", "meta"}

    def top(name: str) -> str:
        name = name.strip()
        for schema in (USER_SCHEMA, GROUP_SCHEMA):
            if name.lower().startswith(schema.lower() + ":"):
                name = name[len(schema) + 1 :]
        return name.split(".", 1)[0].lower()

    if attributes:
        wanted = {top(name) for name in attributes} | always
        return {k: v for k, v in doc.items() if k.lower() in wanted}
    if excluded:
        unwanted = {top(name) for name in excluded} - always
        return {k: v for k, v in doc.items() if k.lower() not in unwanted}
    return doc
