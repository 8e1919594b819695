"""`$text`/`$json`/`$yaml` placeholders naming files by URL (issue 16, part 4).

Against real servers: a git host (git's smart HTTP, the GitLab URL shapes any
host may use) serving the crawled repository and another one, and plain HTTP
servers for the allowlisted downloads. The github.com, GitLab, Bitbucket and
Gitea shapes of the real fixtures are checked by their mapping, without the
internet.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from catalog.ingest import remotefiles
from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import CrawlRun, Entity, Location, ProcessingError
from catalog.urlpolicy import HostFileUrl, UrlRefused, check_read_url, split_file_url
from tests.support.fixtures import shared_fixtures
from tests.support.gitrepos import Repo
from tests.support.webserver import Request, Server, files, http_backend, redirect

OPENAPI = "openapi: 3.0.0\ninfo: {title: Billing, version: '1'}\npaths: {}\n"
SPECS = {
    "api.yaml": "asyncapi: 2.6.0\ninfo: {title: Events, version: '2'}\n",
    "schema.json": '{"type": "object", "title": "Order"}',
    "definition.graphql": "type Query { orders: [String] }\n",
}


def api(name: str, key: str, target: str) -> str:
    return f"""\
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {{name: {name}}}
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition: {{{key}: "{target}"}}
"""


def component(name: str, key: str, target: str) -> str:
    """A Component carrying an object placeholder in an annotation-free field."""
    return f"""\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
  extra: {{{key}: "{target}"}}
spec: {{type: service, lifecycle: production, owner: team-a}}
"""


def catalog(*documents: str) -> str:
    return "---\n".join(documents)


@dataclass
class GitHost:
    """Repositories under `/org/` of a real git smart-HTTP server."""

    root: Path
    server: Server

    def repo(self, name: str, files: dict[str, str]) -> Repo:
        repo = Repo(self.root / "org" / name)
        repo.commit(files, "initial")  # type: ignore[arg-type]
        return repo

    def url(self, name: str) -> str:
        return self.server.url(f"/org/{name}")

    def blob(self, name: str, ref: str, path: str) -> str:
        return self.server.url(f"/org/{name}/-/blob/{ref}/{path}")

    def raw(self, name: str, ref: str, path: str) -> str:
        return self.server.url(f"/org/{name}/-/raw/{ref}/{path}")

    def fetches(self, name: str) -> int:
        """How many times git asked the server for the repository's refs."""
        return sum(p.startswith(f"/org/{name}/info/refs") for p in self.server.seen)


@pytest.fixture
def githost(tmp_path: Path, settings) -> Iterator[GitHost]:
    root = tmp_path / "githost"
    root.mkdir()
    server = Server(http_backend(root))
    settings.GREENROOM_ALLOW_LOCAL_REPOS = False
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [server.host]
    yield GitHost(root, server)
    server.stop()


@pytest.fixture
def web() -> dict[str, bytes]:
    """Files of a plain web server, filled by each test; `web_server` serves them."""
    return {}


@pytest.fixture
def web_server(web: dict[str, bytes]) -> Iterator[Server]:
    server = Server(files(web))
    yield server
    server.stop()


def crawl(location: Location, *, force: bool = False) -> str:
    """The crawl run's status, "skipped" when the crawl found nothing to do."""
    run = crawl_location(Location.objects.get(pk=location.pk), force=force)
    location.refresh_from_db()
    return "skipped" if run is None else run.status


def processed(name: str, kind: str = "api") -> dict:
    return Entity.objects.get(ref=f"{kind}:default/{name}").processed


def warnings_of(location: Location) -> list[str]:
    return list(
        ProcessingError.objects.filter(location=location, level="warning")
        .order_by("id")
        .values_list("message", flat=True)
    )


# --- URLs of git hosts, end to end --------------------------------------------


@pytest.mark.django_db
def test_files_of_the_same_and_another_repository_are_read(githost):
    githost.repo("specs", SPECS)
    # Any ref of the crawled repository reads the crawled commit.
    own = githost.blob("service", "no-such-ref", "openapi.yaml")
    graphql = githost.raw("specs", "main", "definition.graphql")
    events = githost.blob("specs", "main", "api.yaml")
    order = githost.raw("specs", "main", "schema.json")
    service = githost.repo(
        "service",
        {
            "openapi.yaml": OPENAPI,
            "catalog-info.yaml": catalog(
                api("own", "$text", own),
                api("other", "$text", graphql),
                component("events", "$yaml", events),
                component("order", "$json", order),
            ),
        },
    )
    location, _ = register_location(githost.url("service"))

    assert crawl(location) == CrawlRun.Status.SUCCEEDED
    assert warnings_of(location) == []
    assert processed("own")["spec"]["definition"] == OPENAPI
    assert processed("other")["spec"]["definition"] == SPECS["definition.graphql"]
    assert processed("events", "component")["metadata"]["extra"] == {
        "asyncapi": "2.6.0",
        "info": {"title": "Events", "version": "2"},
    }
    assert processed("order", "component")["metadata"]["extra"] == {
        "type": "object",
        "title": "Order",
    }
    # Three placeholders, one fetch of the other repository.
    assert githost.fetches("specs") == 1
    assert location.last_commit == service.head()


