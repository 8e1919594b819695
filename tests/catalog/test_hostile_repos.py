"""Repository content the database cannot store, over-large entities, and kinds a
location may not publish: each a processing error, never a failed location."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command

from catalog.descriptor import parse_file
from catalog.ingest.git import TransientGitError
from catalog.ingest.mirrors import location_mirror_path
from catalog.ingest.sync import crawl_location, limits
from catalog.locations import register_location
from catalog.models import (
    CrawlRun,
    Entity,
    EntityRevision,
    Location,
    ProcessingError,
)
from catalog.storable import UNSTORABLE, storable_text
from tests.support.catalog import authored

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def default_kind_rules(settings) -> None:
    settings.GREENROOM_ORG_LOCATIONS = []  # the default, which tests/conftest opens


GOOD = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: good}
spec: {type: service, lifecycle: production, owner: team-a}
"""


def component(name: str = "bad", **metadata: object) -> str:
    """A Component document as JSON (valid YAML), with extra metadata."""
    doc = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": name, **metadata},
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"},
    }
    return json.dumps(doc) + "\n"


def crawl_files(repos, files: dict[str, str | bytes], name: str = "repo"):
    repo = repos.create(name, files)
    location, _ = register_location(repo.url)
    run = crawl_location(location)
    location.refresh_from_db()
    return run, location


def errors_of(location: Location) -> list[ProcessingError]:
    return list(ProcessingError.objects.filter(location=location, level="error"))


def assert_good_kept(run: CrawlRun, location: Location) -> None:
    assert run.status == CrawlRun.Status.SUCCEEDED, run.error
    assert location.status == Location.Status.WARNING
    assert Entity.objects.filter(ref="component:default/good").exists()
    assert not CrawlRun.objects.filter(status=CrawlRun.Status.RUNNING).exists()


# -- Finding 1: what the database cannot store ------------------------------------


def test_overlong_name_is_an_error_cut_to_fit_and_the_rest_is_ingested(repos):
    run, location = crawl_files(
        repos, {"catalog-info.yaml": GOOD + "---\n" + component("x" * 1000)}
    )
    assert_good_kept(run, location)
    (error,) = errors_of(location)
    assert "metadata.name" in error.message
    assert len(error.entity_ref) <= 400
    assert error.entity_ref.startswith("component:default/xxx")


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (component(description="before\0after"), "metadata.description"),
        (component(annotations={"a.io/x": "\0"}), "metadata.annotations"),
        (component(labels={"k": "v"}, title="t\0"), "metadata.title"),
        (component(name="bad\0name"), "metadata.name"),
    ],
    ids=["description", "annotation", "title", "name"],
)
def test_nul_in_a_document_is_refused_naming_the_field(repos, document, field):
    run, location = crawl_files(repos, {"catalog-info.yaml": GOOD + "---\n" + document})
    assert_good_kept(run, location)
    (error,) = errors_of(location)
    assert field in error.message
    assert "\0" not in error.message + error.entity_ref


def test_nul_and_lone_surrogates_from_placeholder_files_are_refused(repos):
    api = """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: %s}
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition: {%s: ./%s}
"""
    files = {
        "catalog-info.yaml": GOOD
        + "---\n"
        + api % ("nul", "$text", "nul.txt")
        + "---\n"
        + api % ("surrogate", "$json", "surrogate.json")
        + "---\n"
        + api % ("key", "$json", "key.json"),
        "nul.txt": b"openapi: 3.0.0\n\x00\x00\n",
        "surrogate.json": b'{"a": "\\ud800"}',
        "key.json": b'{"\\u0000": 1}',
    }
    run, location = crawl_files(repos, files)
    assert_good_kept(run, location)
    messages = sorted(e.message for e in errors_of(location))
    assert len(messages) == 3, messages
    assert all("spec.definition" in m for m in messages), messages
    assert not Entity.objects.filter(kind="API").exists()


