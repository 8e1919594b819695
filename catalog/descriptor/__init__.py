"""The descriptor model: catalog-info.yaml text to entities, relations and problems.

Plain Python with no Django imports, so it can be tested and reused anywhere.
"""

from __future__ import annotations

from catalog.descriptor.loading import FileRefused, Limits
from catalog.descriptor.parse import (
    FileResult,
    ParsedEntity,
    Problem,
    parse_documents,
    parse_file,
)
from catalog.descriptor.refs import EntityName, RefError, parse_ref
from catalog.descriptor.relations import Relation

__all__ = [
    "EntityName",
    "FileRefused",
    "FileResult",
    "Limits",
    "ParsedEntity",
    "Problem",
    "RefError",
    "Relation",
    "parse_documents",
    "parse_file",
    "parse_ref",
]
