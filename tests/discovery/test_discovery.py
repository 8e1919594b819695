"""Discovery end to end: a fake host (real HTTP, the hosts' answer shapes, real git
over http behind the credential), a real catalog, and every decision counted."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from tempfile import NamedTemporaryFile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.locations import register_location
from catalog.models import Entity, EntityRevision, Location
from discovery import runs
from discovery.models import DiscoveredRepository, DiscoveryRun, DiscoverySource
from tests.support.fakehost import FakeHost, FakeRepo

KINDS = ["github", "gitlab", "gitea", "bitbucket-cloud", "bitbucket-server"]
State = DiscoveredRepository.State


def descriptor(name: str, owner: str = "team-a") -> str:
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        f"metadata: {{name: {name}}}\n"
        f"spec: {{type: service, lifecycle: production, owner: {owner}}}\n"
    )


def owner_for(kind: str) -> str:
    return "PLAT" if kind == "bitbucket-server" else "acme"


def scope_for(kind: str) -> str:
    return {
        "github": "orgs/acme",
        "gitlab": "groups/acme",
        "gitea": "orgs/acme",
        "bitbucket-cloud": "acme",
        "bitbucket-server": "projects/PLAT",
    }[kind]


def start_host(kind: str, root: Path, settings, **options) -> FakeHost:
    host = FakeHost(kind, root, **options).start()
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [host.web_url.removeprefix("http://")]
    settings.GREENROOM_ALLOW_LOCAL_REPOS = False
    settings.GREENROOM_HOST_API_TIMEOUT = 2
    return host


@pytest.fixture
def github(tmp_path, settings) -> Iterator[FakeHost]:
    host = start_host("github", tmp_path / "host", settings, page_max=10)
    yield host
    host.stop()


def connect(host: FakeHost, name: str = "acme", token: str | None = None) -> None:
    with NamedTemporaryFile("w") as secret:
        secret.write(host.token if token is None else token)
        secret.flush()
        call_command(
            "hosts", "add", name, "--kind", host.kind, "--api-url", host.api_url,
            "--git-url", host.web_url, "--token-file", secret.name, stdout=StringIO(),
        )  # fmt: skip


def add_source(host: FakeHost, *extra: str, name: str = "acme") -> DiscoverySource:
    call_command(
        "discovery", "add", name, "--host", "acme", "--scope", scope_for(host.kind),
        *extra, stdout=StringIO(),
    )  # fmt: skip
    return DiscoverySource.objects.get(name=name)


@pytest.fixture
def discover(django_capture_on_commit_callbacks):
    """Run a source to its end, then the crawls its registrations queued (as a
    worker would once the run's transactions commit)."""

    def run(source: DiscoverySource, run_id: int | None = None) -> DiscoveryRun:
        with django_capture_on_commit_callbacks(execute=True):
            done = runs.run_discovery(run_id or runs.start_run(source).pk)
        return done  # noqa: RET504 - once the with's callbacks have run

    return run


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def components():
    return Entity.objects.filter(kind="Component")


def states(source: DiscoverySource) -> dict[str, str]:
    return dict(source.repositories.values_list("full_name", "state"))


# --- private repositories crawl with the connection's credential --------------


@pytest.mark.django_db
def test_a_private_repository_crawls_once_its_host_is_connected(github, committed):
    repo = github.add(
        FakeRepo("acme", "billing", {"catalog-info.yaml": descriptor("billing")},
                 private=True)
    )  # fmt: skip
    with committed():
        location, _ = register_location(github.clone_url(repo))
    location.refresh_from_db()
    assert location.status == Location.Status.FAILED
    assert not Entity.objects.exists()
    connect(github)
    call_command("crawl", str(location.pk), "--force", stdout=StringIO())
    location.refresh_from_db()
    assert location.status == Location.Status.OK, location.last_error
    assert components().get().name == "billing"
    assert github.token not in location.url + location.last_error
    git_requests = [r for r in github.requests if r.git]
    assert git_requests
    assert git_requests[-1].authenticated


@pytest.mark.django_db
def test_a_github_app_connection_mints_installation_tokens(github, tmp_path, discover):
    github.add(
        FakeRepo("acme", "billing", {"catalog-info.yaml": descriptor("billing")},
                 private=True)
    )  # fmt: skip
    key = tmp_path / "app.pem"
    key.write_text(github.app_private_key_pem)
    call_command(
        "hosts", "add", "acme", "--kind", "github", "--api-url", github.api_url,
        "--git-url", github.web_url, "--app-id", str(github.app_id),
        "--installation-id", str(github.installation_id),
        "--private-key-file", str(key), stdout=StringIO(),
    )  # fmt: skip
    said = StringIO()
    call_command("hosts", "check", stdout=said)
    assert f"GitHub App {github.app_id}, installation" in said.getvalue()
    source = add_source(github, "--path", "catalog-info.yaml")
    run = discover(source)
    assert (run.status, run.seen, run.registered) == ("ok", 1, 1), run.message
    assert components().get().name == "billing"


# --- one organisation on each kind of host --------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_an_organisation_is_discovered_across_pages(kind, tmp_path, settings, discover):
    host = start_host(kind, tmp_path / "host", settings, page_max=4)
    try:
        owner = owner_for(kind)
        for i in range(6):
            host.add(FakeRepo(owner, f"svc-{i}",
                              {"catalog-info.yaml": descriptor(f"svc-{i}")},
                              private=i % 2 == 0, topics=["backend"]))  # fmt: skip
        for i in range(3):
            host.add(FakeRepo(owner, f"bare-{i}", {"README.md": "no descriptor\n"}))
        host.add(FakeRepo(owner, "old", {"catalog-info.yaml": descriptor("old")},
                          archived=True))  # fmt: skip
        host.add(FakeRepo(owner, "nested", {".backstage/catalog-info.yaml":
                                            descriptor("nested")}))  # fmt: skip
        connect(host)
        source = add_source(host)
        run = discover(source)
        assert run.status == "ok", (run.message, list(run.problems.all()))
        archived_seen = kind != "bitbucket-cloud"  # it has no archived flag
        assert run.seen == 11
        assert run.registered == 7 + (not archived_seen)
        assert run.uncatalogued == 3
        assert run.errors == 0
        found = states(source)
        assert found[f"{owner}/bare-1"] == State.UNCATALOGUED
        assert found[f"{owner}/svc-0"] == State.CATALOGUED
        if archived_seen:
            assert found[f"{owner}/old"] == State.EXCLUDED
        names = set(components().values_list("name", flat=True))
        assert {f"svc-{i}" for i in range(6)} | {"nested"} <= names
        nested = source.repositories.get(full_name=f"{owner}/nested")
        assert nested.descriptor_path == ".backstage/catalog-info.yaml"
        assert ("old" in names) == (not archived_seen)
    finally:
        host.stop()


# --- between runs: unchanged, renamed, archived, deleted -------------------------


@pytest.mark.django_db
def test_a_second_run_with_nothing_changed_reads_no_file(github, discover):
    for i in range(12):
        repo = github.add(
            FakeRepo("acme", f"svc-{i}", {"catalog-info.yaml": descriptor(f"s{i}")})
        )
        # Last pushed a minute ago: a push in the last seconds is looked at again.
        repo.pushed_at -= timedelta(minutes=1)
    connect(github)
    source = add_source(github)
    assert discover(source).registered == 12
    before = len(github.requests)
    again = discover(source)
    assert (again.status, again.seen, again.registered, again.removed) == (
        "ok", 12, 0, 0,
    )  # fmt: skip
    asked = [r.path for r in github.requests[before:]]
    assert all("/contents/" not in path for path in asked), asked
    assert len(asked) == 2  # two pages of ten


@pytest.mark.django_db
def test_a_rename_moves_the_location_and_keeps_the_history(github, discover):
    files = {"catalog-info.yaml": descriptor("billing")}
    repo = github.add(FakeRepo("acme", "billing", files))
    connect(github)
    source = add_source(github)
    discover(source)
    entity = components().get()
    location = entity.location
    github.rename(repo, "payments")
    run = discover(source)
    assert (run.updated, run.registered, run.removed) == (1, 0, 0)
    location.refresh_from_db()
    assert location.url.endswith("/acme/payments.git")
    assert Location.objects.count() == 1
    moved = components().get()
    assert moved.pk == entity.pk
    # The component was changed in place, never removed (only the generated
    # Location entity, named for the old URL, is replaced).
    assert not EntityRevision.objects.filter(
        action="removed", ref__startswith="component:"
    ).exists()


@pytest.mark.django_db
def test_archived_and_deleted_repositories_leave_the_catalog_with_the_reason(
    github, discover
):
    kept = github.add(
        FakeRepo("acme", "kept", {"catalog-info.yaml": descriptor("kept")})
    )
    old = github.add(FakeRepo("acme", "old", {"catalog-info.yaml": descriptor("old")}))
    gone = github.add(
        FakeRepo("acme", "gone", {"catalog-info.yaml": descriptor("gone")})
    )
    connect(github)
    source = add_source(github)
    discover(source)
    assert components().count() == 3
    github.archive(old)
    github.delete(gone)
    run = discover(source)
    assert (run.status, run.removed) == ("ok", 2)
    assert set(components().values_list("name", flat=True)) == {"kept"}
    found = states(source)
    assert (found["acme/old"], found["acme/gone"]) == (State.EXCLUDED, State.GONE)
    removed = EntityRevision.objects.filter(action="removed", ref__startswith="comp")
    assert set(removed.values_list("ref", flat=True)) == {
        "component:default/old", "component:default/gone",
    }  # fmt: skip
    assert kept.name == "kept"


@pytest.mark.django_db
def test_a_location_registered_by_hand_is_linked_and_never_unregistered(
    github, discover
):
    files = {"catalog-info.yaml": descriptor("billing")}
    repo = github.add(FakeRepo("acme", "billing", files))
    connect(github)
    by_hand, _ = register_location(github.clone_url(repo).removesuffix(".git"))
    source = add_source(github)
    run = discover(source)
    assert run.registered == 0
    assert Location.objects.count() == 1
    assert source.repositories.get().location == by_hand
    github.archive(repo)
    assert discover(source).removed == 0
    assert Location.objects.filter(pk=by_hand.pk).exists()


# --- a host that limits, fails or talks nonsense --------------------------------


@pytest.mark.django_db
def test_a_rate_limit_mid_run_waits_and_goes_on_from_the_same_page(github, discover):
    for i in range(14):
        github.add(
            FakeRepo("acme", f"svc-{i:02}", {"catalog-info.yaml": descriptor(f"s{i}")})
        )
    connect(github)
    source = add_source(github)
    github.limit_after(6, retry_after=1)
    run = discover(source)
    assert run.status == DiscoveryRun.Status.WAITING
    assert "rate limited until" in run.message
    decided = source.repositories.count()
    assert 0 < decided < 14  # what was decided before the limit is kept
    assert run.resume_after > run.started_at  # when the host said: Retry-After
    early = run.resume_after - timedelta(seconds=0.5)
    assert runs.due_runs(now=early) == []  # not before the host said
    assert runs.due_runs(now=run.resume_after) == [run.pk]
    time.sleep(max(0.0, (run.resume_after - datetime.now(UTC)).total_seconds()))
    run = discover(source, run.pk)
    assert run.status == "ok", run.message
    assert run.seen == 14
    assert run.registered == 14
    assert Location.objects.count() == 14
    assert components().count() == 14


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["garbage", "500", "html", "timeout"])
def test_a_host_answering_badly_is_an_error_on_the_source_and_loses_nothing(
    github, mode, discover
):
    repo = github.add(
        FakeRepo("acme", "kept", {"catalog-info.yaml": descriptor("kept")})
    )
    connect(github)
    source = add_source(github)
    discover(source)
    github.fail_next(mode, count=10)
    run = discover(source)
    assert run.status == DiscoveryRun.Status.WAITING  # retried from the same page
    for _ in range(runs.RETRIES):
        DiscoveryRun.objects.filter(pk=run.pk).update(resume_after=None)
        run = discover(source, run.pk)
    assert run.status == DiscoveryRun.Status.FAILED
    assert run.message
    assert run.problems.count() == runs.RETRIES + 1
    assert components().get().name == "kept"  # nothing lost
    assert states(source) == {"acme/kept": State.CATALOGUED}
    assert repo.name == "kept"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--scope", "teams/acme"], "a GitHub scope is"),
        (["--scope", "orgs/acme", "--path", "../etc/passwd"], "not a path inside"),
        (["--scope", "orgs/acme", "--interval", "-5"], "interval"),
    ],
)
def test_a_bad_source_is_a_clear_error(github, arguments, message):
    connect(github)
    with pytest.raises(CommandError, match=message):
        call_command("discovery", "add", "x", "--host", "acme", *arguments,
                     stdout=StringIO())  # fmt: skip
    assert not DiscoverySource.objects.exists()


