"""crawl_location: bring one location's entities up to date with its repository."""

from __future__ import annotations

import logging
import shutil
from contextlib import AbstractContextManager
from datetime import timedelta

import git
from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from catalog.descriptor import Limits, Problem
from catalog.descriptor.validation import EntityLimits
from catalog.ingest import git as gitio
from catalog.ingest.apply import ApplyStats, apply_read
from catalog.ingest.generated import DEFAULT_PATH, generated_entity
from catalog.ingest.kind_rules import refuse_disallowed_kinds
from catalog.ingest.mirrors import location_mirror_path
from catalog.ingest.reader import ReadResult, UrlReader, read_location
from catalog.ingest.remotefiles import RemoteFiles
from catalog.ingest.schedule import after_crawl, enqueue_crawl
from catalog.locations import unregister_location
from catalog.models import CrawlRun, Entity, Location
from catalog.storable import fit, storable_json
from catalog.urlpolicy import UrlRefused, check_url, split_host_file_url
from core import logs
from core.locks import CRAWL, advisory_lock

logger = logging.getLogger(__name__)


class TransientCrawlError(Exception):
    """A crawl failed for a reason that retrying will fix (a database race)."""


def limits() -> Limits:
    return Limits(
        max_bytes=settings.GREENROOM_MAX_FILE_BYTES,
        max_documents=settings.GREENROOM_MAX_DOCUMENTS,
        max_depth=settings.GREENROOM_MAX_DEPTH,
        max_nodes=settings.GREENROOM_MAX_NODES,
        max_substituted_bytes=settings.GREENROOM_MAX_SUBSTITUTED_BYTES,
        entity=EntityLimits(
            max_document_bytes=settings.GREENROOM_MAX_DOCUMENT_BYTES,
            max_entity_bytes=settings.GREENROOM_MAX_ENTITY_BYTES,
            max_tags=settings.GREENROOM_MAX_ENTITY_TAGS,
            max_links=settings.GREENROOM_MAX_ENTITY_LINKS,
            max_labels=settings.GREENROOM_MAX_ENTITY_LABELS,
            max_annotations=settings.GREENROOM_MAX_ENTITY_ANNOTATIONS,
            max_relation_targets=settings.GREENROOM_MAX_RELATION_TARGETS,
        ),
    )


def read_tree(
    tree: gitio.CommitTree, location: Location, urls: UrlReader | None = None
) -> ReadResult:
    """What a location's files at one commit say, beside its generated Location
    entity when it was registered directly (the location need not be saved).

    Placeholders naming URLs are read only with `urls` (a crawl's)."""
    read = read_location(
        tree,
        location.path,
        limits=limits(),
        max_files=settings.GREENROOM_MAX_FILES_PER_LOCATION,
        max_entities=settings.GREENROOM_MAX_ENTITIES_PER_LOCATION,
        urls=urls,
    )
    if location.parent_id is None:
        read.entities.insert(0, generated_entity(location))
    refuse_disallowed_kinds(read, location)
    return read


def location_lock(location_id: int) -> AbstractContextManager[bool]:
    """The location's crawl lock, not waited for: one location is crawled by one
    worker, and the others learn at once that it is taken."""
    return advisory_lock(CRAWL, location_id, wait=False)


def crawl_location(location: Location, *, force: bool = False) -> CrawlRun | None:
    """Crawl one location; coalesce with a crawl already running.

    1. Take the location's lock. If another worker holds it, set `crawl_again` and
       try once more (the holder may just have finished); otherwise leave.
    2. Crawl. 3. If someone asked again meanwhile, crawl again (not forced).
    Returns the last CrawlRun, or None when nothing needed doing.
    """
    location_id = location.pk
    run: CrawlRun | None = None
    while True:
        with location_lock(location_id) as acquired:
            if not acquired:
                Location.objects.filter(pk=location_id).update(crawl_again=True)
                with location_lock(location_id) as retried:
                    if not retried:
                        return run
                    run = _crawl_locked(location_id, force) or run
            else:
                run = _crawl_locked(location_id, force) or run
        if not Location.objects.filter(pk=location_id, crawl_again=True).exists():
            return run
        force = False


def crawl_queued(location_id: int, *, force: bool = False) -> CrawlRun | None:
    """A queued crawl: the location if it is still registered, then what other
    apps asked to run after a crawl (GREENROOM_AFTER_CRAWL) unless it failed.

    Unchanged repositories too: what those tasks keep current may live
    elsewhere (docs in another repository)."""
    location = Location.objects.filter(pk=location_id).first()
    if location is None:
        return None  # unregistered after it was queued
    run = crawl_location(location, force=force)
    if run is None or run.status != CrawlRun.Status.FAILED:
        after_crawl(location_id)
    return run


