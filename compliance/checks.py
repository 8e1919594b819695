"""Each scorecard check: a plain function of one entity's facts and a rule.

`Facts` is everything a check may look at, gathered for many entities at once by
compliance/scoring.py, so the checks themselves touch no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from catalog.descriptor.loading import FileRefused, load_one
from compliance.rules import Rule

SOURCE_LOCATION = "backstage.io/source-location"
DETAIL_CHARS = 300
Verdict = tuple[bool, str]


@dataclass(frozen=True, slots=True)
class Facts:
    ref: str
    kind: str  # lower-case
    owner_ref: str
    processed: dict[str, Any]
    owner_kind: str = ""  # the owner entity's kind when it is in the catalog
    owner_members: int = 0  # hasMember relations of the owner
    docs: str = ""  # "built", "not built" or "" (no TechDocs)

    def section(self, name: str) -> dict[str, Any]:
        value = self.processed.get(name)
        return value if isinstance(value, dict) else {}


def evaluate(rule: Rule, facts: Facts) -> Verdict:
    passed, detail = CHECKS[rule.check](rule, facts)
    return passed, detail[:DETAIL_CHARS]


def owner_exists(rule: Rule, facts: Facts) -> Verdict:
    if not facts.owner_ref:
        return False, "no spec.owner"
    if not facts.owner_kind:
        return False, f"owner {facts.owner_ref} is not in the catalog"
    if facts.owner_kind not in ("group", "user"):
        return False, (
            f"owner {facts.owner_ref} is a {facts.owner_kind}, not a Group or User"
        )
    return True, f"owned by {facts.owner_ref}"


def owner_members(rule: Rule, facts: Facts) -> Verdict:
    exists, detail = owner_exists(rule, facts)
    if not exists:
        return False, detail
    if facts.owner_kind != "group":
        return False, f"owner {facts.owner_ref} is a person, not a group"
    counted = f"{facts.owner_ref} has {facts.owner_members} member" + (
        "" if facts.owner_members == 1 else "s"
    )
    if facts.owner_members < rule.minimum:
        return False, f"{counted}; at least {rule.minimum} needed"
    return True, counted


def has_description(rule: Rule, facts: Facts) -> Verdict:
    return _present(facts.section("metadata").get("description"), "description")


def has_lifecycle(rule: Rule, facts: Facts) -> Verdict:
    return _present(facts.section("spec").get("lifecycle"), "spec.lifecycle")


def has_source_location(rule: Rule, facts: Facts) -> Verdict:
    return _present(_annotations(facts).get(SOURCE_LOCATION), SOURCE_LOCATION)


def techdocs_built(rule: Rule, facts: Facts) -> Verdict:
    if facts.docs == "built":
        return True, "TechDocs built"
    if facts.docs:
        return False, "TechDocs have not built yet (see the Docs tab)"
    return False, "no TechDocs (backstage.io/techdocs-ref)"


def _present(value: Any, name: str) -> Verdict:
    if isinstance(value, str) and value.strip():
        return True, f"{name}: {value.strip()}"
    return False, f"no {name}"


def annotation(rule: Rule, facts: Facts) -> Verdict:
    return _value(rule, _annotations(facts), f"annotation {rule.key}")


def label(rule: Rule, facts: Facts) -> Verdict:
    labels = facts.section("metadata").get("labels")
    return _value(rule, labels if isinstance(labels, dict) else {}, f"label {rule.key}")


def field(rule: Rule, facts: Facts) -> Verdict:
    value: Any = facts.processed
    for part in rule.key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return _value(rule, {rule.key: value}, rule.key)


def _annotations(facts: Facts) -> dict[str, Any]:
    value = facts.section("metadata").get("annotations")
    return value if isinstance(value, dict) else {}


def _value(rule: Rule, values: dict[str, Any], name: str) -> Verdict:
    """Exists (not empty); or, for a list, every item matches / is one of."""
    value = values.get(rule.key)
    if value is None or value == "" or value == [] or value == {}:
        return False, f"no {name}"
    if rule.pattern is None and not rule.one_of:
        return True, f"{name} is set"
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict | list):
            return False, f"{name} is not a plain value"
        text = "true" if item is True else "false" if item is False else str(item)
        if rule.pattern is not None and not rule.pattern.search(text):
            return False, f"{name} {text!r} does not match {rule.pattern.pattern}"
        if rule.one_of and text not in rule.one_of:
            return False, f"{name} {text!r} is not one of {', '.join(rule.one_of)}"
    return True, f"{name}: {value if isinstance(value, str) else items}"


def api_definition(rule: Rule, facts: Facts) -> Verdict:
    if facts.kind != "api":
        return False, "not an API"
    spec = facts.section("spec")
    kind_of_api = str(spec.get("type") or "").strip().lower()
    definition = spec.get("definition")
    if isinstance(definition, str):
        if not definition.strip():
            return False, "spec.definition is empty"
        if kind_of_api not in STRUCTURED:
            return _text_definition(kind_of_api, definition)
        try:
            definition = load_one(definition.encode())
        except FileRefused as exc:
            return False, f"spec.definition is not valid YAML or JSON: {exc}"
    if not isinstance(definition, dict):
        return False, "no spec.definition"
    if kind_of_api not in STRUCTURED:
        return True, f"{kind_of_api or 'definition'} given as a document"
    problem = STRUCTURED[kind_of_api](definition)
    if problem:
        return False, f"{kind_of_api} definition: {problem}"
    return True, f"valid {kind_of_api} definition"


def _openapi(document: dict[str, Any]) -> str:
    version = str(document.get("openapi") or document.get("swagger") or "")
    if not (version.startswith("3.") or version == "2.0"):
        return "no openapi: 3.x (or swagger: '2.0') version field"
    problem = _info(document)
    if problem:
        return problem
    if not any(isinstance(document.get(k), dict) for k in ("paths", "webhooks")):
        return "no paths"
    return ""


def _asyncapi(document: dict[str, Any]) -> str:
    if not str(document.get("asyncapi") or "").strip():
        return "no asyncapi version field"
    return _info(document)


def _info(document: dict[str, Any]) -> str:
    info = document.get("info")
    if not isinstance(info, dict) or not info.get("title") or not info.get("version"):
        return "info must have a title and a version"
    return ""


STRUCTURED: dict[str, Callable[[dict[str, Any]], str]] = {
    "openapi": _openapi,
    "asyncapi": _asyncapi,
}
TEXT_MARKERS = {
    "graphql": re.compile(r"\b(type|schema|interface|enum|input|union|scalar)\s+\w"),
    "grpc": re.compile(r"\b(syntax|service|message)\b"),
}


def _text_definition(kind_of_api: str, text: str) -> Verdict:
    marker = TEXT_MARKERS.get(kind_of_api)
    if marker is not None and not marker.search(text):
        return False, f"spec.definition does not look like a {kind_of_api} schema"
    return True, f"{kind_of_api or 'definition'} present"


CHECKS: dict[str, Callable[[Rule, Facts], Verdict]] = {
    "owner-exists": owner_exists,
    "has-description": has_description,
    "has-lifecycle": has_lifecycle,
    "techdocs-built": techdocs_built,
    "has-source-location": has_source_location,
    "owner-members": owner_members,
    "api-definition": api_definition,
    "annotation": annotation,
    "label": label,
    "field": field,
}
