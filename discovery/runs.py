"""A discovery run: list a source's scope page by page and keep the catalog complete.

For each repository the host lists: left out by the source's filters (archived,
forks, visibility, names, topics), it is recorded as excluded and any location
discovery made for it is unregistered; unchanged since the last look (the host's
pushed-at time), nothing more is asked; otherwise its default branch is read for
the descriptor paths, in order, through the host's API. A descriptor found means
a location (registered in bulk through catalog.locations, or an existing one for
the same repository); a renamed or transferred repository keeps its location,
pointed at the new URL (catalog.locations.retarget_location: entities and their
history stay). No descriptor: the repository is uncatalogued, which is what the
compliance coverage check lists. When the listing has ended, repositories not seen
in it are gone, and their discovered locations are unregistered.

A rate limit ends the run as waiting, to go on from the same page when the host
says; any other failure is retried from that page three times, then the run fails
with the reason on the source's page. Every decision counts in the run, and every
error is a problem row shown with it: nothing discovery decides is only in a log.
"""

from __future__ import annotations

import fnmatch
import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit import log as audit
from catalog.hosts import repository_key
from catalog.ingest.reader import clean_relative
from catalog.locations import (
    RegistrationError,
    Target,
    locations_of,
    register_many,
    retarget_location,
    unregister_location,
    validate_target,
)
from catalog.models import Location
from core import locks
from core.secrets import UnreadableSecret
from discovery import credentials, hostclient, hosts
from discovery.models import (
    DiscoveredRepository,
    DiscoveryProblem,
    DiscoveryRun,
    DiscoverySource,
)

logger = logging.getLogger(__name__)

SETTLED = timedelta(seconds=5)  # push times this recent are looked at again
RETRIES = 3  # failures in a row from one page before the run fails
RETRY_WAIT = (60, 300, 900)  # seconds before each retry
MAX_PROBLEMS = 1000  # problem rows a run keeps; the rest are counted
GLOB_CHARACTERS = "*?["

State = DiscoveredRepository.State


def start_run(source: DiscoverySource, trigger: str = "manual") -> DiscoveryRun:
    """A new run of the source (or the one already going on)."""
    with transaction.atomic():
        DiscoverySource.objects.select_for_update().filter(pk=source.pk).first()
        going = source.runs.filter(
            status__in=[DiscoveryRun.Status.RUNNING, DiscoveryRun.Status.WAITING]
        ).first()
        if going is not None:
            return going
        run = DiscoveryRun.objects.create(source=source, trigger=trigger)
        DiscoverySource.objects.filter(pk=source.pk).update(
            next_run_at=timezone.now() + timedelta(seconds=source.interval)
        )
        audit.record("discovery.run", source.name, trigger=trigger, run=run.pk)
    return run


def run_discovery(run_id: int) -> DiscoveryRun:
    """Go on with a run from where it stands; safe to call twice (a second caller
    finds the source's lock held and leaves)."""
    run = DiscoveryRun.objects.select_related("source__connection").get(pk=run_id)
    if run.status in (DiscoveryRun.Status.OK, DiscoveryRun.Status.FAILED):
        return run
    with locks.advisory_lock(locks.DISCOVERY, run.source_id, wait=False) as held:
        if not held:
            return run
        _run(run)
    return run


def _run(run: DiscoveryRun) -> None:
    source = run.source
    run.status, run.resume_after = DiscoveryRun.Status.RUNNING, None
    run.save(update_fields=["status", "resume_after"])
    api = hosts.Api(source.connection)
    decide = _Decider(run)
    try:
        for page in hosts.pages(api, source.scope, run.resume_url):
            decide.page(api, page.repositories)
            run.resume_url, run.attempts = page.next_url, 0
            run.save(update_fields=[*decide.COUNTS, "resume_url", "attempts"])
    except hostclient.RateLimited as exc:
        _pause(run, exc.retry_at, str(exc))
        return
    except (hostclient.HostApiError, credentials.CredentialError) as exc:
        _failed_page(run, str(exc))
        return
    except UnreadableSecret:
        _fail(
            run, "the connection's credential was sealed under another key: rotate it"
        )
        return
    decide.gone()
    # Pages listed again after a stop counted twice: the totals are the rows.
    seen = source.repositories.filter(last_seen_run=run)
    run.seen = seen.count()
    run.uncatalogued = seen.filter(state=State.UNCATALOGUED).count()
    run.status, run.finished_at, run.message = (
        DiscoveryRun.Status.OK,
        timezone.now(),
        "",
    )
    run.save()


