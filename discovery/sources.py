"""Adding and changing discovery sources: what the command and the admin call."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from audit import log as audit
from catalog.ingest.reader import clean_relative
from discovery import hostclient, hosts
from discovery.models import DiscoverySource, HostConnection

MAX_PATTERNS = 100


class SourceError(ValueError):
    """A source that cannot be saved as asked; the message is safe to show."""


def add_source(name: str, connection: HostConnection, scope: str,
               **options: Any) -> DiscoverySource:  # fmt: skip
    """A new source, its scope and filters checked (nothing is asked of the host)."""
    source = DiscoverySource(name=name, connection=connection, scope=scope.strip())
    for field, value in options.items():
        if value is not None:
            setattr(source, field, value)
    check_source(source)
    with transaction.atomic():
        source.save()
        audit.record("discovery.add", name, host=connection.name, scope=source.scope)
    return source


def check_source(source: DiscoverySource) -> None:
    """Refuse a scope the host kind does not know, and filters that are not lists
    of short strings or paths that leave the repository."""
    try:
        hosts.kind(source.connection.kind).first_page(
            hosts.Api(source.connection), source.scope
        )
    except hostclient.HostApiError as exc:
        raise SourceError(str(exc)) from None
    for field in ("include", "exclude", "topics", "descriptor_paths"):
        value = getattr(source, field)
        if not isinstance(value, list) or len(value) > MAX_PATTERNS:
            raise SourceError(f"{field} must be a list of at most {MAX_PATTERNS}")
        if not all(isinstance(v, str) and 0 < len(v) <= 300 for v in value):
            raise SourceError(f"{field} must hold strings of 1 to 300 characters")
    if not source.descriptor_paths:
        raise SourceError("give at least one descriptor path")
    for path in source.descriptor_paths:
        if clean_relative(path) is None:
            raise SourceError(f"{path!r} is not a path inside a repository")
    try:
        source.full_clean(exclude=["connection"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise SourceError(f"{field}: {messages[0]}") from None