# --- the pages ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_source_page_shows_runs_errors_and_uncatalogued_repositories(
    github, viewer_client, django_assert_max_num_queries, discover
):
    for i in range(5):
        github.add(FakeRepo("acme", f"bare-{i}", {"README.md": "x\n"},
                            topics=["legacy"]))  # fmt: skip
    github.add(FakeRepo("acme", "svc", {"catalog-info.yaml": descriptor("svc")}))
    connect(github)
    source = add_source(github)
    discover(source)
    with django_assert_max_num_queries(15):
        page = viewer_client.get(f"/discovery/{source.name}")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Without a descriptor (5)" in text
    assert "acme/bare-3" in text
    assert "legacy" in text
    listing = viewer_client.get("/discovery/").content.decode()
    assert "orgs/acme" in listing


# --- compliance: the repositories without a descriptor -----------------------------


@pytest.mark.django_db
def test_coverage_leads_with_the_catalogued_share_and_lists_the_rest(
    github, viewer_client, discover
):
    github.add(FakeRepo("acme", "svc", {"catalog-info.yaml": descriptor("svc")}))
    owners = {".github/CODEOWNERS": "* @acme/platform\n"}
    github.add(FakeRepo("acme", "legacy-a", owners, topics=["legacy"]))
    github.add(FakeRepo("acme", "legacy-b", {"README.md": "x\n"},
                        teams={"payments": "admin", "readers": "pull"}))  # fmt: skip
    github.add(FakeRepo("acme", "legacy-c", {"README.md": "x\n"}))
    connect(github)
    discover(add_source(github))
    page = viewer_client.get("/compliance/").content.decode()
    assert "<strong>25.0%</strong> of the 4 repositories discovery found" in page
    listed = viewer_client.get("/compliance/repositories").content.decode()
    assert "acme/legacy-a" in listed
    assert "@acme/platform" in listed
    assert "@acme/payments" in listed
    assert "@acme/readers" not in listed
    assert "acme/svc" not in listed
    items = viewer_client.get("/api/compliance/repositories").json()["items"]
    assert [i["repository"] for i in items] == [
        "acme/legacy-a", "acme/legacy-b", "acme/legacy-c",
    ]  # fmt: skip
    assert items[0]["owners"] == ["@acme/platform"]
    assert items[0]["topics"] == ["legacy"]
    assert items[0]["defaultBranch"] == "main"
    assert items[2]["owners"] == []
    answer = viewer_client.get("/compliance/repositories?format=csv")
    csv = b"".join(answer.streaming_content).decode()
    assert csv.splitlines()[0].lstrip("\ufeff").startswith("repository,url,source,")
    assert len(csv.splitlines()) == 4
    summary = viewer_client.get("/api/compliance/coverage").json()["repositories"]
    assert (summary["discovered"], summary["catalogued"], summary["total"]) == (4, 1, 3)
    assert summary["bySource"] == {"acme": 3}


@pytest.mark.django_db
def test_a_push_in_the_same_second_as_the_last_look_is_not_missed(github, discover):
    repo = github.add(FakeRepo("acme", "legacy", {"README.md": "x\n"}))
    connect(github)
    source = add_source(github)
    discover(source)
    pushed = repo.pushed_at
    github.push(repo, {"catalog-info.yaml": descriptor("legacy")})
    repo.pushed_at = pushed  # the host's whole seconds show no change
    assert discover(source).registered == 1
    assert states(source) == {"acme/legacy": State.CATALOGUED}