def test_overlong_reference_is_refused_not_cut(repos):
    run, location = crawl_files(
        repos,
        {
            "catalog-info.yaml": GOOD
            + "---\n"
            + component("long-owner").replace("team-a", "t" * 1000)
        },
    )
    assert_good_kept(run, location)
    (error,) = errors_of(location)
    assert "spec.owner" in error.message
    assert "400" in error.message


def test_overlong_file_path_is_stored_cut(repos):
    folder = "/".join(["d" * 200] * 6)  # 1,205 characters: over the 1,024 column
    root = json.dumps(
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Location",
            "metadata": {"name": "root"},
            "spec": {"targets": ["./good.yaml", f"./{folder}/missing.yaml"]},
        }
    )
    run, location = crawl_files(repos, {"catalog-info.yaml": root, "good.yaml": GOOD})
    assert_good_kept(run, location)
    (error,) = errors_of(location)
    assert len(error.path) <= 1024
    assert "not found" in error.message


def test_register_command_crawls_every_url_without_a_traceback(
    repos, django_capture_on_commit_callbacks
):
    bad = repos.create("bad", {"catalog-info.yaml": component("x" * 1000)})
    nul = repos.create("nul", {"catalog-info.yaml": component(description="\0")})
    good = repos.create("good", {"catalog-info.yaml": GOOD})
    out, err = StringIO(), StringIO()
    # Crawls are queued on commit and run eagerly, as `manage.py register` runs them.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("register", bad.url, nul.url, good.url, stdout=out, stderr=err)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    assert Location.objects.count() == 3
    assert set(Location.objects.values_list("status", flat=True)) == {
        Location.Status.WARNING,
        Location.Status.OK,
    }
    assert Entity.objects.filter(ref="component:default/good").exists()
    assert CrawlRun.objects.filter(status=CrawlRun.Status.SUCCEEDED).count() == 3
    out = StringIO()
    call_command("crawl", "--all", "--force", stdout=out, stderr=StringIO())
    assert "Traceback" not in out.getvalue()


def failing_hook(refs: list[str], owners: list[str]) -> None:
    """A GREENROOM_ON_ENTITIES_CHANGED hook with a bug."""
    raise ValueError("hook bug")


def test_unexpected_exception_ends_the_run_failed_with_the_reason(repos, settings):
    settings.GREENROOM_ON_ENTITIES_CHANGED = [f"{__name__}.failing_hook"]
    repo = repos.create("repo", {"catalog-info.yaml": GOOD})
    location, _ = register_location(repo.url)
    run = crawl_location(location)
    location.refresh_from_db()
    assert run is not None
    assert run.status == CrawlRun.Status.FAILED
    assert run.error == "unexpected error: ValueError: hook bug"
    assert location.status == Location.Status.FAILED
    assert location.last_error == run.error
    assert not CrawlRun.objects.filter(status=CrawlRun.Status.RUNNING).exists()
    assert not Entity.objects.exists()  # the transaction was rolled back
    settings.GREENROOM_ON_ENTITIES_CHANGED = []
    run = crawl_location(location)
    assert run is not None
    assert run.status == CrawlRun.Status.SUCCEEDED
    assert Entity.objects.filter(ref="component:default/good").exists()


def test_broken_mirror_ends_the_run_failed_and_the_next_crawl_recovers(repos):
    repo = repos.create("repo", {"catalog-info.yaml": GOOD})
    location, _ = register_location(repo.url)
    crawl_location(location)
    # A mirror broken on disk (a full disk, a killed process).
    mirror = location_mirror_path(location)
    shutil.rmtree(mirror / "objects")
    shutil.rmtree(mirror / "refs")
    repo.commit({"catalog-info.yaml": GOOD.replace("good", "newer")})
    run = crawl_location(Location.objects.get(pk=location.pk))
    location.refresh_from_db()
    assert run is not None
    assert run.status == CrawlRun.Status.FAILED
    assert location.status == Location.Status.FAILED
    assert run.error
    assert run.error == location.last_error
    assert not CrawlRun.objects.filter(status=CrawlRun.Status.RUNNING).exists()
    assert Entity.objects.filter(ref="component:default/good").exists()
    run = crawl_location(location)
    assert run is not None
    assert run.status == CrawlRun.Status.SUCCEEDED
    assert Entity.objects.filter(ref="component:default/newer").exists()


