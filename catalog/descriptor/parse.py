"""One descriptor file: bytes in, entities and problems out."""

from __future__ import annotations

import copy
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from catalog.descriptor.loading import FileRefused, Limits, load_documents
from catalog.descriptor.refs import DEFAULT_NAMESPACE, EntityName
from catalog.descriptor.relations import Relation, entity_relations
from catalog.descriptor.substitution import BudgetExceeded, Placeholders, ReadFile
from catalog.descriptor.validation import (
    collect_annotations,
    storage_problems,
    unstorable_problems,
    validate_entity,
)

DEFAULT_LIMITS = Limits()
# Problems listed per file; the rest are counted in one last problem.
MAX_PROBLEMS_PER_FILE = 100
Level = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message: str
    document: int | None = None
    ref: str | None = None
    level: Level = "error"


@dataclass(frozen=True, slots=True)
class ParsedEntity:
    ref: str
    kind: str
    namespace: str
    name: str
    path: str
    document: int
    descriptor: dict[str, Any]  # as written
    entity: dict[str, Any]  # processed: namespace filled, placeholders resolved
    relations: tuple[Relation, ...]

    @property
    def owner(self) -> str | None:
        return next(
            (
                r.target
                for r in self.relations
                if r.source == self.ref and r.type == "ownedBy"
            ),
            None,
        )


@dataclass(slots=True)
class FileResult:
    entities: list[ParsedEntity] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Refs of documents that failed after their identity was known: their last good
    # version stays in the catalog rather than vanishing because of one typo.
    kept_refs: set[str] = field(default_factory=set)
    # Some of the file could not be read (refused, or a YAML error that stopped the
    # parser): entities that came from it before are kept, not removed.
    incomplete: bool = False
    # Problems past MAX_PROBLEMS_PER_FILE, counted but not kept.
    unlisted: int = 0

    def add(self, problem: Problem) -> None:
        """Keep a problem, up to MAX_PROBLEMS_PER_FILE: a file of a million broken
        one-line documents must not become a million rows and a million objects."""
        if len(self.problems) < MAX_PROBLEMS_PER_FILE:
            self.problems.append(problem)
        else:
            self.unlisted += 1


def parse_file(
    data: bytes,
    path: str,
    *,
    limits: Limits = DEFAULT_LIMITS,
    read: ReadFile | None = None,
    placeholders: Placeholders | None = None,
) -> FileResult:
    """Parse, substitute and validate every document of one descriptor file.

    `placeholders` is shared by every file of a location (one read per file, one
    budget); without it, this file's placeholders get a budget of their own.
    """
    result = FileResult()
    if placeholders is None:
        placeholders = Placeholders(read, limits)
    try:
        documents = load_documents(data, limits)
    except FileRefused as exc:
        result.add(Problem(path, f"{path}: {exc}"))
        result.incomplete = True
        return result
    base_dir = posixpath.dirname(path)
    for doc in documents:
        if doc.error is not None:
            message = f"{path}, document {doc.index + 1}: {doc.error}"
            result.add(Problem(path, message, doc.index))
            result.incomplete = True
        elif doc.value is not None:
            _parse_document(
                doc.value, path, doc.index, base_dir, placeholders, limits, result
            )
    if result.unlisted:
        more = f"{result.unlisted} more problems in this file are not listed"
        result.problems.append(
            Problem(path, f"{path}: {more} (the first {MAX_PROBLEMS_PER_FILE} are)")
        )
    return result


def parse_documents(
    values: list[object], path: str, *, limits: Limits = DEFAULT_LIMITS
) -> FileResult:
    """Validate documents that arrived as data, not YAML (an organisation
    provider's Groups and Users): the same checks as a file's, `path` naming
    where they came from. Nothing is read for them: a placeholder stays unresolved.
    """
    result = FileResult()
    placeholders = Placeholders(None, limits)
    for index, value in enumerate(values):
        _parse_document(value, path, index, "", placeholders, limits, result)
    return result


def _parse_document(
    value: object,
    path: str,
    index: int,
    base_dir: str,
    placeholders: Placeholders,
    limits: Limits,
    result: FileResult,
) -> None:
    where = f"{path}, document {index + 1}"
    if not isinstance(value, dict):
        result.add(
            Problem(
                path,
                f"{where}: Expected object at root, got {type(value).__name__}",
                index,
            )
        )
        return
    ref = identity(value)
    collected = copy.deepcopy(value)
    problem = collect_annotations(collected)
    if problem:
        _reject(result, path, index, where, ref, [problem])
        return
    try:
        processed, warnings = placeholders.substitute(collected, base_dir)
    except BudgetExceeded as exc:
        _reject(result, path, index, where, ref, [str(exc)])
        return
    # Unstorable text first: Backstage's messages would quote it back.
    errors = unstorable_problems(value) or validate_entity(processed)
    if errors:
        _reject(result, path, index, where, ref, errors)
        return
    processed["metadata"].setdefault("namespace", DEFAULT_NAMESPACE)
    processed.setdefault("spec", {})
    metadata = processed["metadata"]
    name = EntityName(processed["kind"], metadata["namespace"], metadata["name"])
    relations, ref_errors = entity_relations(
        name.ref, name.kind, name.namespace, processed["spec"]
    )
    if ref_errors:
        _reject(result, path, index, where, name.ref, ref_errors)
        return
    refused = storage_problems(value, processed, limits.entity)
    if refused:
        _reject(result, path, index, where, name.ref, refused)
        return
    for warning in warnings:
        result.add(Problem(path, f"{where}: {warning}", index, name.ref, "warning"))
    result.entities.append(
        ParsedEntity(
            ref=name.ref,
            kind=name.kind,
            namespace=name.namespace,
            name=name.name,
            path=path,
            document=index,
            descriptor=value,
            entity=processed,
            relations=tuple(relations),
        )
    )


def _reject(
    result: FileResult,
    path: str,
    index: int,
    where: str,
    ref: str | None,
    errors: list[str],
) -> None:
    label = f" ({ref})" if ref else ""
    message = f"{where}{label}: " + "; ".join(errors)
    result.add(Problem(path, message, index, ref))
    if ref:
        result.kept_refs.add(ref)


def identity(value: Mapping[str, Any]) -> str | None:
    """The ref of a document when its kind and name are readable, valid or not."""
    metadata = value.get("metadata")
    kind = value.get("kind")
    if not isinstance(metadata, Mapping) or not isinstance(kind, str):
        return None
    name, namespace = metadata.get("name"), metadata.get("namespace", DEFAULT_NAMESPACE)
    if not isinstance(name, str) or not isinstance(namespace, str) or not name:
        return None
    return EntityName(kind, namespace, name).ref