def _pause(run: DiscoveryRun, until: datetime, message: str) -> None:
    """Stop until `until`; the counts so far and the page to go on from stay."""
    run.status, run.resume_after = DiscoveryRun.Status.WAITING, until
    run.message = message
    run.save()


def _failed_page(run: DiscoveryRun, message: str) -> None:
    _problem(run, "", message)
    if run.attempts >= RETRIES:
        _fail(run, message)
        return
    wait = RETRY_WAIT[min(run.attempts, len(RETRY_WAIT) - 1)]
    run.attempts += 1
    _pause(run, timezone.now() + timedelta(seconds=wait), f"{message}; retrying")


def _fail(run: DiscoveryRun, message: str) -> None:
    run.status, run.finished_at, run.message = (
        DiscoveryRun.Status.FAILED,
        timezone.now(),
        message,
    )
    run.save()


def _problem(run: DiscoveryRun, repository: str, message: str) -> None:
    run.errors += 1
    if run.problems.count() < MAX_PROBLEMS:
        DiscoveryProblem.objects.create(
            run=run, repository=repository[:300], message=message[:2000]
        )


class _Decider:
    """What one run decides for each repository, page by page, in bulk."""

    COUNTS = ["seen", "registered", "updated", "uncatalogued", "removed", "errors"]

    def __init__(self, run: DiscoveryRun, *, look: bool = False) -> None:
        self.run = run
        self.look = look  # look at the files even if the push time has not moved
        self.source = run.source

    # --- a page ---------------------------------------------------------------

    def page(self, api: hosts.Api, listed: list[hosts.HostRepository]) -> None:
        known = {
            r.host_id: r
            for r in self.source.repositories.select_related("location").filter(
                host_id__in=[r.host_id for r in listed]
            )
        }
        now = timezone.now()
        register: list[tuple[DiscoveredRepository, Target]] = []
        rows: list[DiscoveredRepository] = []
        seen: list[int] = []  # rows nothing changed but the sighting
        try:
            for found in {r.host_id: r for r in listed}.values():  # once each
                row = known.get(found.host_id) or DiscoveredRepository(
                    source=self.source, host_id=found.host_id, first_seen_at=now
                )
                before = _snapshot(row)
                if target := self._decide(api, row, found):
                    register.append((row, target))
                row.last_seen_run, row.last_seen_at = self.run, now
                if row.pk is not None and not target and _snapshot(row) == before:
                    seen.append(row.pk)
                else:
                    rows.append(row)
                self.run.seen += 1
                self.run.uncatalogued += row.state == State.UNCATALOGUED
        finally:
            # Stopped inside the page (a rate limit): what was decided is kept,
            # and the page listed again skips it (unchanged since checked).
            with transaction.atomic():
                self._register(register)
                _save(rows)
                DiscoveredRepository.objects.filter(pk__in=seen).update(
                    last_seen_run=self.run, last_seen_at=now
                )

    def _decide(
        self, api: hosts.Api, row: DiscoveredRepository, found: hosts.HostRepository
    ) -> Target | None:
        """Bring the row up to date with what the host listed; the location to
        register for it, if it needs one."""
        renamed = row.pk is not None and row.clone_url != found.clone_url
        unchanged = (
            not self.look
            and row.pk is not None
            and found.pushed_at is not None  # a host that does not say: look again
            and row.checked_pushed_at == found.pushed_at
            and row.state in (State.CATALOGUED, State.UNCATALOGUED)
            and (row.state == State.UNCATALOGUED or row.location is not None)
        )
        _copy(row, found)
        if reason := self._excluded(found):
            if row.state != State.EXCLUDED:
                self._drop(row, f"discovery: {reason}")
            row.state, row.reason, row.checked_pushed_at = State.EXCLUDED, reason, None
            return None
        if renamed and row.location is not None:
            self._move(row)
        if unchanged:
            return None
        try:
            path = self._descriptor(api, found)
        except hostclient.RateLimited:
            raise
        except hostclient.HostApiError as exc:
            _problem(self.run, found.full_name, str(exc))
            return None
        row.checked_pushed_at, row.reason = _settled(found.pushed_at), ""
        if path is None:
            if row.state != State.UNCATALOGUED:
                self._drop(row, "discovery: the repository has no descriptor")
            row.state, row.descriptor_path = State.UNCATALOGUED, ""
            row.owners = self._owners(api, found)
            return None
        row.owners = []
        row.state = State.CATALOGUED
        moved = row.descriptor_path != path
        row.descriptor_path = path
        if row.location is not None:
            if moved:  # the first path found is another one now
                self._move(row)
            return None
        try:
            return validate_target(found.clone_url, "", path)
        except RegistrationError as exc:
            _problem(self.run, found.full_name, str(exc))
            row.state = State.UNCATALOGUED
            return None

    def _owners(self, api: hosts.Api, found: hosts.HostRepository) -> list[str]:
        """Who the host says owns it (for the coverage list and the proposal)."""
        try:
            return hosts.kind(api.connection.kind).owners(api, found)
        except hostclient.RateLimited:
            raise
        except hostclient.HostApiError as exc:
            _problem(self.run, found.full_name, f"owners unknown: {exc}")
            return []

    def _excluded(self, found: hosts.HostRepository) -> str:
        source = self.source
        name = found.full_name
        if found.archived and not source.include_archived:
            return "archived"
        if found.fork and not source.include_forks:
            return "a fork"
        if source.visibility == "public" and found.private:
            return "private"
        if source.visibility == "private" and not found.private:
            return "public"
        if source.include and not _matches(name, source.include):
            return "not matched by the include patterns"
        if source.exclude and _matches(name, source.exclude):
            return "matched by an exclude pattern"
        if source.topics and not set(source.topics) & set(found.topics):
            return "none of the source's topics"
        if not found.default_branch:
            return "empty (no default branch)"
        return ""

    def _descriptor(self, api: hosts.Api, found: hosts.HostRepository) -> str | None:
        """The first descriptor path the repository has (a glob is taken as is:
        the crawl finds its files), or None."""
        adapter = hosts.kind(api.connection.kind)
        for path in self.source.descriptor_paths:
            clean = clean_relative(str(path))
            if clean is None:
                continue
            if any(c in clean for c in GLOB_CHARACTERS):
                return clean
            if adapter.read_file(api, found, clean, found.default_branch) is not None:
                return clean
        return None

    # --- what a decision changes in the catalog -------------------------------

    def _register(self, wanted: list[tuple[DiscoveredRepository, Target]]) -> None:
        """Register the page's repositories in bulk, or link each to a location
        already registered for it and its path (by hand, or by another source),
        however its URL is spelled."""
        if not wanted:
            return
        existing = {
            (repository_key(loc.url), loc.path): loc
            for loc in locations_of(target.url for _, target in wanted)
            if loc.parent_id is None
        }
        new: list[Target] = []
        for row, target in wanted:
            found = existing.get((repository_key(target.url), target.path))
            if found is not None:
                row.location, row.registered_location = found, False
            else:
                new.append(target)
        created = {(loc.url, loc.path): loc for loc in register_many(new)}
        for row, target in wanted:
            if row.location is None and (target.url, target.path) in created:
                row.location = created[(target.url, target.path)]
                row.registered_location = True
                self.run.registered += 1

    def _move(self, row: DiscoveredRepository) -> None:
        """Point the repository's location at its new URL or descriptor path: the
        same location and entities, their history kept."""
        location = row.location
        assert location is not None
        path = row.descriptor_path or location.path
        try:
            target = validate_target(row.clone_url, location.branch, path)
        except RegistrationError as exc:
            _problem(self.run, row.full_name, str(exc))
            return
        if (target.url, target.path) == (location.url, location.path):
            return
        if retarget_location(location, target):
            self.run.updated += 1
        else:
            _problem(
                self.run,
                row.full_name,
                "renamed, but another location already reads the new URL",
            )

    def _drop(self, row: DiscoveredRepository, why: str) -> None:
        """Unregister the location discovery registered for the repository (one
        registered by hand, or by another source too, stays)."""
        location = row.location
        owned = location is not None and _discovered_only(location, row)
        row.location, row.registered_location = None, False
        if location is None or not owned:
            return
        with transaction.atomic():
            audit.record("discovery.unregister", str(location), reason=why)
            unregister_location(location)
        self.run.removed += 1

    def left(self, host_id: str, full_name: str) -> None:
        """A repository the host no longer has, or has moved out of the scope."""
        rows = self.source.repositories.exclude(state=State.GONE)
        match = Q(full_name=full_name) | (Q(host_id=host_id) if host_id else Q())
        for row in rows.filter(match).select_related("location"):
            self._drop(row, "discovery: gone from the scope (deleted or moved away)")
            row.state, row.reason = State.GONE, "deleted or moved out of the scope"
            row.save(
                update_fields=["state", "reason", "location", "registered_location"]
            )

    def gone(self) -> None:
        """After a complete listing: what it did not list has left the scope."""
        missing = self.source.repositories.filter(
            ~Q(last_seen_run=self.run) | Q(last_seen_run__isnull=True)
        ).exclude(state=State.GONE)
        for row in missing.select_related("location"):
            self._drop(row, "discovery: gone from the scope (deleted or moved away)")
            row.state, row.reason = State.GONE, "not listed by the host"
            row.save(
                update_fields=["state", "reason", "location", "registered_location"]
            )