def _crawl_locked(location_id: int, force: bool) -> CrawlRun | None:
    location = Location.objects.filter(pk=location_id).first()
    if location is None:
        return None  # unregistered meanwhile
    with logs.bound(location_id=location_id):
        return Crawl(location, force).run()


class Crawl:
    """One pass over one location; every way it ends is recorded on a CrawlRun."""

    def __init__(self, location: Location, force: bool) -> None:
        self.location = location
        self.force = force
        self.started = timezone.now()
        self.run_row: CrawlRun | None = None

    def run(self) -> CrawlRun | None:
        location = self.location
        Location.objects.filter(pk=location.pk).update(
            attempts=location.attempts + 1,
            last_crawl_started=self.started,
            crawl_again=False,
        )
        if location.attempts >= settings.GREENROOM_CRAWL_MAX_ATTEMPTS:
            # Earlier tries died mid-crawl (worker killed, time limit): stop looping.
            return self._fail(f"gave up after {location.attempts} interrupted attempts")
        try:
            return self._crawl()
        except UrlRefused as exc:
            return self._fail(f"repository URL refused: {exc}")
        except gitio.TransientGitError as exc:
            self._fail(f"repository unreachable: {exc}")
            raise
        except gitio.GitError as exc:
            # Whatever state the mirror is in (a clone killed half-way, a branch
            # that vanished), the next crawl starts from a fresh clone.
            shutil.rmtree(location_mirror_path(location), ignore_errors=True)
            return self._fail(str(exc))
        except (IntegrityError, OperationalError) as exc:
            # A concurrent crawl wrote the same ref first, or the database went
            # away: nothing was applied, and trying again will sort it out.
            self._fail(f"database error, will retry: {exc}")
            raise TransientCrawlError(str(exc)) from exc
        except Exception as exc:
            # Anything else is a bug or a broken disk, not a reason to leave the
            # run "running" and the location pending: record it, start afresh.
            logger.exception("crawl of location %s raised", location.pk)
            shutil.rmtree(location_mirror_path(location), ignore_errors=True)
            return self._fail(f"unexpected error: {type(exc).__name__}: {exc}")

    def _crawl(self) -> CrawlRun | None:
        location = self.location
        repo = check_url(location.url)
        mirror = location_mirror_path(location)
        git_options = {
            "timeout": settings.GREENROOM_GIT_TIMEOUT,
            "allow_local": settings.GREENROOM_ALLOW_LOCAL_REPOS,
        }
        good = location.status in (Location.Status.OK, Location.Status.WARNING)
        if gitio.has_mirror(mirror):
            head = gitio.remote_head(repo, location.branch, **git_options)
            unchanged = good and head.commit == location.last_commit
            if not self.force and unchanged and not reads_elsewhere(location):
                self._finish(location.status, head, location.content_hash)
                return None
            bare, head = gitio.fetch(mirror, repo, head.branch, **git_options)
        else:
            bare, head = gitio.clone(mirror, repo, location.branch, **git_options)
        self.run_row = CrawlRun.objects.create(
            location=location,
            forced=self.force,
            commit=fit(CrawlRun, "commit", head.commit),
            started_at=self.started,
        )
        try:
            read = self._read(bare, head)
        finally:
            bare.close()
        paths = sorted(read.input_paths)
        if not self.force and good and read.content_hash == location.content_hash:
            Entity.objects.filter(location=location).update(last_seen=timezone.now())
            self._finish(location.status, head, read.content_hash, paths=paths)
            return self._end(CrawlRun.Status.UNCHANGED, ApplyStats(), head.commit)
        stats = self._apply(head, read)
        status = Location.Status.WARNING if stats.errors else Location.Status.OK
        error = _summary(stats.problems)
        self._finish(status, head, read.content_hash, error=error, paths=paths)
        return self._end(CrawlRun.Status.SUCCEEDED, stats, head.commit)

    def _read(self, bare: git.Repo, head: gitio.RemoteHead) -> ReadResult:
        tree = gitio.CommitTree(bare, head.commit, settings.GREENROOM_MAX_FILE_BYTES)
        urls = RemoteFiles(
            self.location.url,
            max_bytes=settings.GREENROOM_MAX_FILE_BYTES,
            read_hosts=settings.GREENROOM_READ_ALLOWED_HOSTS,
        )
        try:
            return read_tree(tree, self.location, urls)
        finally:
            urls.close()

    def _apply(self, head: gitio.RemoteHead, read: ReadResult) -> ApplyStats:
        children, problems = resolve_remote_targets(read.remote_targets)
        read.problems.extend(problems)
        with transaction.atomic():
            stats = apply_read(
                self.location, commit=head.commit, branch=head.branch, read=read
            )
            if not read.incomplete_paths:
                sync_children(self.location, children)
        return stats

    def _fail(self, message: str) -> CrawlRun:
        logger.warning("crawl of location %s failed: %s", self.location.pk, message)
        location = self.location
        self._finish(
            Location.Status.FAILED,
            gitio.RemoteHead(location.resolved_branch, location.last_commit),
            location.content_hash,
            error=message,
        )
        return self._end(CrawlRun.Status.FAILED, ApplyStats(), error=message)

    def _finish(
        self,
        status: str,
        head: gitio.RemoteHead,
        content_hash: str,
        *,
        error: str = "",
        paths: list[str] | None = None,
    ) -> None:
        now = timezone.now()
        interval = self.location.refresh_interval or settings.GREENROOM_REFRESH_INTERVAL
        read = {} if paths is None else {"input_paths": storable_json(paths)}
        Location.objects.filter(pk=self.location.pk).update(
            **read,
            status=status,
            resolved_branch=fit(Location, "resolved_branch", head.branch),
            last_commit=fit(Location, "last_commit", head.commit),
            content_hash=content_hash,
            last_error=fit(Location, "last_error", error),
            last_crawl_finished=now,
            next_crawl_at=now + timedelta(seconds=interval),
            attempts=0,
        )

    def _end(
        self, status: str, stats: ApplyStats, commit: str = "", error: str = ""
    ) -> CrawlRun:
        run = self.run_row or CrawlRun(
            location=self.location, forced=self.force, started_at=self.started
        )
        run.status, run.finished_at = status, timezone.now()
        run.error = fit(CrawlRun, "error", error)
        run.commit = fit(CrawlRun, "commit", commit or run.commit)
        run.added, run.changed, run.removed = stats.added, stats.changed, stats.removed
        run.unchanged, run.errors = stats.unchanged, stats.errors
        run.save()
        return run


