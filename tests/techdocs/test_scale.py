"""Dangerous docs at real scale, with the default limits, through the crawl path.

A 100 MB file beside the pages, and a docs folder of 100,000 files: the catalog
crawl still succeeds, and the docs build either leaves the big file out or
refuses the whole folder from git's listing, before any file is read, keeping
the last good site. The repositories are made with git plumbing (one blob, many
tree entries), so nothing of that size is ever written to the disk as files.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
from django.conf import settings

from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import CrawlRun, Location
from techdocs import export
from techdocs.models import DocsBuild, DocsSite
from techdocs.sites import docs_changed, run_build, storage
from tests.support.docs import FILES
from tests.support.gitrepos import GIT_ENV, Repo

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024
BIG = 100 * MiB
MANY = 100_000
BASE = "/docs/default/component/billing/"


def plumbing(repo: Repo, *args: str, stdin: bytes | None = None, **env: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=repo.path,
        env={**os.environ, **GIT_ENV, **env},
        input=stdin,
        check=True,
        capture_output=True,
    )
    return result.stdout.decode().strip()


def blob(repo: Repo, data: bytes) -> str:
    """One blob in the object database, never a file in the working tree."""
    return plumbing(repo, "hash-object", "-w", "--stdin", stdin=data)


def commit_entries(repo: Repo, entries: Iterable[tuple[str, str]], message: str) -> str:
    """A commit on `main`: HEAD's tree plus (path, blob sha) entries, made from a
    throwaway index, so the entries need not exist as files."""
    index = repo.path.parent / f"{repo.path.name}.index"
    env = {"GIT_INDEX_FILE": str(index)}
    plumbing(repo, "read-tree", "HEAD", **env)
    info = "".join(f"100644 {sha}\t{path}\n" for path, sha in entries)
    plumbing(repo, "update-index", "--index-info", stdin=info.encode(), **env)
    tree = plumbing(repo, "write-tree", **env)
    index.unlink()
    commit = plumbing(repo, "commit-tree", tree, "-p", "HEAD", "-m", message)
    plumbing(repo, "update-ref", "refs/heads/main", commit)
    return commit


def many_pages(repo: Repo, count: int) -> str:
    """`count` small pages under docs/many/, all one blob: a commit on `main`."""
    sha = blob(repo, b"# A page\n\nSmall.\n")
    return commit_entries(
        repo,
        ((f"docs/many/page-{i:06d}.md", sha) for i in range(count)),
        f"{count} pages",
    )


def crawl(location: Location) -> tuple[CrawlRun | None, Location]:
    run = crawl_location(Location.objects.get(pk=location.pk))
    return run, Location.objects.get(pk=location.pk)


def stored(prefix: str) -> list[tuple[str, int]]:
    """Every file under `prefix` in the docs storage, with its size."""
    store, found = storage(), []
    if not store.exists(prefix):
        return found
    folders, files = store.listdir(prefix)
    found += [(f"{prefix}/{name}", store.size(f"{prefix}/{name}")) for name in files]
    for folder in folders:
        found += stored(f"{prefix}/{folder}")
    return found


def watch_exports(monkeypatch) -> list[tuple[Path, export.Exported | None, bool]]:
    """Record each export run_build makes: its target, result, and whether the
    target held anything once the export returned or raised."""
    calls: list[tuple[Path, export.Exported | None, bool]] = []
    real = export.export_folder

    def spy(repo, commit, folder, target, limits):
        result = None
        try:
            result = real(repo, commit, folder, target, limits)
        finally:
            calls.append((target, result, target.exists() and any(target.iterdir())))
        return result

    monkeypatch.setattr(export, "export_folder", spy)
    return calls


def test_the_default_limits_are_the_ones_tested():
    # These tests are about the defaults: a changed default needs new numbers here.
    files, total = settings.GREENROOM_DOCS_MAX_FILES, settings.GREENROOM_DOCS_MAX_BYTES
    one = settings.GREENROOM_DOCS_MAX_FILE_BYTES
    assert (files, total, one) == (5000, 200 * MiB, 20 * MiB)
    assert one < BIG < total  # over the per-file limit only
    assert files < MANY


def test_a_100_mb_file_in_the_docs_is_skipped_and_the_pages_are_built(
    repos, viewer_client, monkeypatch
):
    repo = repos.create("billing", FILES)
    big = blob(repo, bytes(BIG))
    head = commit_entries(repo, [("docs/big.bin", big)], "a 100 MB file")
    assert plumbing(repo, "cat-file", "-s", f"{head}:docs/big.bin") == str(BIG)

    run, location = crawl(register_location(repo.url)[0])
    assert run is not None
    assert run.status == CrawlRun.Status.SUCCEEDED, run.error
    assert (location.status, location.last_commit) == (Location.Status.OK, head)
    exports = watch_exports(monkeypatch)
    [build] = docs_changed(location)
    build = run_build(build)

    assert build.status == DocsBuild.Status.SUCCEEDED, build.error
    limit = settings.GREENROOM_DOCS_MAX_FILE_BYTES
    assert f"skipped: docs/big.bin: {BIG} bytes, over the limit of {limit}" in (
        build.log
    )
    assert build.pages == 2
    [(target, exported, _)] = exports
    assert exported is not None
    assert exported.files == len(FILES)
    assert exported.bytes < MiB  # the big file was never counted in, nor read
    assert not (target / "docs/big.bin").exists()

    site = DocsSite.objects.get(entity_ref="component:default/billing")
    assert site.current_id == build.pk
    files = stored(build.prefix)
    names = {name.removeprefix(f"{build.prefix}/") for name, _ in files}
    assert {"index.html", "guide/index.html", "img/logo.png"} <= names
    assert "big.bin" not in names
    assert max(size for _, size in files) < MiB
    assert all(size < MiB for _, size in stored(site.key))  # nor in any build

    home = viewer_client.get(BASE)
    assert home.status_code == 200
    assert "Invoices" in home.content.decode()
    assert "Steps." in viewer_client.get(f"{BASE}guide/").content.decode()
    assert viewer_client.get(f"{BASE}img/logo.png").content == b"\x89PNG fake"
    assert viewer_client.get(f"{BASE}big.bin").status_code == 404


def test_100_000_files_in_the_docs_fail_the_build_and_not_the_crawl(
    repos, viewer_client, monkeypatch
):
    repo = repos.create("billing", FILES)
    head = many_pages(repo, MANY)

    run, location = crawl(register_location(repo.url)[0])
    assert run is not None
    assert run.status == CrawlRun.Status.SUCCEEDED, run.error
    assert (location.status, location.last_commit) == (Location.Status.OK, head)
    assert location.entities.filter(name="billing").exists()
    exports = watch_exports(monkeypatch)
    [build] = docs_changed(location)
    started = time.monotonic()
    build = run_build(build)
    seconds = time.monotonic() - started

    assert build.status == DocsBuild.Status.FAILED
    count, limit = MANY + len(FILES), settings.GREENROOM_DOCS_MAX_FILES
    assert build.error == (
        f"{count} files in the documentation folder, over the limit of {limit}"
    )
    [(target, exported, written)] = exports
    assert exported is None  # refused from the listing alone
    assert not written
    assert not target.exists()
    assert seconds < 10, seconds  # not one file of 100,000 exported, none built
    assert stored(build.prefix) == []
    site = DocsSite.objects.get(entity_ref="component:default/billing")
    assert site.current_id is None
    page = viewer_client.get(BASE)
    assert page.status_code == 200
    assert f"over the limit of {limit}" in page.content.decode()


def test_100_000_files_after_a_good_build_keep_the_good_site(
    repos, viewer_client, monkeypatch
):
    repo = repos.create("billing", FILES)
    run, location = crawl(register_location(repo.url)[0])
    [good] = docs_changed(location)
    good = run_build(good)
    assert good.status == DocsBuild.Status.SUCCEEDED, good.error
    good_files = stored(good.prefix)

    head = many_pages(repo, MANY)
    run, location = crawl(location)
    assert run is not None
    assert not run.error
    assert run.status == CrawlRun.Status.UNCHANGED  # the same catalog, a new commit
    assert (location.status, location.last_commit) == (Location.Status.OK, head)
    exports = watch_exports(monkeypatch)
    [bad] = docs_changed(location)
    started = time.monotonic()
    bad = run_build(bad)
    seconds = time.monotonic() - started

    assert bad.status == DocsBuild.Status.FAILED
    assert bad.commit == head
    count, limit = MANY + len(FILES), settings.GREENROOM_DOCS_MAX_FILES
    assert f"{count} files" in bad.error
    assert f"over the limit of {limit}" in bad.error
    [(target, exported, written)] = exports
    assert exported is None
    assert not written
    assert not target.exists()
    assert seconds < 10, seconds
    assert stored(bad.prefix) == []

    site = DocsSite.objects.get(entity_ref="component:default/billing")
    assert site.current_id == good.pk  # the last good site stays
    assert stored(good.prefix) == good_files
    home = viewer_client.get(BASE)
    assert home.status_code == 200
    assert "Invoices" in home.content.decode()
    assert "Steps." in viewer_client.get(f"{BASE}guide/").content.decode()
    assert viewer_client.get(f"{BASE}many/page-000000/").status_code == 404

    tab = viewer_client.get("/catalog/default/component/billing/docs")
    body = tab.content.decode()
    assert f"{good.pk} (served)" in body
    assert f"over the limit of {limit}" in body  # the failure is shown beside it
