"""POST /validate-entity as Backstage's catalog backend runs it on a request body.

Backstage's router (plugins/catalog-backend, createRouter and
DefaultCatalogProcessingOrchestrator):

1. the body's `location` must be a location ref of type `url` (else a 400 before
   anything else: `LocationRefError` here);
2. the entity's annotations become `{managed-by-location: location,
   managed-by-origin-location: location, ...metadata.annotations}`: a JavaScript
   spread, so the entity's own values win, and annotations that are not an object
   add nothing (null, a boolean, a number) or their indices (a string, a list);
3. processing reads both managed-by annotations back as location refs, and stops
   at the first that is missing or does not parse;
4. the policies and kind validation (our `entity_problems`);
5. a Location entity's targets are read by the processor for their type: a type no
   processor reads fails. Greenroom reads `url` targets only when it crawls them,
   never during a validation (no network access from a request); other types are
   refused, as in a Backstage without a processor for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from catalog.descriptor.refs import DEFAULT_NAMESPACE, EntityName
from catalog.descriptor.rules import JS_WHITESPACE
from catalog.descriptor.validation import MANAGED_BY, ORIGIN, entity_problems

READABLE_LOCATION_TYPES = ("url",)
# catalog-model's scriptProtocolPattern: a target that is a javascript: URL, as
# browsers read one (leading controls and spaces, tabs and newlines inside).
_SCRIPT_PROTOCOL = re.compile(
    r"[\x00-\x1f ]*j[\r\n\t]*a[\r\n\t]*v[\r\n\t]*a[\r\n\t]*s[\r\n\t]*c[\r\n\t]*"
    r"r[\r\n\t]*i[\r\n\t]*p[\r\n\t]*t[\r\n\t]*:",
    re.IGNORECASE,
)


class LocationRefError(ValueError):
    """A location ref Backstage's parseLocationRef refuses, with its message."""


@dataclass(frozen=True, slots=True)
class LocationRef:
    type: str
    target: str


def parse_location_ref(ref: object) -> LocationRef:
    """`<type>:<target>`, split at the first colon and trimmed, as catalog-model."""
    if not isinstance(ref, str):
        raise LocationRefError(
            f"Unable to parse location ref '{ref}', unexpected argument {_js_type(ref)}"
        )
    kind, colon, target = ref.partition(":")
    kind, target = kind.strip(JS_WHITESPACE), target.strip(JS_WHITESPACE)
    if not colon or not kind or not target:
        raise LocationRefError(
            f"Unable to parse location ref '{ref}', expected '<type>:<target>', "
            "e.g. 'url:https://host/path'"
        )
    if kind in ("http", "https"):
        raise LocationRefError(
            f"Invalid location ref '{ref}', please prefix it with 'url:', "
            f"e.g. 'url:{ref}'"
        )
    if _SCRIPT_PROTOCOL.match(target):
        raise LocationRefError(
            f"Invalid location ref '{ref}', target is a javascript: URL"
        )
    return LocationRef(kind, target)


def parse_request_location(location: object) -> LocationRef:
    """The body's `location`: a location ref whose type is `url`."""
    parsed = parse_location_ref(location)
    if parsed.type != "url":
        raise LocationRefError(
            f"Invalid location ref {location}, only 'url:<target>' is supported, "
            "e.g. url:https://host/path"
        )
    return parsed


def validate_request(entity: Mapping[str, Any], location: str) -> list[str]:
    """Every reason Backstage's validate-entity would answer 400 for this entity
    read at `location` (already checked by `parse_request_location`)."""
    metadata = entity.get("metadata")
    if not isinstance(metadata, Mapping):
        return entity_problems(entity)  # the envelope check refuses it
    annotated = {**entity, "metadata": _with_location(metadata, location)}
    try:
        where = _processing_location(annotated)
    except LocationRefError as exc:
        return [str(exc)]
    return entity_problems(annotated) or _location_target_problems(annotated, where)


def _with_location(metadata: Mapping[str, Any], location: str) -> dict[str, Any]:
    annotations = {MANAGED_BY: location, ORIGIN: location}
    annotations.update(_js_spread(metadata.get("annotations")))
    return {**metadata, "annotations": annotations}


def _js_spread(value: object) -> dict[str, Any]:
    """What `{...value}` copies in JavaScript. A string gives one entry per
    character (JavaScript counts UTF-16 units; only the number of entries differs)."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list | str):
        return {str(index): item for index, item in enumerate(value)}
    return {}


def _processing_location(entity: Mapping[str, Any]) -> LocationRef:
    """The orchestrator's context: both managed-by annotations as location refs
    (the location first); the location's is the one processing reads from."""
    where = _annotation_ref(entity, MANAGED_BY, "a location")
    _annotation_ref(entity, ORIGIN, "an origin location")
    return where


def _annotation_ref(entity: Mapping[str, Any], key: str, what: str) -> LocationRef:
    value = entity["metadata"]["annotations"].get(key)
    if not value:  # JavaScript's falsy: absent, "", 0, false, null
        raise LocationRefError(f"Entity '{_ref(entity)}' does not have {what}")
    return parse_location_ref(value)


def _location_target_problems(
    entity: Mapping[str, Any], where: LocationRef
) -> list[str]:
    """A Location entity's targets must be of a type some processor reads; its
    type defaults to that of the location it was read from."""
    if entity.get("kind") != "Location":
        return []
    spec = entity.get("spec") or {}
    location_type = spec.get("type", where.type)  # a default for a missing key only
    targets = [spec["target"]] if spec.get("target") else []
    targets += spec.get("targets") or []
    if location_type in READABLE_LOCATION_TYPES or not targets:
        return []
    return [f"No processor was able to handle reading of {location_type}:{targets[0]}"]


def _ref(entity: Mapping[str, Any]) -> str:
    metadata = entity["metadata"]
    namespace = metadata.get("namespace", DEFAULT_NAMESPACE)
    return EntityName(
        str(entity.get("kind")), str(namespace), str(metadata.get("name"))
    ).ref


def _js_type(value: object) -> str:
    """JavaScript's typeof for a JSON value that is not a string."""
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "object"
