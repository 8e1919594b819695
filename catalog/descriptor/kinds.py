"""The built-in kinds: their apiVersions, spec fields and the relations they emit."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

BACKSTAGE_VERSIONS = frozenset({"backstage.io/v1alpha1", "backstage.io/v1beta1"})
SCAFFOLDER_VERSIONS = frozenset({"scaffolder.backstage.io/v1beta3"})


class FieldType(Enum):
    STRING = "a non-empty string"
    STRING_LIST = "a list of non-empty strings"
    PROFILE = "an object with optional displayName, email and picture strings"
    PRESENCE = "'required' or 'optional'"
    ANY = "any value"


@dataclass(frozen=True, slots=True)
class Field:
    type: FieldType
    required: bool = False


@dataclass(frozen=True, slots=True)
class RelationRule:
    """A spec field whose refs become a relation pair."""

    field: str
    default_kind: str | None
    forward: str
    reverse: str


@dataclass(frozen=True, slots=True)
class KindSpec:
    api_versions: frozenset[str]
    fields: dict[str, Field]
    relations: tuple[RelationRule, ...] = ()
    # A JSON schema in schemas/ that checks the whole entity instead of `fields`:
    # the one Backstage validates the kind with (template_schema.py).
    schema: str | None = None


S, L = FieldType.STRING, FieldType.STRING_LIST
OWNER = RelationRule("owner", "Group", "ownedBy", "ownerOf")
SYSTEM = RelationRule("system", "System", "partOf", "hasPart")
DEPENDS_ON = RelationRule("dependsOn", None, "dependsOn", "dependencyOf")
DEPENDENCY_OF = RelationRule("dependencyOf", None, "dependencyOf", "dependsOn")

KINDS: dict[str, KindSpec] = {
    "Component": KindSpec(
        BACKSTAGE_VERSIONS,
        {
            "type": Field(S, True),
            "lifecycle": Field(S, True),
            "owner": Field(S, True),
            "system": Field(S),
            "subcomponentOf": Field(S),
            "providesApis": Field(L),
            "consumesApis": Field(L),
            "dependsOn": Field(L),
            # Not in Backstage's schema, but its processor reads it (one or a list).
            "dependencyOf": Field(FieldType.ANY),
        },
        (
            OWNER,
            SYSTEM,
            RelationRule("subcomponentOf", "Component", "partOf", "hasPart"),
            RelationRule("providesApis", "API", "providesApi", "apiProvidedBy"),
            RelationRule("consumesApis", "API", "consumesApi", "apiConsumedBy"),
            DEPENDS_ON,
            DEPENDENCY_OF,
        ),
    ),
    "API": KindSpec(
        BACKSTAGE_VERSIONS,
        {
            "type": Field(S, True),
            "lifecycle": Field(S, True),
            "owner": Field(S, True),
            "definition": Field(S, True),
            "system": Field(S),
        },
        (OWNER, SYSTEM),
    ),
    "Resource": KindSpec(
        BACKSTAGE_VERSIONS,
        {
            "type": Field(S, True),
            "owner": Field(S, True),
            "system": Field(S),
            "dependsOn": Field(L),
            "dependencyOf": Field(FieldType.ANY),
        },
        (OWNER, SYSTEM, DEPENDS_ON, DEPENDENCY_OF),
    ),
    "System": KindSpec(
        BACKSTAGE_VERSIONS,
        {"owner": Field(S, True), "domain": Field(S), "type": Field(S)},
        (OWNER, RelationRule("domain", "Domain", "partOf", "hasPart")),
    ),
    "Domain": KindSpec(
        BACKSTAGE_VERSIONS,
        {"owner": Field(S, True), "subdomainOf": Field(S), "type": Field(S)},
        (OWNER, RelationRule("subdomainOf", "Domain", "partOf", "hasPart")),
    ),
    "Group": KindSpec(
        BACKSTAGE_VERSIONS,
        {
            "type": Field(S, True),
            "profile": Field(FieldType.PROFILE),
            "parent": Field(S),
            "children": Field(L, True),
            "members": Field(L),
        },
        (
            RelationRule("parent", "Group", "childOf", "parentOf"),
            RelationRule("children", "Group", "parentOf", "childOf"),
            RelationRule("members", "User", "hasMember", "memberOf"),
        ),
    ),
    "User": KindSpec(
        BACKSTAGE_VERSIONS,
        {"profile": Field(FieldType.PROFILE), "memberOf": Field(L, True)},
        (RelationRule("memberOf", "Group", "memberOf", "hasMember"),),
    ),
    "Location": KindSpec(
        BACKSTAGE_VERSIONS,
        {
            "type": Field(S),
            "target": Field(S),
            "targets": Field(L),
            "presence": Field(FieldType.PRESENCE),
        },
    ),
    "Template": KindSpec(SCAFFOLDER_VERSIONS, {}, (OWNER,), schema="Template.v1beta3"),
}
