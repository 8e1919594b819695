"""One run of an organisation provider: read the directory, apply it, record it.

A run reads the whole directory (people/sources/), and only a whole read is
applied: a read that fails half-way would otherwise remove everyone it missed.
A read equal to the last applied one (its fingerprint) changes nothing and
writes nothing but the run; otherwise the crawl's apply path writes only the
entities that changed (catalog/ingest/provided.py), and everyone the directory
no longer lists is removed with a history entry saying so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from importlib import import_module

from django.db import transaction
from django.utils import timezone

from catalog.ingest.provided import apply_provided
from catalog.models import Location
from core.locks import PROVIDER, advisory_lock
from people.directory import Directory, documents
from people.models import OrgProvider, ProviderRun
from people.sources import SourceError

log = logging.getLogger(__name__)
MAX_NOTES = 100  # notes kept per run; the rest are counted
Reader = Callable[[OrgProvider], Directory]


def reader(kind: str) -> Reader:
    """people/sources/<kind>.py's `read` (imported when first used: an LDAP
    client is loaded only where an LDAP provider runs)."""
    read: Reader = import_module(f"people.sources.{kind}").read
    return read


def leaver_reason(provider: OrgProvider) -> str:
    return (
        f"no longer in {provider.get_kind_display()} {provider.name!r} "
        "(left, or removed there)"
    )


def run_provider(
    provider_id: int, *, trigger: str = "schedule", force: bool = False
) -> ProviderRun | None:
    """Run the provider now; None when it is gone or another run holds it."""
    with advisory_lock(PROVIDER, provider_id, wait=False) as held:
        if not held:
            return None
        provider = (
            OrgProvider.objects.filter(pk=provider_id)
            .select_related("connection", "location")
            .first()
        )
        if provider is None:
            return None
        return _run(provider, trigger, force)


def _run(provider: OrgProvider, trigger: str, force: bool) -> ProviderRun:
    run = ProviderRun.objects.create(provider=provider, trigger=trigger)
    OrgProvider.objects.filter(pk=provider.pk).update(
        next_run_at=timezone.now() + timedelta(seconds=provider.interval)
    )
    try:
        directory = reader(provider.kind)(provider)
    except SourceError as exc:
        return _failed(run, provider.location, str(exc))
    except Exception:
        log.exception("provider %s: the read failed", provider.name)
        return _failed(
            run, provider.location, "the read failed unexpectedly (see the logs)"
        )
    run.people, run.teams = len(directory.people), len(directory.teams)
    run.notes = directory.problems[:MAX_NOTES]
    if len(directory.problems) > MAX_NOTES:
        run.notes.append(f"{len(directory.problems) - MAX_NOTES} more notes")
    fingerprint = directory.fingerprint()
    # The location keeps what it last applied; deleting one of its entities (the
    # API's DELETE) clears it, so that entity comes back, as in Backstage.
    if fingerprint == provider.location.last_commit and not force:
        return _finish(run, provider.location, ProviderRun.Status.UNCHANGED)
    with transaction.atomic():
        stats = apply_provided(
            provider.location,
            documents(directory, provider.namespace),
            version=fingerprint,
            removal_reason=leaver_reason(provider),
            problems=run.notes,
        )
    run.added, run.changed, run.removed = stats.added, stats.changed, stats.removed
    run.unchanged, run.errors = stats.unchanged, stats.errors
    status = ProviderRun.Status.SUCCEEDED
    return _finish(run, provider.location, status, commit=fingerprint)


def _failed(run: ProviderRun, location: Location, error: str) -> ProviderRun:
    run.error = error
    return _finish(run, location, ProviderRun.Status.FAILED)


def _finish(
    run: ProviderRun, location: Location, status: str, commit: str = ""
) -> ProviderRun:
    now = timezone.now()
    run.status, run.finished_at = status, now
    run.save()
    failed = status == ProviderRun.Status.FAILED
    fields: dict[str, object] = {
        "last_crawl_started": run.started_at,
        "last_crawl_finished": now,
        "last_error": run.error,
    }
    if failed:
        fields["status"] = Location.Status.FAILED
    elif status == ProviderRun.Status.SUCCEEDED:
        fields["status"] = Location.Status.WARNING if run.errors else Location.Status.OK
        fields["last_commit"] = commit
    Location.every.filter(pk=location.pk).update(**fields)
    return run


def due_providers() -> list[int]:
    """Providers whose next run is due, moved on so that the next tick does not
    send them again while their run waits in the queue."""
    now = timezone.now()
    due = list(
        # SCIM providers too: each write runs its provider at once, and this
        # hourly run (an unchanged read writes nothing) is the safety net.
        OrgProvider.objects.filter(enabled=True, next_run_at__lte=now).values_list(
            "pk", "interval"
        )
    )
    for pk, interval in due:
        OrgProvider.objects.filter(pk=pk).update(
            next_run_at=now + timedelta(seconds=interval)
        )
    return [pk for pk, _ in due]
