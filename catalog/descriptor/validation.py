"""Envelope, metadata and per-kind spec checks, as Backstage's default validators."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from catalog.descriptor import rules
from catalog.descriptor.kinds import KINDS, FieldType
from catalog.descriptor.refs import DEFAULT_NAMESPACE, EntityName
from catalog.descriptor.relations import entity_relations, field_targets
from catalog.descriptor.template_schema import schema_problems

ROOT_KEYS = ("apiVersion", "kind", "metadata", "spec")
OUTPUT_ONLY_ROOT_KEYS = ("relations", "status")
PROFILE_KEYS = ("displayName", "email", "picture")
# The catalog's own annotations: where an entity was read, and the registration
# that led there. Set by the catalog (catalog/ingest/apply.py), never by a file.
MANAGED_BY = "backstage.io/managed-by-location"
ORIGIN = "backstage.io/managed-by-origin-location"


def collect_annotations(doc: dict[str, Any]) -> str | None:
    """What Backstage's ProcessorOutputCollector does to every entity a file emits,
    before anything else checks it: falsy annotations (null, "", false, 0) become
    none, anything else that is not a mapping is an error (returned), and the
    managed-by annotations are dropped, since the catalog sets its own."""
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict) or "annotations" not in metadata:
        return None
    annotations = metadata["annotations"]
    if rules.is_js_falsy(annotations):
        annotations = {}
    if not isinstance(annotations, Mapping):
        return "metadata.annotations must be a valid object"
    metadata["annotations"] = {
        key: value
        for key, value in annotations.items()
        if key not in (MANAGED_BY, ORIGIN)
    }
    return None


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
        # title and icon pass Backstage's field-format check (not blank once
        # trimmed); type only its schema (any string of one character or more).
        for key in ("title", "icon"):
            if key in link and not rules.is_non_empty_string(link[key]):
                yield f"{where}.{key} must be a string that is not blank"
        if "type" in link and not _is_text(link["type"]):
            yield f"{where}.type must be a non-empty string"


def _check_kind(doc: Mapping[str, Any]) -> Iterator[str]:
    kind, api_version = doc["kind"], doc["apiVersion"]
    spec_def = KINDS.get(kind)
    if spec_def is None or api_version not in spec_def.api_versions:
        yield (
            f"No processor recognized the entity kind {kind!r} with apiVersion "
            f"{api_version!r}, possibly caused by a foreign kind or apiVersion"
        )
        return
    if spec_def.schema is not None:
        yield from schema_problems(spec_def.schema, doc)
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
    if field_type is FieldType.PROFILE:
        return isinstance(value, Mapping) and all(
            _is_text(value[key]) for key in PROFILE_KEYS if key in value
        )
    if field_type is FieldType.PRESENCE:
        return value in ("required", "optional")
    return True


def _is_text(value: object) -> bool:
    return isinstance(value, str) and len(value) > 0


def entity_problems(
    doc: Mapping[str, Any], limits: EntityLimits | None = None
) -> list[str]:
    """What a crawl would refuse in this entity: the envelope, its kind's fields,
    the references its spec makes (as validate-entity reports them), and what the
    catalog cannot store or will not store (`storage_problems`)."""
    errors = unstorable_problems(doc) or validate_entity(doc)
    if errors:
        return errors
    errors = size_problems(doc, doc, limits or EntityLimits())
    if errors:
        return errors
    metadata = doc["metadata"]
    namespace = metadata.get("namespace", DEFAULT_NAMESPACE)
    name = EntityName(doc["kind"], namespace, metadata["name"])
    spec = doc.get("spec")
    return entity_relations(
        name.ref, name.kind, name.namespace, spec if isinstance(spec, Mapping) else {}
    )[1]


# ---------------------------------------------------------------------------
# What the catalog stores: Greenroom's own rules beside Backstage's validators.

# The column size of every entity ref (catalog.models: Entity.ref, Relation, ...).
REF_MAX = 400


@dataclass(frozen=True, slots=True)
class EntityLimits:
    """Per-document limits (settings GREENROOM_MAX_ENTITY_*; these are the defaults).

    Per document, never per file or location: an organisation's file of thousands
    of User documents is read whole, while one document cannot make every list,
    page and index that shows it carry megabytes.
    """

    max_document_bytes: int = 256 * 1024  # the document as written, as JSON
    max_entity_bytes: int = 2 * 1024 * 1024  # with placeholder files substituted
    max_tags: int = 100
    max_links: int = 100
    max_labels: int = 100
    max_annotations: int = 200
    max_relation_targets: int = 5000  # per relation field (spec.members, ...)


def storage_problems(
    descriptor: Mapping[str, Any], processed: Mapping[str, Any], limits: EntityLimits
) -> list[str]:
    """Why the catalog will not store a valid entity: text PostgreSQL refuses (a
    documented difference: Backstage stores it), or a limit it is over."""
    unstorable = unstorable_problems(descriptor) or unstorable_problems(processed)
    return unstorable or size_problems(descriptor, processed, limits)


def unstorable_problems(doc: Mapping[str, Any]) -> list[str]:
    where = unstorable_field(doc)
    if where is None:
        return []
    return [
        f"{where} contains a NUL character or a lone UTF-16 surrogate, "
        "which the catalog cannot store"
    ]


def unstorable_field(value: Any, where: str = "") -> str | None:
    """The dotted path of the first key or string holding NUL or a lone surrogate."""
    if isinstance(value, str):
        return (where or "value") if rules.UNSTORABLE.search(value) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if rules.UNSTORABLE.search(str(key)):
                return _printable(path)
            found = unstorable_field(item, path)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable_field(item, f"{where}[{index}]")
            if found is not None:
                return found
    return None


def _printable(path: str) -> str:
    return repr(path)[1:-1] if rules.UNSTORABLE.search(path) else path


def size_problems(
    descriptor: Mapping[str, Any], processed: Mapping[str, Any], limits: EntityLimits
) -> list[str]:
    problems = [
        *_bytes_problem("the document", descriptor, limits.max_document_bytes),
        *_bytes_problem(
            "the document with its placeholders substituted",
            processed,
            limits.max_entity_bytes,
        ),
    ]
    metadata = processed.get("metadata") or {}
    counted = (
        ("tags", limits.max_tags),
        ("links", limits.max_links),
        ("labels", limits.max_labels),
        ("annotations", limits.max_annotations),
    )
    for field, limit in counted:
        problems += _count_problem(f"metadata.{field}", metadata.get(field), limit)
    problems += _relation_problems(processed, limits)
    return problems


def _bytes_problem(what: str, doc: Mapping[str, Any], limit: int) -> list[str]:
    size = len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode())
    if size <= limit:
        return []
    return [f"{what} is {size} bytes as JSON, more than the limit of {limit} bytes"]


def _count_problem(field: str, value: object, limit: int) -> list[str]:
    if not isinstance(value, list | Mapping) or len(value) <= limit:
        return []
    return [f"{field} has {len(value)} entries, more than the limit of {limit}"]


def _relation_problems(processed: Mapping[str, Any], limits: EntityLimits) -> list[str]:
    spec_def = KINDS.get(processed.get("kind", ""))
    spec = processed.get("spec")
    if spec_def is None or not isinstance(spec, Mapping):
        return []
    namespace = (processed.get("metadata") or {}).get("namespace", DEFAULT_NAMESPACE)
    problems: list[str] = []
    for rule in spec_def.relations:
        field = f"spec.{rule.field}"
        value = spec.get(rule.field)
        problems += _count_problem(field, value, limits.max_relation_targets)
        targets, _ = field_targets(rule, spec, namespace)
        for target in targets:
            if len(target) > REF_MAX:
                problems.append(
                    f"{field}: the entity reference {target[:40]!r}... is "
                    f"{len(target)} characters, more than the {REF_MAX} the "
                    "catalog stores"
                )
                break
    return problems