@pytest.mark.django_db
def test_a_change_in_the_other_repository_alone_is_picked_up(githost):
    specs = githost.repo("specs", SPECS)
    url = githost.raw("specs", "main", "api.yaml")
    githost.repo("service", {"catalog-info.yaml": api("other", "$text", url)})
    location, _ = register_location(githost.url("service"))
    crawl(location)
    assert processed("other")["spec"]["definition"] == SPECS["api.yaml"]

    # Nothing changed anywhere: no database work (an unchanged run).
    assert crawl(location) == CrawlRun.Status.UNCHANGED

    specs.commit({"api.yaml": "asyncapi: 3.0.0\n"})
    # The service's own commit did not move.
    assert crawl(location) == CrawlRun.Status.SUCCEEDED
    assert processed("other")["spec"]["definition"] == "asyncapi: 3.0.0\n"


@pytest.mark.django_db
def test_a_commit_id_is_read_at_that_commit_and_fetched_once(githost):
    specs = githost.repo("specs", SPECS)
    old = specs.head()
    specs.commit({"api.yaml": "asyncapi: 3.0.0\n"})
    url = githost.blob("specs", old, "api.yaml")
    githost.repo("service", {"catalog-info.yaml": api("pinned", "$text", url)})
    location, _ = register_location(githost.url("service"))

    assert crawl(location) == CrawlRun.Status.SUCCEEDED
    assert processed("pinned")["spec"]["definition"] == SPECS["api.yaml"]
    fetched = githost.fetches("specs")

    assert crawl(location) == CrawlRun.Status.UNCHANGED
    assert githost.fetches("specs") == fetched  # a commit never changes


@pytest.mark.django_db
def test_a_location_reading_only_its_own_repository_is_still_skipped(githost):
    githost.repo(
        "service",
        {
            "openapi.yaml": OPENAPI,
            "catalog-info.yaml": api(
                "own", "$text", githost.blob("service", "main", "openapi.yaml")
            ),
        },
    )
    location, _ = register_location(githost.url("service"))
    crawl(location)
    assert location.input_paths == ["catalog-info.yaml", "openapi.yaml"]

    assert crawl(location) == "skipped"  # commit unchanged: nothing read


@pytest.mark.django_db
def test_repositories_and_files_that_cannot_be_read_are_warnings(githost):
    githost.repo("specs", SPECS)
    targets = {
        "unlisted": "https://gitlab.invalid/g/p/-/blob/main/openapi.yaml",
        "missing": githost.blob("specs", "main", "nothing.yaml"),
        "nobranch": githost.blob("specs", "gone", "api.yaml"),
        "norepo": githost.blob("absent", "main", "api.yaml"),
        "commit": githost.blob("specs", "a" * 40, "api.yaml"),
        "outside": githost.blob("specs", "main", "%2E%2E/%2E%2E/etc/passwd"),
        "badref": githost.blob("specs", "x:refs%2Fheads%2Fy", "api.yaml"),
    }
    githost.repo(
        "service",
        {
            "catalog-info.yaml": catalog(
                *(api(name, "$text", url) for name, url in targets.items())
            )
        },
    )
    location, _ = register_location(githost.url("service"))

    assert crawl(location) == CrawlRun.Status.SUCCEEDED
    for name, url in targets.items():  # the placeholder's text stays
        assert processed(name)["spec"]["definition"] == f"$text: {url}"
    found = dict(zip(targets, warnings_of(location), strict=True))
    assert "not in GREENROOM_ALLOWED_GIT_HOSTS" in found["unlisted"]
    assert "nothing.yaml not found" in found["missing"]
    assert "'gone' not found" in found["nobranch"]
    assert "no git repository could be read" in found["norepo"]
    assert "no git repository could be read" in found["commit"]
    assert "leaves the repository" in found["outside"]
    assert "not a valid git branch name" in found["badref"]