class HostileGitServer:
    """A git:// server that advertises a branch, then answers a clone with
    progress text holding NUL bytes and invalid UTF-8, and hangs up."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @staticmethod
    def pkt(data: bytes) -> bytes:
        return b"%04x" % (len(data) + 4) + data

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        sha = b"1" * 40
        conn.recv(4096)  # git-upload-pack /repo\0host=...\0
        conn.sendall(
            self.pkt(
                sha + b" HEAD\0side-band-64k shallow symref=HEAD:refs/heads/main\n"
            )
            + self.pkt(sha + b" refs/heads/main\n")
            + b"0000"
        )
        try:
            conn.recv(4096)  # wants, deepen, flush
            conn.sendall(self.pkt(b"shallow " + sha + b"\n") + b"0000")
            conn.recv(4096)  # done
            conn.sendall(
                self.pkt(b"NAK\n")
                + self.pkt(b"\x02hostile \xff\xfe progress\0\0 text\n")
            )
        except OSError:
            pass

    def stop(self) -> None:
        self.sock.close()


@contextmanager
def hostile_git_server(settings) -> Iterator[HostileGitServer]:
    server = HostileGitServer()
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [f"127.0.0.1:{server.port}"]
    settings.GREENROOM_ALLOW_LOCAL_REPOS = False
    try:
        yield server
    finally:
        server.stop()


def test_git_error_output_with_invalid_utf8_is_recorded(settings):
    with hostile_git_server(settings) as server:
        location, _ = register_location(f"git://127.0.0.1:{server.port}/repo")
        with pytest.raises(TransientGitError):  # raised for the task to retry
            crawl_location(location)
    location.refresh_from_db()
    assert location.status == Location.Status.FAILED
    assert location.last_error
    assert not UNSTORABLE.search(location.last_error)
    run = CrawlRun.objects.get(location=location)
    assert run.status == CrawlRun.Status.FAILED
    assert run.error == location.last_error


def test_storable_text_removes_what_postgresql_refuses_and_cuts():
    assert storable_text("a\0b\ud800c") == "a\\x00b\\ud800c"
    assert storable_text("x" * 500, 400) == "x" * 399 + "…"
    assert storable_text("ok") == "ok"


def test_revisions_and_entities_hold_no_unstorable_text(repos):
    run, location = crawl_files(
        repos, {"catalog-info.yaml": GOOD + "---\n" + component(description="\0")}
    )
    assert_good_kept(run, location)
    assert EntityRevision.objects.filter(ref="component:default/good").exists()
    assert authored().count() == 1


# -- Finding 2: per-entity limits ---------------------------------------------------


def problems_with_defaults(text: str) -> list[str]:
    result = parse_file(text.encode(), "catalog-info.yaml", limits=limits())
    return [p.message for p in result.problems]


@pytest.mark.parametrize(
    ("metadata", "words"),
    [
        ({"description": "x" * 512 * 1024}, "more than the limit of 262144 bytes"),
        ({"tags": [f"t{i}" for i in range(5000)]}, "metadata.tags has 5000 entries"),
        (
            {"links": [{"url": f"https://e.com/{i}"} for i in range(5000)]},
            "metadata.links has 5000 entries, more than the limit of 100",
        ),
        ({"labels": {f"l{i}": "v" for i in range(101)}}, "metadata.labels has 101"),
        (
            {"annotations": {f"a.io/k{i}": "v" for i in range(201)}},
            "metadata.annotations has 201 entries, more than the limit of 200",
        ),
    ],
    ids=["description", "tags", "links", "labels", "annotations"],
)
def test_default_limits_refuse_an_oversized_document(metadata, words):
    (message,) = problems_with_defaults(GOOD + "---\n" + component(**metadata))
    assert words in message
    assert "document 2 (component:default/bad)" in message


def test_default_limits_refuse_too_many_refs_in_one_relation_field():
    doc = json.loads(component("many"))
    doc["spec"]["dependsOn"] = [f"component:c{i}" for i in range(5001)]
    (message,) = problems_with_defaults(json.dumps(doc))
    assert "spec.dependsOn has 5001 entries, more than the limit of 5000" in message


def test_default_limits_accept_a_large_organisation():
    users = [f"user-{i}" for i in range(900)]
    group = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": {"name": "everyone", "description": "All of us " * 100},
        "spec": {"type": "org", "children": [], "members": users * 2 + ["x"] * 700},
    }
    docs = [json.dumps(group)] + [
        json.dumps(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "User",
                "metadata": {"name": name, "annotations": {"a.io/id": name}},
                "spec": {"profile": {"email": f"{name}@e.com"}, "memberOf": ["all"]},
            }
        )
        for name in users
    ]
    result = parse_file("\n---\n".join(docs).encode(), "org.yaml", limits=limits())
    assert result.problems == []
    assert len(result.entities) == 901


def test_document_over_a_limit_is_an_error_and_its_neighbours_are_ingested(
    repos, settings
):
    settings.GREENROOM_MAX_ENTITY_TAGS = 2
    settings.GREENROOM_MAX_DOCUMENT_BYTES = 1000
    files = {
        "catalog-info.yaml": GOOD
        + "---\n"
        + component("tagged", tags=["a", "b", "c"])
        + "---\n"
        + component("wordy", description="x" * 1000)
    }
    run, location = crawl_files(repos, files)
    assert_good_kept(run, location)
    messages = sorted(e.message for e in errors_of(location))
    assert "metadata.tags has 3 entries, more than the limit of 2" in messages[0]
    assert "more than the limit of 1000 bytes" in messages[1]
    assert set(authored().values_list("name", flat=True)) == {"good"}


# -- Finding 3: which kinds a location may publish ------------------------------------

TEAM = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: platform}
spec: {type: team, children: [], members: [mallory]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: mallory}
spec: {memberOf: [platform]}
"""


