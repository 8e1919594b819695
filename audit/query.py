"""Filtering the audit log: one function for the page, its CSV and the API."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.db.models import QuerySet

from audit.models import AuditEntry
from core import inputs

FILTERS = ("action", "actor", "source", "target", "since", "until")
COLUMNS = ("at", "actor", "source", "address", "action", "target", "details")


class FilterError(ValueError):
    """A filter that cannot be used; the message says which and why."""


def filtered(query: Mapping[str, str]) -> QuerySet[AuditEntry]:
    """Entries matching the filters given (all of them), newest first.

    action: a name or its start (`location.` for every location write); actor:
    the exact name, any case; source: web, api, cli, webhook or system; target:
    a part of it; since / until: dates (YYYY-MM-DD), both included.
    """
    rows = AuditEntry.objects.all()
    if action := query.get("action", "").strip():
        rows = rows.filter(action__startswith=action)
    if actor := query.get("actor", "").strip():
        rows = rows.filter(actor__iexact=actor)
    if source := query.get("source", "").strip():
        if source not in AuditEntry.Source.values:
            raise FilterError(f"source must be one of {', '.join(AuditEntry.Source)}")
        rows = rows.filter(source=source)
    if target := query.get("target", "").strip():
        rows = rows.filter(target__icontains=target)
    try:
        if since := query.get("since", "").strip():
            rows = rows.filter(at__gte=inputs.day_start(since, "since"))
        if until := query.get("until", "").strip():
            rows = rows.filter(at__lt=inputs.day_after(until, "until"))
    except inputs.InputRefused as exc:
        raise FilterError(str(exc)) from None
    return rows


def as_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "source": entry.source,
        "address": entry.address,
        "action": entry.action,
        "target": entry.target,
        "details": entry.details,
    }


def csv_rows(rows: QuerySet[AuditEntry]) -> Iterator[list[Any]]:
    """The entries as spreadsheet rows (COLUMNS), details as `key=value, ...`."""
    for entry in rows.iterator(chunk_size=2000):
        data = as_json(entry)
        data["details"] = ", ".join(f"{k}={v}" for k, v in entry.details.items())
        yield [data[column] for column in COLUMNS]