@pytest.mark.django_db
def test_one_crawl_reads_from_a_bounded_number_of_repositories(githost, monkeypatch):
    monkeypatch.setattr(remotefiles, "MAX_REPOSITORIES", 1)
    githost.repo("specs", SPECS)
    githost.repo("more", SPECS)
    first = githost.blob("specs", "main", "api.yaml")
    same = githost.raw("specs", "main", "schema.json")
    second = githost.blob("more", "main", "api.yaml")
    githost.repo(
        "service",
        {
            "catalog-info.yaml": catalog(
                api("first", "$text", first),
                api("same", "$text", same),
                api("second", "$text", second),
            )
        },
    )
    location, _ = register_location(githost.url("service"))

    assert crawl(location) == CrawlRun.Status.SUCCEEDED
    assert processed("first")["spec"]["definition"] == SPECS["api.yaml"]
    assert processed("same")["spec"]["definition"] == SPECS["schema.json"]
    assert processed("second")["spec"]["definition"] == f"$text: {second}"
    (warning,) = warnings_of(location)
    assert "at most 1 other repositories" in warning
    assert githost.fetches("more") == 0


# --- plain http(s) URLs ---------------------------------------------------------


@pytest.mark.django_db
def test_a_plain_url_is_read_from_an_allowed_host_only(
    repos, web, web_server, settings
):
    web["/spec.json"] = b'{"openapi": "3.0.0"}'
    url = web_server.url("/spec.json")
    repo = repos.create("service", {"catalog-info.yaml": api("plain", "$text", url)})
    location, _ = register_location(repo.url)

    crawl(location)
    assert processed("plain")["spec"]["definition"] == f"$text: {url}"
    (warning,) = warnings_of(location)
    assert "host 127.0.0.1 is not in GREENROOM_READ_ALLOWED_HOSTS" in warning
    assert web_server.seen == []

    settings.GREENROOM_READ_ALLOWED_HOSTS = [web_server.host]
    crawl(location, force=True)
    assert processed("plain")["spec"]["definition"] == '{"openapi": "3.0.0"}'
    assert warnings_of(location) == []


@pytest.mark.django_db
def test_a_redirect_is_checked_again(repos, web, web_server, settings):
    """To a path of the same allowed host: followed. To a loopback address the
    list does not name: refused, and never asked."""
    internal = Server(files({"/secret": b"internal"}))
    onward = Server(redirect(web_server.url("/spec.yaml")))
    away = Server(redirect(internal.url("/secret")))
    web["/spec.yaml"] = b"openapi: 3.1.0\n"
    settings.GREENROOM_READ_ALLOWED_HOSTS = [web_server.host, onward.host, away.host]
    repo = repos.create(
        "service",
        {
            "catalog-info.yaml": catalog(
                api("onward", "$text", onward.url("/a")),
                api("away", "$text", away.url("/b")),
            )
        },
    )
    location, _ = register_location(repo.url)
    try:
        crawl(location)
    finally:
        for server in (internal, onward, away):
            server.stop()

    assert processed("onward")["spec"]["definition"] == "openapi: 3.1.0\n"
    assert processed("away")["spec"]["definition"] == f"$text: {away.url('/b')}"
    (warning,) = warnings_of(location)
    assert "is not in GREENROOM_READ_ALLOWED_HOSTS" in warning
    assert internal.seen == []


@pytest.mark.django_db
def test_too_large_slow_and_failing_answers_are_warnings(
    repos, web, web_server, settings, monkeypatch
):
    def slow(request: Request) -> tuple[int, dict[str, str], bytes]:
        time.sleep(3)
        return 200, {}, b"late"

    stalling = Server(slow)
    monkeypatch.setattr(remotefiles, "READ_SECONDS", 1)
    settings.GREENROOM_MAX_FILE_BYTES = 1000
    web["/big"] = b"x" * 1001
    web["/fits"] = b"y" * 1000
    settings.GREENROOM_READ_ALLOWED_HOSTS = [web_server.host, stalling.host]
    targets = {
        "big": web_server.url("/big"),
        "fits": web_server.url("/fits"),
        "absent": web_server.url("/absent"),
        "slow": stalling.url("/slow"),
    }
    repo = repos.create(
        "service",
        {
            "catalog-info.yaml": catalog(
                *(api(name, "$text", url) for name, url in targets.items())
            )
        },
    )
    location, _ = register_location(repo.url)
    try:
        crawl(location)
    finally:
        stalling.stop()

    assert processed("fits")["spec"]["definition"] == "y" * 1000
    for name in ("big", "absent", "slow"):
        assert processed(name)["spec"]["definition"] == f"$text: {targets[name]}"
    big, absent, late = warnings_of(location)
    assert "larger than 1000 bytes" in big
    assert "answered 404 Not Found" in absent
    assert remotefiles.UNREACHABLE in late