def reads_elsewhere(location: Location) -> bool:
    """Did the last crawl read files by URL outside the location's repository?

    Then its catalog can change while its commit does not: each refresh reads
    it again (the content hash, which covers those files, still spares the
    database when nothing changed). No repository path contains `://`.
    """
    return any("://" in path for path in location.input_paths or ())


def _summary(problems: list[Problem]) -> str:
    errors = [p for p in problems if p.level == "error"]
    if not errors:
        return ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return errors[0].message + more


Child = tuple[str, str, str]  # url, branch, path


def resolve_remote_targets(
    targets: dict[str, str],
) -> tuple[dict[Child, str], list[Problem]]:
    """Location targets naming other repositories, those the URL policy allows,
    with the ref of the Location entity that named each."""
    children: dict[Child, str] = {}
    problems: list[Problem] = []
    for target, named_by in targets.items():
        parts = split_host_file_url(target)
        try:
            repo = check_url(parts.repo_url)
        except UrlRefused as exc:
            problems.append(Problem("", f"Location target {target!r} refused: {exc}"))
            continue
        key = (repo.url, parts.branch or "", parts.path or DEFAULT_PATH)
        too_long = _too_long(key)
        if too_long:
            problems.append(
                Problem("", f"Location target {target!r} refused: {too_long}")
            )
            continue
        children.setdefault(key, named_by)
    return children, problems


def _too_long(key: Child) -> str:
    """Why a child location cannot be stored as it is named (cutting would name
    another repository, branch or file)."""
    for name, value in zip(("url", "branch", "path"), key, strict=True):
        size = Location._meta.get_field(name).max_length
        if size is not None and len(value) > size:
            return f"its {name} is longer than {size} characters"
    return ""


def sync_children(location: Location, children: dict[Child, str]) -> None:
    """Register repositories named by Location targets; drop those no longer named."""
    current = {(c.url, c.branch, c.path): c for c in location.children.all()}
    for key, child in current.items():
        if key not in children:
            unregister_location(child)
        elif child.parent_entity_ref != children[key]:
            # Named by another Location entity now: re-emit its entities under it.
            Location.objects.filter(pk=child.pk).update(
                parent_entity_ref=children[key], content_hash=""
            )
            enqueue_crawl(child.pk)
    existing = {
        (loc.url, loc.branch, loc.path)
        for loc in Location.objects.filter(url__in=[url for url, _, _ in children])
    }
    for (url, branch, path), named_by in sorted(children.items()):
        if (url, branch, path) in existing:
            continue
        child = Location.objects.create(
            url=url,
            branch=branch,
            path=path,
            parent=location,
            parent_entity_ref=named_by,
        )
        enqueue_crawl(child.pk)
