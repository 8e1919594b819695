"""What a client reads to learn what this service provider does (RFC 7644, 4):
/ServiceProviderConfig, /ResourceTypes and /Schemas (RFC 7643, 5 to 7).

The schemas list the attributes Greenroom reads (the rest of what a client sends
is kept and served back, but not described); the configuration says what is
supported: PATCH and filters, not bulk, sorting, ETags or password changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from people.scim.resources import GROUP_SCHEMA, USER_SCHEMA

CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"


def service_provider_config(location: str, max_results: int) -> dict[str, Any]:
    return {
        "schemas": [CONFIG_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": max_results},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "The provider's token, from `manage.py providers "
                "scim-token NAME`, sent as Authorization: Bearer <token>.",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": location},
    }


def resource_types(locate: Callable[[str], str]) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": kind,
            "name": kind,
            "endpoint": f"/{kind}s",
            "description": description,
            "schema": schema,
            "meta": {"resourceType": "ResourceType", "location": locate(kind)},
        }
        for kind, description, schema in (
            ("User", "A person: a User entity while active", USER_SCHEMA),
            ("Group", "A team: a Group entity", GROUP_SCHEMA),
        )
    ]


def _attribute(
    name: str,
    *,
    kind: str = "string",
    required: bool = False,
    case_exact: bool = False,
    mutability: str = "readWrite",
    uniqueness: str = "none",
    multi: bool = False,
    subs: list[dict[str, Any]] | None = None,
    description: str = "",
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "name": name,
        "type": kind,
        "multiValued": multi,
        "description": description,
        "required": required,
        "mutability": mutability,
        "returned": "default",
    }
    if kind == "string":
        attribute |= {"caseExact": case_exact, "uniqueness": uniqueness}
    if kind == "reference":
        attribute["referenceTypes"] = ["User", "Group"]
    if subs:
        attribute["subAttributes"] = subs
    return attribute


def _values(mutability: str = "readWrite") -> list[dict[str, Any]]:
    return [
        _attribute("value", mutability=mutability, case_exact=True),
        _attribute("display", mutability=mutability),
        _attribute("type", mutability=mutability),
        _attribute("$ref", kind="reference", mutability=mutability),
    ]


def schemas(locate: Callable[[str], str]) -> list[dict[str, Any]]:
    user = [
        _attribute(
            "userName",
            required=True,
            uniqueness="server",
            description="Unique, without case. The User entity's name: itself "
            "when a valid entity name, else the part before @.",
        ),
        _attribute(
            "name",
            kind="complex",
            subs=[
                _attribute("givenName"),
                _attribute("familyName"),
                _attribute("formatted"),
            ],
        ),
        _attribute("displayName"),
        _attribute(
            "emails",
            kind="complex",
            multi=True,
            subs=[
                _attribute("value"),
                _attribute("type"),
                _attribute("primary", kind="boolean"),
            ],
            description="The primary (else work, else first) address is the "
            "entity's e-mail.",
        ),
        _attribute(
            "active",
            kind="boolean",
            description="An inactive user leaves the catalog.",
        ),
        _attribute(
            "groups",
            kind="complex",
            multi=True,
            mutability="readOnly",
            subs=_values("readOnly"),
        ),
    ]
    group = [
        _attribute(
            "displayName",
            required=True,
            description="The Group entity's name, lower-cased, spaces as dashes.",
        ),
        _attribute(
            "members",
            kind="complex",
            multi=True,
            subs=_values(),
            description="Users of this provider; groups cannot be members.",
        ),
    ]
    return [
        {
            "schemas": [SCHEMA_SCHEMA],
            "id": urn,
            "name": name,
            "description": description,
            "attributes": attributes,
            "meta": {"resourceType": "Schema", "location": locate(urn)},
        }
        for urn, name, description, attributes in (
            (USER_SCHEMA, "User", "User Account", user),
            (GROUP_SCHEMA, "Group", "Group", group),
        )
    ]
