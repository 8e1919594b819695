"""Keeping each entity's documentation site current: decide, build, publish.

`docs_changed(location)` runs after every crawl: for each documented entity of
the location it compares git's hash of the docs folder at the crawled commit with
the last build's, so unchanged docs cost one tree lookup and nothing else. A
change queues a DocsBuild; `run_build` exports that folder from the location's
mirror, builds it in the sandbox (techdocs/build.py) and publishes it to storage
under a prefix of its own, then points the site at it: readers switch from one
whole site to the next, and a failed build leaves the last good one in place.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import git
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.changes import entities_changed
from catalog.ingest import git as gitio
from catalog.ingest.mirrors import location_mirror_path, mirror_path
from catalog.models import Entity, Location
from catalog.urlpolicy import UrlRefused
from techdocs import export, mirrors, search
from techdocs.build import BuildError, BuiltSite, Limits, build_site
from techdocs.models import DocsBuild, DocsSite
from techdocs.source import (
    ANNOTATION,
    DocsSource,
    SourceError,
    docs_source,
    same_repository,
)

logger = logging.getLogger(__name__)
LOG_CHARS = 20_000
THEME_FILES = ("assets/", "search/", "sitemap.xml", "404.html")
METADATA = "techdocs_metadata.json"  # Backstage's name, and its fields
# A build running longer than its hard time limit lost its worker.
STALE_AFTER = 700


class Busy(RuntimeError):
    """Another build of the same site is running; try again shortly."""


def storage() -> Storage:
    return storages["techdocs"]


def docs_changed(location: Location) -> list[DocsBuild]:
    """Queue a build for each documented entity whose docs input changed."""
    retire_orphans(location)
    mirror = location_mirror_path(location)
    if not mirror.exists() or not location.last_commit:
        return []
    entities = Entity.objects.filter(
        location=location, fields__key=f"metadata.annotations.{ANNOTATION}"
    ).select_related("location")
    queued = []
    with ExitStack() as opened:
        repos: dict[Path, git.Repo] = {}

        def repo_at(path: Path) -> git.Repo:
            if path not in repos:
                repos[path] = opened.enter_context(git.Repo(path))
            return repos[path]

        for entity in entities:
            try:
                source = docs_source(entity)
            except SourceError as exc:  # said on the entity's Docs tab
                _record_failure(_site(entity, DocsSource(location.url, "")), str(exc))
                continue
            if source is None:
                continue
            site = _site(entity, source)
            if source.external:  # another repository: its branch, fetched now
                try:
                    docs_mirror, commit = mirrors.update(source)
                except (UrlRefused, gitio.GitError) as exc:
                    _record_failure(site, f"the docs repository: {exc}")
                    continue
            else:  # the crawled commit, not the entity's: the docs may change alone
                docs_mirror, commit = mirror, location.last_commit
            build = _queue_if_changed(site, repo_at(docs_mirror), commit)
            if build is not None:
                queued.append(build)
    return queued


def retire_orphans(location: Location) -> int:
    """Remove the sites (rows, builds, sections, files) of the location's entities
    that are gone, and of unregistered locations'."""
    gone = list(
        DocsSite.objects.filter(Q(location=location) | Q(location=None)).exclude(
            entity_ref__in=Entity.objects.values("ref")
        )
    )
    prefixes = [
        f"{site.key}/{pk}"
        for site in gone
        for pk in site.builds.values_list("pk", flat=True)
    ]
    DocsSite.objects.filter(pk__in=[site.pk for site in gone]).delete()
    for prefix in prefixes:
        transaction.on_commit(lambda prefix=prefix: _remove(prefix))
    return len(gone)


def _site(entity: Entity, source: DocsSource) -> DocsSite:
    site, _ = DocsSite.objects.update_or_create(
        entity_ref=entity.ref,
        defaults={
            "location_id": entity.location_id,
            "namespace": entity.namespace,
            "kind": entity.kind.lower(),
            "name": entity.name,
            "repository": source.repository,
            "folder": source.folder,
            "branch": source.branch,
        },
    )
    return site


def _queue_if_changed(site: DocsSite, repo: git.Repo, commit: str) -> DocsBuild | None:
    try:
        tree = export.docs_fingerprint(repo, commit, site.folder)
    except export.ExportError as exc:
        _record_failure(site, str(exc), commit)
        return None
    latest = site.builds.order_by("-created_at", "-id").first()
    if latest is not None and latest.tree == tree and latest.status != "failed":
        return None  # built, or being built, from exactly these files
    return DocsBuild.objects.create(site=site, commit=commit, tree=tree)


def _record_failure(site: DocsSite, error: str, commit: str = "") -> None:
    """A build that could not start, said once on the Docs tab (not every crawl)."""
    latest = site.builds.order_by("-created_at", "-id").first()
    if latest is None or (latest.status, latest.error) != ("failed", error):
        now = timezone.now()
        DocsBuild.objects.create(
            site=site,
            commit=commit,
            status=DocsBuild.Status.FAILED,
            error=error,
            started_at=now,
            finished_at=now,
        )


