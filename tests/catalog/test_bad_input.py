"""Hostile and broken repository content: a clear recorded error, nothing else lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.descriptor.parse import MAX_PROBLEMS_PER_FILE
from catalog.ingest.git import TransientGitError
from catalog.ingest.sync import crawl_location
from catalog.locations import RegistrationError, register_location
from catalog.models import CrawlRun, Entity, Location, ProcessingError
from catalog.serialize import served
from tests.support.catalog import authored
from tests.support.gitrepos import Symlink

pytestmark = pytest.mark.django_db

GOOD = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: good}
spec: {type: service, lifecycle: production, owner: team-a}
"""
ROOT = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: root}
spec:
  targets: [./good.yaml, ./bad.yaml]
"""
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n"
    for i in range(8)
)
BAD_FILES = {
    "alias bomb": (BOMB, "alias"),
    "oversized file": ("# " + "x" * (4 * 1024 * 1024 + 10) + "\n", "bytes"),
    "invalid utf-8": (
        b"apiVersion: backstage.io/v1alpha1\nkind: Component\nname: \xff\xfe\n",
        "utf-8",
    ),
    "duplicate keys": (
        GOOD.replace("kind: Component", "kind: Component\nkind: API"),
        "duplicate key",
    ),
    "deep nesting": ("x: " + "[" * 500 + "]" * 500 + "\n", "deep"),
    # Not refused (organisation files hold thousands), but not 10,000 errors either.
    "ten thousand broken documents": ("---\na: 1\n" * 10_000, "not listed"),
    "non-mapping document": ("- just\n- a list\n", "Expected object at root"),
    "scalar document": ("hello\n", "Expected object at root"),
    "unknown kind": (
        GOOD.replace("kind: Component", "kind: Widget"),
        "No processor recognized",
    ),
    "unknown apiVersion": (GOOD.replace("v1alpha1", "v1"), "No processor recognized"),
    "invalid name": (GOOD.replace("name: good", "name: 'my service'"), "metadata.name"),
    "invalid namespace": (
        GOOD.replace("{name: good}", "{name: other, namespace: Prod}"),
        "namespace",
    ),
    "python tag": (
        "a: !!python/object/apply:os.system ['touch /tmp/greenroom-pwned']\n",
        "tag",
    ),
    "yaml syntax error": ("a: [unclosed\n", "YAML"),
    "relations written by hand": (GOOD + "relations: []\n", "relations"),
}


def crawl_root(repos, bad: str | bytes | Symlink, root: str = ROOT):
    repo = repos.create(
        "repo", {"catalog-info.yaml": root, "good.yaml": GOOD, "bad.yaml": bad}
    )
    location, _ = register_location(repo.url)
    return crawl_location(location), location


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_bad_file_is_recorded_and_its_neighbours_ingested(repos, case):
    content, words = BAD_FILES[case]
    run, location = crawl_root(repos, content)
    assert run.status == CrawlRun.Status.SUCCEEDED
    assert Entity.objects.filter(ref="component:default/good").exists()
    messages = list(
        ProcessingError.objects.filter(location=location).values_list(
            "message", flat=True
        )
    )
    assert any("bad.yaml" in m and words.lower() in m.lower() for m in messages), (
        messages
    )
    assert Location.objects.get(pk=location.pk).status == Location.Status.WARNING
    assert not Path("/tmp/greenroom-pwned").exists()


def test_bad_document_does_not_block_the_others_in_its_file(repos):
    bad = (
        GOOD.replace("name: good", "name: first")
        + "---\nkind: Component\n---\n"
        + GOOD.replace("name: good", "name: third")
    )
    crawl_root(repos, bad)
    assert set(authored().values_list("name", flat=True)) == {
        "root",
        "good",
        "first",
        "third",
    }
    error = ProcessingError.objects.get(path="bad.yaml")
    assert "document 2" in error.message
    assert "apiVersion is required" in error.message


def test_entity_keeps_its_last_good_version_when_its_document_breaks(repos):
    repo = repos.create("repo", {"catalog-info.yaml": GOOD})
    location, _ = register_location(repo.url)
    crawl_location(location)
    good = Entity.objects.get(ref="component:default/good")
    repo.commit(
        {"catalog-info.yaml": GOOD.replace("lifecycle: production", "lifecycle: ''")}
    )
    crawl_location(Location.objects.get(pk=location.pk))
    kept = Entity.objects.get(ref="component:default/good")
    assert kept.etag != good.etag  # the error is now part of its status
    assert kept.processed == good.processed
    status = served(kept)["status"]["items"]
    assert status[0]["level"] == "error"
    assert "spec.lifecycle" in status[0]["error"]["message"]
    # Fixed again: the error is gone from the status.
    repo.commit({"catalog-info.yaml": GOOD})
    crawl_location(Location.objects.get(pk=location.pk))
    assert "status" not in served(Entity.objects.get(ref="component:default/good"))
    assert not ProcessingError.objects.exists()


def test_entity_kept_when_its_file_becomes_unreadable(repos):
    repo = repos.create(
        "repo",
        {
            "catalog-info.yaml": ROOT,
            "good.yaml": GOOD,
            "bad.yaml": GOOD.replace("good", "other"),
        },
    )
    location, _ = register_location(repo.url)
    crawl_location(location)
    repo.commit({"bad.yaml": "a: [unclosed\n"})
    crawl_location(Location.objects.get(pk=location.pk))
    assert Entity.objects.filter(ref="component:default/other").exists()
    assert ProcessingError.objects.filter(path="bad.yaml").exists()


def test_symlinked_catalog_file_is_refused(repos):
    repo = repos.create(
        "repo", {"real.yaml": GOOD, "catalog-info.yaml": Symlink("/etc/passwd")}
    )
    location, _ = register_location(repo.url)
    crawl_location(location)
    assert not authored().exists()
    error = ProcessingError.objects.get(location=location)
    assert "symbolic link" in error.message


def test_symlinked_target_and_folder_are_refused(repos):
    root = ROOT.replace("./bad.yaml", "./linked/good.yaml")
    repo = repos.create(
        "repo", {"catalog-info.yaml": root, "good.yaml": GOOD, "linked": Symlink(".")}
    )
    location, _ = register_location(repo.url)
    crawl_location(location)
    assert Entity.objects.filter(ref="component:default/good").exists()
    assert "symbolic link" in ProcessingError.objects.get(location=location).message


@pytest.mark.parametrize(
    "target",
    ["../../etc/passwd", "/etc/passwd", "file:///etc/passwd", "./a/../../../etc/hosts"],
)
def test_location_targets_cannot_leave_the_repository(repos, target):
    root = ROOT.replace("./bad.yaml", target)
    run, location = crawl_root(repos, GOOD, root=root)
    assert run.status == CrawlRun.Status.SUCCEEDED
    error = ProcessingError.objects.get(location=location)
    assert "refused" in error.message
    assert set(authored().values_list("name", flat=True)) == {"root", "good"}


def test_substitution_cannot_read_outside_the_repository(repos):
    api = """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: sneaky}
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition: {$text: ../../../../etc/passwd}
"""
    repo = repos.create("repo", {"catalog-info.yaml": api})
    location, _ = register_location(repo.url)
    crawl_location(location)
    definition = served(Entity.objects.get(ref="api:default/sneaky"))["spec"][
        "definition"
    ]
    assert "root:" not in definition
    warning = ProcessingError.objects.get(location=location)
    assert warning.level == "warning"
    assert "leaves the repository" in warning.message


@pytest.mark.parametrize(
    "url",
    [
        "--upload-pack=touch /tmp/greenroom-pwned",
        "-u touch",
        "ext::sh -c touch% /tmp/greenroom-pwned",
        "fd::3",
        "https://user:hunter2@example.com/repo.git",
        "http://169.254.169.254/latest/meta-data",
        "https://127.0.0.1/repo.git",
        "https://0x7f000001/repo.git",
        "ftp://example.com/repo",
    ],
)
def test_dangerous_repository_urls_are_refused(url):
    with pytest.raises(RegistrationError) as excinfo:
        register_location(url)
    assert "hunter2" not in str(excinfo.value)
    assert not Location.objects.exists()
    assert not Path("/tmp/greenroom-pwned").exists()


def test_local_repositories_need_the_setting(repos, settings):
    repo = repos.create("repo", {"catalog-info.yaml": GOOD})
    settings.GREENROOM_ALLOW_LOCAL_REPOS = False
    with pytest.raises(RegistrationError, match="GREENROOM_ALLOW_LOCAL_REPOS"):
        register_location(repo.url)


def test_unreachable_host_records_the_error_and_keeps_the_catalog(repos, git_daemon):
    repo = repos.create("repo", {"catalog-info.yaml": GOOD})
    location, _ = register_location(git_daemon.url(repo))
    crawl_location(location)
    git_daemon.stop()
    with pytest.raises(TransientGitError):
        crawl_location(Location.objects.get(pk=location.pk), force=True)
    location.refresh_from_db()
    assert location.status == Location.Status.FAILED
    assert "unreachable" in location.last_error
    assert CrawlRun.objects.filter(location=location, status="failed").exists()
    assert Entity.objects.filter(ref="component:default/good").exists()


def test_deleted_branch_records_the_error_and_keeps_the_catalog(repos):
    repo = repos.create("repo", {"catalog-info.yaml": GOOD})
    repo.commit(
        {"catalog-info.yaml": GOOD.replace("good", "feature")}, branch="feature"
    )
    location, _ = register_location(repo.url, branch="feature")
    crawl_location(location)
    assert Entity.objects.filter(ref="component:default/feature").exists()
    repo.commit({}, branch="main")
    repo.delete_branch("feature")
    crawl_location(Location.objects.get(pk=location.pk))
    location.refresh_from_db()
    assert location.status == Location.Status.FAILED
    assert "branch 'feature' not found" in location.last_error
    assert Entity.objects.filter(ref="component:default/feature").exists()
    # The branch comes back with other content: the next crawl starts afresh.
    repo.commit({"catalog-info.yaml": GOOD.replace("good", "again")}, branch="feature")
    run = crawl_location(Location.objects.get(pk=location.pk))
    assert run.status == "succeeded"
    assert Entity.objects.filter(ref="component:default/again").exists()
    assert not Entity.objects.filter(ref="component:default/feature").exists()


def test_two_repositories_claiming_one_ref_first_keeps_it(repos):
    first = repos.create("first", {"catalog-info.yaml": GOOD})
    second = repos.create(
        "second", {"catalog-info.yaml": GOOD.replace("team-a", "team-b")}
    )
    first_location, _ = register_location(first.url)
    second_location, _ = register_location(second.url)
    crawl_location(first_location)
    crawl_location(second_location)
    entity = Entity.objects.get(ref="component:default/good")
    assert entity.location_id == first_location.pk
    assert entity.owner_ref == "group:default/team-a"
    error = ProcessingError.objects.get(location=second_location)
    assert error.entity_ref == "component:default/good"
    assert "already defined by location" in error.message
    # The first owner sees the conflict too: it is on the entity's status.
    assert "already defined" in served(entity)["status"]["items"][0]["message"]


def test_many_broken_documents_give_a_bounded_number_of_errors(repos):
    # 4 MiB of one-line documents would otherwise be ~700,000 error rows a crawl.
    run, location = crawl_root(repos, "--- 0\n" * 50_000)
    assert run.status == CrawlRun.Status.SUCCEEDED
    errors = ProcessingError.objects.filter(location=location, path="bad.yaml")
    assert errors.count() == MAX_PROBLEMS_PER_FILE + 1
    assert errors.filter(message__contains="49900 more problems").exists()
    assert Entity.objects.filter(ref="component:default/good").exists()