def _discovered_only(location: Location, row: DiscoveredRepository) -> bool:
    """Whether this repository's discovery registered the location, and no other
    source's repository reads it too."""
    if not row.registered_location:
        return False
    others = DiscoveredRepository.objects.filter(location=location)
    return not others.exclude(pk=row.pk).exists()


def _settled(pushed_at: datetime | None) -> datetime | None:
    """The push time to skip the next look by, or None to look again: hosts give
    whole seconds, so a push later in the same second as our look would show the
    same time; a time this close to now (or ahead of our clock) is not trusted."""
    if pushed_at is None or pushed_at > timezone.now() - SETTLED:
        return None
    return pushed_at


def _matches(name: str, patterns: list[str]) -> bool:
    short = name.rpartition("/")[2]
    return any(
        fnmatch.fnmatchcase(name, str(p)) or fnmatch.fnmatchcase(short, str(p))
        for p in patterns
    )


def _copy(row: DiscoveredRepository, found: hosts.HostRepository) -> None:
    row.organisation = found.full_name.rpartition("/")[0]
    row.full_name, row.clone_url, row.web_url = (
        found.full_name,
        found.clone_url,
        found.web_url,
    )
    row.default_branch, row.archived, row.fork, row.private = (
        found.default_branch,
        found.archived,
        found.fork,
        found.private,
    )
    row.description, row.topics, row.pushed_at = (
        found.description,
        list(found.topics),
        found.pushed_at,
    )