@pytest.mark.django_db
def test_a_crawl_stops_reading_urls_when_its_time_is_spent(
    repos, web, web_server, settings, monkeypatch
):
    monkeypatch.setattr(remotefiles, "CRAWL_SECONDS", -1)
    settings.GREENROOM_READ_ALLOWED_HOSTS = [web_server.host]
    web["/a"] = b"a"
    url = web_server.url("/a")
    repo = repos.create("service", {"catalog-info.yaml": api("late", "$text", url)})
    location, _ = register_location(repo.url)

    crawl(location)

    assert processed("late")["spec"]["definition"] == f"$text: {url}"
    (warning,) = warnings_of(location)
    assert "spent its -1 seconds" in warning
    assert web_server.seen == []


@pytest.mark.django_db
def test_downloads_count_against_the_location_budget(repos, web, web_server, settings):
    settings.GREENROOM_MAX_SUBSTITUTED_BYTES = 1500
    settings.GREENROOM_READ_ALLOWED_HOSTS = [web_server.host]
    web["/a"] = b"a" * 1000
    web["/b"] = b"b" * 1000
    repo = repos.create(
        "service",
        {
            "catalog-info.yaml": catalog(
                api("first", "$text", web_server.url("/a")),
                api("second", "$text", web_server.url("/b")),
            )
        },
    )
    location, _ = register_location(repo.url)

    crawl(location)

    assert processed("first")["spec"]["definition"] == "a" * 1000
    assert not Entity.objects.filter(ref="api:default/second").exists()
    (error,) = ProcessingError.objects.filter(location=location, level="error")
    assert "GREENROOM_MAX_SUBSTITUTED_BYTES" in error.message


# --- the policy for plain URLs ------------------------------------------------


def public(host: str, port: int | None) -> list[str]:
    return ["93.184.215.14"]


def private(host: str, port: int | None) -> list[str]:
    return ["10.1.2.3"]


def metadata(host: str, port: int | None) -> list[str]:
    return ["169.254.169.254"]


@pytest.mark.parametrize(
    ("entries", "url"),
    [
        (["example.com"], "https://example.com/spec.yaml"),
        (["example.com"], "https://example.com:443/spec.yaml"),
        (["example.com"], "http://example.com/spec.yaml"),
        (["example.com:8080"], "http://example.com:8080/spec.yaml"),
        (["*.example.com"], "https://api.example.com/spec.yaml"),
        (["*.example.com"], "https://a.b.example.com/spec.yaml"),
        (["other.org", " Example.COM "], "https://EXAMPLE.com./x"),
    ],
)
def test_listed_hosts_are_read(entries, url):
    checked = check_read_url(url, allowed_hosts=entries, resolve=public)
    assert checked.addresses == ("93.184.215.14",)


@pytest.mark.parametrize(
    ("entries", "url", "reason"),
    [
        ([], "https://example.com/spec.yaml", "not in GREENROOM_READ_ALLOWED_HOSTS"),
        (["example.com"], "https://example.com:8443/x", "not in"),
        (["example.com:8080"], "https://example.com/x", "not in"),
        (["*.example.com"], "https://example.com/x", "not in"),
        (["*.example.com"], "https://evilexample.com/x", "not in"),
        (["example.com"], "https://api.example.com/x", "not in"),
        (["example.com"], "ftp://example.com/x", "only http:// and https://"),
        (["example.com"], "file:///etc/passwd", "only http:// and https://"),
        (["example.com"], "https://user:pw@example.com/x", "credentials"),
        (["example.com"], "https://example.com/a b", "whitespace"),
        (["169.254.169.254"], "http://169.254.169.254/latest", "metadata"),
        (["metadata.google.internal"], "http://metadata.google.internal/x", "metadata"),
    ],
)
def test_other_urls_are_refused(entries, url, reason):
    with pytest.raises(UrlRefused, match=re.escape(reason)):
        check_read_url(url, allowed_hosts=entries, resolve=public)