def test_a_component_repository_cannot_publish_groups_or_users(repos):
    run, location = crawl_files(repos, {"catalog-info.yaml": GOOD + "---\n" + TEAM})
    assert_good_kept(run, location)
    messages = sorted(e.message for e in errors_of(location))
    assert len(messages) == 2
    assert "Entity group:default/platform at " in messages[0]
    assert "is not of an allowed kind for that location" in messages[0]
    assert "GREENROOM_ORG_LOCATIONS" in messages[0]
    assert "user:default/mallory" in messages[1]
    assert not Entity.objects.filter(kind__in=["Group", "User"]).exists()


def test_org_locations_setting_allows_groups_and_users(repos, settings):
    settings.GREENROOM_ORG_LOCATIONS = ["file://*/acme-org"]
    run, location = crawl_files(repos, {"catalog-info.yaml": TEAM}, name="acme-org")
    assert run.status == CrawlRun.Status.SUCCEEDED
    assert location.status == Location.Status.OK
    assert Entity.objects.filter(ref="group:default/platform").exists()
    # `*` matches across `/` but the pattern still has its end: another name fails.
    other = TEAM.replace("platform", "rogue").replace("mallory", "eve")
    crawl_files(repos, {"catalog-info.yaml": other}, name="acme-orgs")
    assert not authored().filter(location__url__endswith="acme-orgs").exists()


