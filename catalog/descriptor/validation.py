"""Envelope, metadata and per-kind spec checks, as Backstage's default validators."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from catalog.descriptor import rules
from catalog.descriptor.kinds import KINDS, FieldType
from catalog.descriptor.refs import DEFAULT_NAMESPACE, EntityName
from catalog.descriptor.relations import entity_relations

ROOT_KEYS = ("apiVersion", "kind", "metadata", "spec")
OUTPUT_ONLY_ROOT_KEYS = ("relations", "status")
PROFILE_KEYS = ("displayName", "email", "picture")


def validate_entity(doc: Mapping[str, Any]) -> list[str]:
    """Every reason this document is not a valid entity; empty when it is."""
    errors = list(_check_root(doc))
    metadata = doc.get("metadata")
    if isinstance(metadata, Mapping):
        errors.extend(_check_metadata(metadata))
    if errors:
        return errors
    return list(_check_kind(doc))


def _check_root(doc: Mapping[str, Any]) -> Iterator[str]:
    for key in doc:
        if key in OUTPUT_ONLY_ROOT_KEYS:
            yield f"Unknown field {key}: it is computed by the catalog, not written"
        elif key not in ROOT_KEYS:
            allowed = ", ".join(ROOT_KEYS)
            yield f"Unknown root field {key!r}: an entity has only {allowed}"
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if api_version is None:
        yield "apiVersion is required"
    elif not rules.is_valid_api_version(api_version):
        yield (
            f"apiVersion {api_version!r} is not valid: expected "
            "'<prefix>/<version>' such as 'backstage.io/v1alpha1'"
        )
    if kind is None:
        yield "kind is required"
    elif not rules.is_valid_kind(kind):
        yield f"kind {kind!r} is not valid: letters and digits, starting with a letter"
    if "metadata" not in doc:
        yield "metadata is required"
    elif not isinstance(doc["metadata"], Mapping):
        yield "metadata must be an object"
    if "spec" not in doc:
        yield "spec is required"
    elif not isinstance(doc["spec"], Mapping):
        yield "spec must be an object"


def _check_metadata(metadata: Mapping[str, Any]) -> Iterator[str]:
    name = metadata.get("name")
    if "name" not in metadata:
        yield "metadata.name is required"
    elif not rules.is_valid_name(name):
        yield (
            f"metadata.name {name!r} is not valid: 1-63 characters of [a-zA-Z0-9-_.], "
            "starting and ending with a letter or digit"
        )
    namespace = metadata.get("namespace")
    if "namespace" in metadata and not rules.is_valid_namespace(namespace):
        yield (
            f"metadata.namespace {namespace!r} is not valid: 1-63 lower-case letters, "
            "digits and '-', starting and ending with a letter or digit"
        )
    for key in ("title", "uid", "etag"):
        if key in metadata and not _is_text(metadata[key]):
            yield f"metadata.{key} must be a non-empty string"
    if "description" in metadata and not isinstance(metadata["description"], str):
        yield "metadata.description must be a string"
    yield from _check_map(
        metadata, "labels", rules.is_valid_label_value, "a valid name"
    )
    yield from _check_map(
        metadata, "annotations", lambda v: isinstance(v, str), "a string"
    )
    if "tags" in metadata:
        yield from _check_tags(metadata["tags"])
    if "links" in metadata:
        yield from _check_links(metadata["links"])


def _check_map(
    metadata: Mapping[str, Any], field: str, value_ok: Any, value_rule: str
) -> Iterator[str]:
    if field not in metadata:
        return
    values = metadata[field]
    if not isinstance(values, Mapping):
        yield f"metadata.{field} must be a map of strings"
        return
    for key, value in values.items():
        if not rules.is_valid_key(key):
            yield (
                f"metadata.{field} key {key!r} is not valid: an optional lower-case "
                "DNS prefix and '/', then a valid name"
            )
        elif not value_ok(value):
            yield f"metadata.{field}.{key} must be {value_rule}, not {value!r}"


def _check_tags(tags: object) -> Iterator[str]:
    if not isinstance(tags, list):
        yield "metadata.tags must be a list of strings"
        return
    for tag in tags:
        if not rules.is_valid_tag(tag):
            yield (
                f"metadata.tags item {tag!r} is not valid: 1-63 characters of "
                "[a-z0-9:+#] in runs separated by single '-'"
            )


def _check_links(links: object) -> Iterator[str]:
    if not isinstance(links, list):
        yield "metadata.links must be a list of objects"
        return
    for index, link in enumerate(links):
        where = f"metadata.links[{index}]"
        if not isinstance(link, Mapping):
            yield f"{where} must be an object with a url"
            continue
        if not rules.is_valid_url(link.get("url")):
            yield f"{where}.url must be a valid URL, not {link.get('url')!r}"
        for key in ("title", "icon", "type"):
            if key in link and not (isinstance(link[key], str) and link[key]):
                yield f"{where}.{key} must be a non-empty string"


def _check_kind(doc: Mapping[str, Any]) -> Iterator[str]:
    kind, api_version = doc["kind"], doc["apiVersion"]
    spec_def = KINDS.get(kind)
    if spec_def is None or api_version not in spec_def.api_versions:
        yield (
            f"No processor recognized the entity kind {kind!r} with apiVersion "
            f"{api_version!r}, possibly caused by a foreign kind or apiVersion"
        )
        return
    spec = doc.get("spec") or {}
    for field, rule in spec_def.fields.items():
        if field not in spec:
            if rule.required:
                yield f"spec.{field} is required for kind {kind}"
            continue
        if not _type_ok(rule.type, spec[field]):
            yield f"spec.{field} must be {rule.type.value}"


def _type_ok(field_type: FieldType, value: object) -> bool:
    if field_type is FieldType.STRING:
        return _is_text(value)
    if field_type is FieldType.STRING_LIST:
        return isinstance(value, list) and all(_is_text(item) for item in value)
    if field_type is FieldType.OBJECT:
        return isinstance(value, Mapping)
    if field_type is FieldType.PROFILE:
        return isinstance(value, Mapping) and all(
            _is_text(value[key]) for key in PROFILE_KEYS if key in value
        )
    if field_type is FieldType.PRESENCE:
        return value in ("required", "optional")
    if field_type is FieldType.STEPS:
        return isinstance(value, list) and all(
            isinstance(step, Mapping) and isinstance(step.get("action"), str)
            for step in value
        )
    if field_type is FieldType.PARAMETERS:
        return isinstance(value, Mapping) or (
            isinstance(value, list) and all(isinstance(p, Mapping) for p in value)
        )
    return True


def _is_text(value: object) -> bool:
    return isinstance(value, str) and len(value) > 0


def entity_problems(doc: Mapping[str, Any]) -> list[str]:
    """What a crawl would refuse in this entity: the envelope, its kind's fields,
    and the references its spec makes (as validate-entity reports them)."""
    errors = validate_entity(doc)
    if errors:
        return errors
    metadata = doc["metadata"]
    namespace = metadata.get("namespace", DEFAULT_NAMESPACE)
    name = EntityName(doc["kind"], namespace, metadata["name"])
    spec = doc.get("spec")
    return entity_relations(
        name.ref, name.kind, name.namespace, spec if isinstance(spec, Mapping) else {}
    )[1]