def test_a_wildcard_reaches_public_addresses_only():
    with pytest.raises(UrlRefused, match="a private address"):
        check_read_url(
            "https://api.example.com/x",
            allowed_hosts=["*.example.com"],
            resolve=private,
        )
    # Named exactly, the operator's host may be internal.
    checked = check_read_url(
        "https://docs.example.com/x",
        allowed_hosts=["docs.example.com"],
        resolve=private,
    )
    assert checked.addresses == ("10.1.2.3",)
    with pytest.raises(UrlRefused, match="metadata"):
        check_read_url(
            "https://docs.example.com/x",
            allowed_hosts=["docs.example.com"],
            resolve=metadata,
        )


@pytest.mark.parametrize(
    "entry", ["exa mple.com", "*.10.0.0.1", "host:port", "a:1:2:3:z"]
)
def test_a_broken_entry_is_an_operator_error(entry):
    with pytest.raises(ValueError, match="GREENROOM_READ_ALLOWED_HOSTS"):
        check_read_url("https://example.com/x", allowed_hosts=[entry], resolve=public)


# --- URL shapes of git hosts -----------------------------------------------------


GITHUB = "https://github.com/APIs-guru/openapi-directory"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"{GITHUB}/blob/main/APIs/archive.org/search/1.0.0/openapi.yaml",
            (GITHUB, "main", "APIs/archive.org/search/1.0.0/openapi.yaml"),
        ),
        (
            f"{GITHUB}/blob/dab6854d4d599aafb0eb36e6c7ae1fe0c37509b7/x/openapi.yaml",
            (GITHUB, "dab6854d4d599aafb0eb36e6c7ae1fe0c37509b7", "x/openapi.yaml"),
        ),
        (f"{GITHUB}/raw/main/a/b.yaml", (GITHUB, "main", "a/b.yaml")),
        (
            "https://raw.githubusercontent.com/APIs-guru/openapi-directory/main/a.yaml",
            (GITHUB, "main", "a.yaml"),
        ),
        (
            "https://raw.githubusercontent.com/APIs-guru/openapi-directory/refs/heads/v2/a.yaml",
            (GITHUB, "v2", "a.yaml"),
        ),
        (
            "https://gitlab.com/group/sub/project/-/blob/main/api/openapi.yaml?ref_type=heads",
            ("https://gitlab.com/group/sub/project", "main", "api/openapi.yaml"),
        ),
        (
            "https://gitlab.example.com/team/api/-/raw/v1.2/spec.json",
            ("https://gitlab.example.com/team/api", "v1.2", "spec.json"),
        ),
        (
            "https://bitbucket.org/acme/billing/src/main/openapi.yaml",
            ("https://bitbucket.org/acme/billing", "main", "openapi.yaml"),
        ),
        (
            "https://bitbucket.org/acme/billing/raw/main/docs/api.yaml",
            ("https://bitbucket.org/acme/billing", "main", "docs/api.yaml"),
        ),
        (
            "https://gitea.example.com/acme/billing/src/branch/main/openapi.yaml",
            ("https://gitea.example.com/acme/billing", "main", "openapi.yaml"),
        ),
        (
            "https://gitea.example.com/acme/billing/raw/branch/main/my%20api.yaml#L3",
            ("https://gitea.example.com/acme/billing", "main", "my api.yaml"),
        ),
    ],
)
def test_git_host_file_urls_name_repository_ref_and_path(url, expected):
    assert split_file_url(url) == HostFileUrl(*expected)


@pytest.mark.parametrize(
    "url",
    [
        "https://demo.backstage.io/api/graphql/schema",
        "https://httpbin.org/spec.json",
        f"{GITHUB}",
        f"{GITHUB}/blob/main",
        f"{GITHUB}/tree/main/",
        "https://example.com/acme/billing/blob/main/openapi.yaml",
        "ssh://github.com/acme/billing/blob/main/openapi.yaml",
        "https://[::1/x/-/blob/main/a",
        "./openapi.yaml",
    ],
)
def test_other_urls_name_no_git_host_file(url):
    assert split_file_url(url) is None


def test_every_url_of_the_real_fixtures_is_mapped_or_plain():
    """The shapes people write: GitHub files map to their repository, the rest
    (a GraphQL endpoint, an API's own spec) are plain URLs for the allowlist."""
    root = shared_fixtures("catalog")
    targets = set()
    for path in root.rglob("*.yaml"):
        text = path.read_text(errors="replace")
        targets |= set(re.findall(r"\$(?:text|json|yaml):\s*(https?://\S+)", text))
    assert targets, "the fixtures name files by URL"
    mapped = {url: split_file_url(url) for url in targets}
    for url, split in mapped.items():
        if url.startswith("https://github.com/"):
            assert split is not None, url
            assert url.startswith(f"{split.repo_url}/blob/{split.branch}/{split.path}")
        else:
            assert split is None, url
