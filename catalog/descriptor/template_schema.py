"""Spec checks by the JSON schemas Backstage itself validates a kind with.

Template entities (`scaffolder.backstage.io/v1beta3`) are checked by the schema
@backstage/plugin-scaffolder-common ships, vendored unchanged in `schemas/` with
the catalog-model schemas it refers to (`$ref: Entity`), so the verdict is the
scaffolder's own rather than a hand-written subset of it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# jsonschema ships no type hints (types-jsonschema is not among the locked packages).
from jsonschema import Draft7Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]
from referencing import Registry
from referencing.jsonschema import DRAFT7

SCHEMAS = Path(__file__).with_name("schemas")
# The catalog-model schemas a kind schema may refer to by their `$id`, as
# catalog-model's compileAjvSchema adds them.
SHARED_SCHEMAS = ("Entity", "EntityMeta", "common")
MAX_ERRORS = 10  # a hostile document can fail thousands of times over
MAX_MESSAGE = 200


def load_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return schema


@functools.cache
def _validator(name: str) -> Draft7Validator:
    """The schema compiled once; its `$ref`s resolve only to the vendored files
    (the registry retrieves nothing)."""
    shared = [load_schema(shared) for shared in SHARED_SCHEMAS]
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], DRAFT7.create_resource(schema)) for schema in shared
    )
    return Draft7Validator(load_schema(name), registry=registry)


def schema_problems(name: str, doc: Mapping[str, Any]) -> list[str]:
    """Why the document fails the named kind schema (at most MAX_ERRORS reasons)."""
    problems = []
    for error in _validator(name).iter_errors(doc):
        problems.append(_describe(error))
        if len(problems) == MAX_ERRORS:
            break
    return problems


def _describe(error: ValidationError) -> str:
    where = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}"
        for part in error.absolute_path
    ).lstrip(".")
    message = error.message
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "..."
    return f"{where or '<root>'}: {message}"