# What a run may change on a row (the sighting aside).
DECIDED = [
    "full_name", "organisation", "owners", "clone_url", "web_url", "default_branch",
    "archived", "fork", "private", "description", "topics", "pushed_at", "state",
    "reason", "descriptor_path", "location_id", "registered_location",
    "checked_pushed_at",
]  # fmt: skip


def _snapshot(row: DiscoveredRepository) -> tuple[object, ...]:
    return tuple(getattr(row, field) for field in DECIDED)


def _save(rows: list[DiscoveredRepository]) -> None:
    fields = [f.removesuffix("_id") for f in DECIDED] + [
        "last_seen_run",
        "last_seen_at",
    ]
    new = [r for r in rows if r.pk is None]
    old = [r for r in rows if r.pk is not None]
    DiscoveredRepository.objects.bulk_create(new, batch_size=500)
    DiscoveredRepository.objects.bulk_update(old, fields, batch_size=500)


def check_repository(source_id: int, full_name: str) -> DiscoveryRun | None:
    """Look at one repository of a source again now (a repository event, or a push
    to a repository no location reads): a run of its own, counted like any other.
    None while a full run of the source goes on (the two never decide at once):
    the caller tries again a little later."""
    source = DiscoverySource.objects.select_related("connection").get(pk=source_id)
    with locks.advisory_lock(locks.DISCOVERY, source.pk, wait=False) as held:
        if not held:
            return None
        run = DiscoveryRun.objects.create(source=source, trigger="event")
        api = hosts.Api(source.connection)
        # An event says something changed, perhaps within the second of the last
        # look (push times have whole seconds): look again whatever the time says.
        decide = _Decider(run, look=True)
        try:
            found = hosts.kind(source.connection.kind).repository(api, full_name)
            if found is not None and hosts.in_scope(source.scope, found.full_name):
                decide.page(api, [found])
            else:
                decide.left(found.host_id if found else "", full_name)
        except hostclient.RateLimited as exc:
            _problem(run, full_name, str(exc))
            _fail(run, str(exc))
            raise
        except (hostclient.HostApiError, credentials.CredentialError) as exc:
            _problem(run, full_name, str(exc))
            _fail(run, str(exc))
            return run
    run.status, run.finished_at = DiscoveryRun.Status.OK, timezone.now()
    run.save()
    return run


def due_runs(limit: int = 100, now: datetime | None = None) -> list[int]:
    """Runs to start or go on with now: sources whose interval has passed (a new
    run each), and waiting runs whose time has come."""
    now = now or timezone.now()
    waiting = list(
        DiscoveryRun.objects.filter(
            status=DiscoveryRun.Status.WAITING, resume_after__lte=now
        ).values_list("pk", flat=True)[:limit]
    )
    sources = DiscoverySource.objects.filter(
        enabled=True, next_run_at__lte=now
    ).exclude(
        runs__status__in=[DiscoveryRun.Status.RUNNING, DiscoveryRun.Status.WAITING]
    )
    started = [start_run(source, "schedule").pk for source in sources[:limit]]
    return waiting + started