def test_flag_allows_groups_and_clearing_it_removes_them(repos):
    repo = repos.create("org", {"catalog-info.yaml": TEAM})
    location, _ = register_location(repo.url)
    Location.objects.filter(pk=location.pk).update(allow_org_kinds=True)
    crawl_location(Location.objects.get(pk=location.pk))
    assert Entity.objects.filter(ref="user:default/mallory").exists()
    Location.objects.filter(pk=location.pk).update(allow_org_kinds=False)
    crawl_location(Location.objects.get(pk=location.pk), force=True)
    assert not Entity.objects.filter(kind__in=["Group", "User"]).exists()
    assert EntityRevision.objects.filter(
        ref="user:default/mallory", action="removed"
    ).exists()


def test_children_publish_groups_only_under_a_flagged_root_or_their_own_pattern(
    repos, git_daemon, settings
):
    team = repos.create("team", {"catalog-info.yaml": TEAM})
    team_url = git_daemon.url(team)
    root = f"""\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {{name: root}}
spec: {{type: url, targets: ["{team_url}"]}}
"""
    org = repos.create("org", {"catalog-info.yaml": root})
    location, _ = register_location(git_daemon.url(org))
    # Matching the root's URL does not extend to the repositories it names.
    settings.GREENROOM_ORG_LOCATIONS = [git_daemon.url(org)]
    crawl_location(location)
    child = Location.objects.get(parent=location)
    crawl_location(child)
    assert not Entity.objects.filter(kind__in=["Group", "User"]).exists()
    assert "not of an allowed kind" in errors_of(child)[0].message
    # The child's own URL matches: allowed.
    settings.GREENROOM_ORG_LOCATIONS = [team_url]
    crawl_location(Location.objects.get(pk=child.pk), force=True)
    assert Entity.objects.filter(kind="Group").count() == 1
    # The root registration is flagged by an administrator: allowed too.
    settings.GREENROOM_ORG_LOCATIONS = []
    Location.objects.filter(pk=location.pk).update(allow_org_kinds=True)
    crawl_location(Location.objects.get(pk=child.pk), force=True)
    assert Entity.objects.filter(kind="User").count() == 1
    assert not errors_of(Location.objects.get(pk=child.pk))


def test_register_command_goes_on_past_an_unreachable_repository(
    repos, settings, django_capture_on_commit_callbacks
):
    # A git:// host that accepts no connection: the crawl raises for a retry.
    settings.GREENROOM_ALLOWED_GIT_HOSTS = ["127.0.0.1:9"]
    good = repos.create("good", {"catalog-info.yaml": GOOD})
    out, err = StringIO(), StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "register",
            good.url,
            "git://127.0.0.1:9/gone",
            "git://127.0.0.1:9/x",
            stdout=out,
            stderr=err,
        )
    statuses = dict(Location.objects.values_list("url", "status"))
    assert statuses == {
        good.url: Location.Status.OK,
        "git://127.0.0.1:9/gone": Location.Status.FAILED,
        "git://127.0.0.1:9/x": Location.Status.FAILED,
    }


def test_flag_changed_in_the_admin_reads_the_same_commit_again(
    repos, rf, admin_user, django_capture_on_commit_callbacks
):
    from django.contrib.admin.sites import site
    from django.forms import modelform_factory

    repo = repos.create("org", {"catalog-info.yaml": TEAM})
    location, _ = register_location(repo.url)
    crawl_location(location)
    assert not Entity.objects.filter(kind="Group").exists()
    request = rf.post("/")
    request.user = admin_user
    location = Location.objects.get(pk=location.pk)
    form = modelform_factory(Location, fields=["allow_org_kinds"])(
        {"allow_org_kinds": "on"}, instance=location
    )
    assert form.is_valid()
    with django_capture_on_commit_callbacks(execute=True):
        site._registry[Location].save_model(
            request, form.save(commit=False), form, True
        )
    assert Entity.objects.filter(kind="Group").exists()