def claim(build_id: int) -> DocsBuild | None:
    """Start a queued build: one build per site at a time, the newest commit first.

    Returns the build now running; None when there is nothing to run (already
    claimed, or superseded by a newer queued commit: marked so). Raises Busy
    while another build of the same site runs. The site's row lock makes two
    workers' claims take turns.
    """
    with transaction.atomic():
        build = DocsBuild.objects.filter(pk=build_id).first()
        if build is None:
            return None
        DocsSite.objects.select_for_update().filter(pk=build.site_id).first()
        build.refresh_from_db()
        if build.status != DocsBuild.Status.QUEUED:
            return None  # a redelivered task, or already superseded
        builds = DocsBuild.objects.filter(site_id=build.site_id).exclude(pk=build.pk)
        if builds.filter(created_at__gt=build.created_at).exists():
            _end(build, DocsBuild.Status.SUPERSEDED, error="a newer commit replaced it")
            return None
        stale = timezone.now() - timedelta(seconds=STALE_AFTER)
        running = builds.filter(status=DocsBuild.Status.RUNNING)
        running.filter(started_at__lt=stale).update(
            status=DocsBuild.Status.FAILED,
            finished_at=timezone.now(),
            error="the worker building it stopped",
        )
        if running.exists():
            raise Busy(f"another build of {build.site_id} is running")
        DocsBuild.objects.filter(pk=build.pk).update(
            status=DocsBuild.Status.RUNNING, started_at=timezone.now()
        )
    build.refresh_from_db()
    return build


def run_build(build: DocsBuild) -> DocsBuild:
    """Claim, build and publish one build; every ending is recorded on it.

    Busy while another build of its site runs."""
    claimed = claim(build.pk)
    if claimed is None:
        build.refresh_from_db()
        return build
    return _build(claimed)


def _build(build: DocsBuild) -> DocsBuild:
    site = build.site
    started = time.monotonic()
    entity = Entity.objects.select_related("location").filter(ref=site.entity_ref)
    location = next((e.location for e in entity), None)
    if location is None:  # removed from the catalog since the build was queued
        return _end(build, DocsBuild.Status.FAILED, error="the entity is gone")
    external = not same_repository(site.repository, location.url)
    source = (
        mirror_path(site.repository) if external else location_mirror_path(location)
    )
    with tempfile.TemporaryDirectory(prefix="greenroom-docs-") as work:
        try:
            with git.Repo(source) as repo:
                exported = export.export_folder(
                    repo,
                    build.commit,
                    site.folder,
                    Path(work) / "export",
                    _export_limits(),
                )
            built = build_site(
                exported.root, Path(work) / "build", site.name, _limits()
            )
        except (export.ExportError, BuildError) as exc:
            return _end(build, DocsBuild.Status.FAILED, error=str(exc)[-LOG_CHARS:])
        log = [f"skipped: {reason}" for reason in exported.skipped] + built.log
        log.append(
            f"built {len(built.pages)} pages in {time.monotonic() - started:.1f} s"
        )
        _publish(build, built)
    with transaction.atomic():
        _end(build, DocsBuild.Status.SUCCEEDED, log="\n".join(log)[-LOG_CHARS:])
        locked = DocsSite.objects.select_for_update().get(pk=site.pk)
        old = locked.current_id
        if old is not None and old > build.pk:
            return build  # a newer build finished first: it stays
        DocsSite.objects.filter(pk=site.pk).update(
            current=build, updated_at=timezone.now()
        )
        search.replace_sections(build, built.pages)
        entities_changed([site.entity_ref])
    if old and old != build.pk:
        transaction.on_commit(lambda: _remove(f"{site.key}/{old}"))
    build.refresh_from_db()
    return build


def _publish(build: DocsBuild, built: BuiltSite) -> None:
    """Pages, navigation, metadata and the site's files, under the build's prefix."""
    store, prefix = storage(), build.prefix
    files = []
    for page in built.pages:
        name = f"{page.url}index.html"
        store.save(f"{prefix}/{name}", ContentFile(page.html.encode()))
        files.append(name)
    for path in sorted(built.site_dir.rglob("*")):
        relative = path.relative_to(built.site_dir).as_posix()
        if (
            path.is_file()
            and not relative.endswith(".html")
            and not relative.startswith(THEME_FILES)
            and relative != METADATA
        ):
            store.save(f"{prefix}/{relative}", ContentFile(path.read_bytes()))
            files.append(relative)
    navigation = {
        "site_name": built.site_name,
        "nav": built.nav,
        "pages": [{"url": p.url, "title": p.title, "toc": p.toc} for p in built.pages],
    }
    store.save(
        f"{prefix}/techdocs_nav.json", ContentFile(json.dumps(navigation).encode())
    )
    written = built.site_dir / METADATA  # techdocs-core's: name and description
    metadata = json.loads(written.read_text()) if written.is_file() else {}
    metadata |= {
        "site_name": built.site_name,
        "build_timestamp": int(time.time() * 1000),
        "files": sorted(files),
        "etag": build.commit,
    }
    store.save(f"{prefix}/{METADATA}", ContentFile(json.dumps(metadata).encode()))
    DocsBuild.objects.filter(pk=build.pk).update(pages=len(built.pages))


def _remove(prefix: str) -> None:
    store = storage()
    try:
        folders, files = store.listdir(prefix)
    except FileNotFoundError:  # a build that published nothing
        return
    for name in files:
        store.delete(f"{prefix}/{name}")
    for folder in folders:
        _remove(f"{prefix}/{folder}")


def _end(build: DocsBuild, status: str, *, log: str = "", error: str = "") -> DocsBuild:
    DocsBuild.objects.filter(pk=build.pk).update(
        status=status, finished_at=timezone.now(), log=log, error=error
    )
    build.refresh_from_db()
    return build


def _export_limits() -> export.Limits:
    return export.Limits(
        max_files=settings.GREENROOM_DOCS_MAX_FILES,
        max_bytes=settings.GREENROOM_DOCS_MAX_BYTES,
        max_file_bytes=settings.GREENROOM_DOCS_MAX_FILE_BYTES,
    )


def _limits() -> Limits:
    return Limits(
        seconds=settings.GREENROOM_DOCS_BUILD_SECONDS,
        memory_bytes=settings.GREENROOM_DOCS_BUILD_MEMORY,
    )
