"""Relations in both directions from the spec fields of the relation table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from catalog.descriptor import rules
from catalog.descriptor.kinds import KINDS, RelationRule
from catalog.descriptor.refs import EntityName, RefError, compound_ref, parse_ref


@dataclass(frozen=True, slots=True, order=True)
class Relation:
    source: str
    type: str
    target: str


def entity_relations(
    ref: str, kind: str, namespace: str, spec: Mapping[str, Any]
) -> tuple[list[Relation], list[str]]:
    """The relations an entity's spec produces, both directions, and any ref errors.

    Refs without a namespace take the declaring entity's namespace; lists are read
    sorted so reordering a list does not churn rows.
    """
    relations: set[Relation] = set()
    errors: list[str] = []
    spec_def = KINDS.get(kind)
    for rule in spec_def.relations if spec_def else ():
        targets, field_errors = field_targets(rule, spec, namespace)
        errors.extend(field_errors)
        for target in targets:
            relations.add(Relation(ref, rule.forward, target))
            relations.add(Relation(target, rule.reverse, ref))
    return sorted(relations), errors


def field_targets(
    rule: RelationRule, spec: Mapping[str, Any], namespace: str
) -> tuple[list[str], list[str]]:
    """The refs one relation field names, and the errors of those it cannot parse."""
    targets: list[str] = []
    errors: list[str] = []
    for item in _ref_values(spec.get(rule.field)):
        try:
            targets.append(_target(item, rule.default_kind, namespace).ref)
        except RefError as exc:
            errors.append(f"spec.{rule.field}: {exc}")
    return targets, errors


def _ref_values(value: Any) -> list[Any]:
    """A field's refs: one or a list, of strings or {kind, namespace, name} objects."""
    if rules.is_js_falsy(value):
        return []  # Backstage's doEmit: `if (!targets) return;`
    items = value if isinstance(value, list) else [value]
    return sorted(items, key=lambda item: str(item))


def _target(item: Any, default_kind: str | None, namespace: str) -> EntityName:
    if isinstance(item, dict):
        return compound_ref(
            item, default_kind=default_kind, default_namespace=namespace
        )
    if not isinstance(item, str):
        raise RefError(f"entity reference {item!r} is neither a string nor an object")
    return parse_ref(item, default_kind=default_kind, default_namespace=namespace)
