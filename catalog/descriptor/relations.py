"""Relations in both directions from the spec fields of the relation table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from catalog.descriptor.kinds import KINDS
from catalog.descriptor.refs import RefError, parse_ref


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
        value = spec.get(rule.field)
        if value is None:
            continue
        for text in sorted(value) if isinstance(value, list) else [value]:
            try:
                target = parse_ref(
                    text, default_kind=rule.default_kind, default_namespace=namespace
                ).ref
            except RefError as exc:
                errors.append(f"spec.{rule.field}: {exc}")
                continue
            relations.add(Relation(ref, rule.forward, target))
            relations.add(Relation(target, rule.reverse, ref))
    return sorted(relations), errors
