"""SSRF through redirects and DNS (hardening finding 9), against real servers.

An "internal" HTTP server on 127.0.0.1 serves a secret repository (git
http-backend). A second server, the only host in
GREENROOM_ALLOWED_GIT_HOSTS, answers every request with a 302 to it. The URL
policy passes the first URL and would refuse the second, so git must not follow:
not for a clone, a fetch, an ls-remote, a registration, a dry run, an
analyze-location, a Location target naming another repository, or a TechDocs
`url:` ref. What is stored must be a classified reason, never git's own words
(they would tell a closed port from an open one).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socketserver
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from catalog.ingest import git as gitio
from catalog.ingest.sync import crawl_location
from catalog.locations import register_location
from catalog.models import Entity, Location
from catalog.urlpolicy import RepoUrl, check_repo_url, check_url
from techdocs import mirrors
from techdocs.models import DocsBuild
from techdocs.sites import docs_changed
from techdocs.source import DocsSource
from tests.support.gitrepos import GitDaemon, Repo, free_port, git

pytestmark = pytest.mark.django_db

SECRET = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: internal-secret}
spec: {type: service, lifecycle: production, owner: team-secret}
"""
PUBLIC = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing
  annotations: {{backstage.io/techdocs-ref: "url:{docs}"}}
spec: {{type: service, lifecycle: production, owner: team-a}}
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {{name: elsewhere}}
spec: {{targets: ["{target}"]}}
"""


@dataclasses.dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # names in lower case
    body: bytes


Answer = Callable[[Request], tuple[int, dict[str, str], bytes]]


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.seen.append(self.path)
        status, answer_headers, data = self.server.answer(
            Request(self.command, self.path, headers, body)
        )
        self.send_response(status)
        for name, value in answer_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: Answer, address: str = "127.0.0.1") -> None:
        super().__init__((address, 0), _Handler)
        self.answer = answer
        self.seen: list[str] = []


class Server:
    """A real HTTP server on a loopback address, answering with ``answer``."""

    def __init__(self, answer: Answer, address: str = "127.0.0.1") -> None:
        self.httpd = _HttpServer(answer, address)
        self.address = address
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def host(self) -> str:
        return f"{self.address}:{self.port}"

    @property
    def seen(self) -> list[str]:
        return self.httpd.seen

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def http_backend(root: Path) -> Answer:
    """git's smart HTTP server (git http-backend, run as a CGI) for ``root``."""

    def answer(request: Request) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(request.path)
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": str(root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": request.method,
            "PATH_INFO": unquote(parts.path),
            "QUERY_STRING": parts.query,
            "CONTENT_TYPE": request.headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(request.body)),
            "HTTP_CONTENT_ENCODING": request.headers.get("content-encoding", ""),
            "GIT_PROTOCOL": request.headers.get("git-protocol", ""),
            "REMOTE_ADDR": "127.0.0.1",
        }
        out = subprocess.run(
            ["git", "http-backend"], input=request.body, env=env,
            capture_output=True, check=False, timeout=30,
        ).stdout  # fmt: skip
        head, _, body = out.partition(b"\r\n\r\n")
        status, headers = 200, {}
        for line in head.decode().split("\r\n"):
            name, _, value = line.partition(": ")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers[name] = value
        return status, headers, body

    return answer


def redirect_to(base: str, prefix: str) -> Answer:
    def answer(request: Request) -> tuple[int, dict[str, str], bytes]:
        return 302, {"Location": base + request.path.removeprefix(prefix)}, b""

    return answer


def fixed(status: int, body: bytes) -> Answer:
    def answer(request: Request) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "text/html"}, body

    return answer


class _Banner(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"SSH-2.0-OpenSSH_9.2p1 internal-build-host\r\n")
        self.request.settimeout(1)
        with contextlib.suppress(OSError):
            self.request.recv(4096)


class BannerServer:
    """An open port that speaks neither HTTP nor git (an SSH-like banner)."""

    def __init__(self) -> None:
        self.tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Banner)
        self.tcp.daemon_threads = True
        self.port = int(self.tcp.server_address[1])
        self.thread = threading.Thread(target=self.tcp.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.tcp.shutdown()
        self.tcp.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def internal(tmp_path: Path) -> Iterator[Server]:
    """The internal service: serves secret.git, which no one may read through us."""
    source = Repo(tmp_path / "secret-src")
    source.commit({"catalog-info.yaml": SECRET})
    root = tmp_path / "internal"
    root.mkdir()
    git(root, "clone", "--bare", "--quiet", str(source.path), "secret.git")
    server = Server(http_backend(root))
    yield server
    server.stop()


@pytest.fixture
def redirector(internal: Server, settings) -> Iterator[Server]:
    """The allowed host: every request answered with a 302 to the internal one."""
    server = Server(redirect_to(internal.url("/secret.git"), "/repo.git"))
    settings.GREENROOM_ALLOW_LOCAL_REPOS = False
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [server.host]
    yield server
    server.stop()


def assert_classified(text: str, internal: Server) -> None:
    """A reason we wrote, not git's: no address, port, path or stderr of theirs."""
    assert gitio.UNREADABLE in text
    assert str(internal.port) not in text
    assert "secret" not in text.lower()
    for word in ("fatal", "http://", "127.0.0.1", "curl", "redirect"):
        assert word not in text.lower()


def assert_never_read(internal: Server) -> None:
    assert internal.seen == []
    assert not Entity.objects.filter(name="internal-secret").exists()


def crawl(location: Location) -> Location:
    """Crawl once; a transient failure is recorded before it is raised for Celery."""
    with contextlib.suppress(gitio.TransientGitError):
        crawl_location(Location.objects.get(pk=location.pk))
    return Location.objects.get(pk=location.pk)


# --- the redirect is not followed ------------------------------------------------


def test_the_internal_repository_is_readable_when_named_directly(
    internal, settings, tmp_path
):
    """The setup is sound: listed, the secret is served (so the refusals below
    are git not following the redirect, not a broken server)."""
    settings.GREENROOM_ALLOW_LOCAL_REPOS = False
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [internal.host]
    repo = check_url(internal.url("/secret.git"))
    bare, head = gitio.clone(
        tmp_path / "m.git", repo, "", timeout=20, allow_local=False
    )
    bare.close()
    assert head.branch == "main"
    assert internal.seen


@pytest.mark.parametrize("operation", ["clone", "fetch", "ls-remote"])
def test_git_does_not_follow_a_redirect(redirector, internal, tmp_path, operation):
    repo = check_url(redirector.url("/repo.git"))
    options: dict[str, Any] = {"timeout": 20, "allow_local": False}
    mirror = tmp_path / "m.git"
    if operation == "fetch":
        git(tmp_path, "init", "--bare", "--quiet", str(mirror))
    run = {
        "clone": lambda: gitio.clone(mirror, repo, "", **options),
        "fetch": lambda: gitio.fetch(mirror, repo, "main", **options),
        "ls-remote": lambda: gitio.remote_head(repo, "", **options),
    }[operation]
    with pytest.raises(gitio.GitError) as caught:
        run()
    assert redirector.seen  # git did ask the allowed host
    assert_never_read(internal)
    assert_classified(str(caught.value), internal)


def test_a_registration_records_a_classified_reason(redirector, internal):
    location, _ = register_location(redirector.url("/repo.git"))
    location = crawl(location)
    assert location.status == Location.Status.FAILED
    assert_classified(location.last_error, internal)
    assert_classified(location.runs.get().error, internal)
    assert_never_read(internal)


def test_the_register_pages_dry_run(redirector, internal, editor_client):
    response = editor_client.post(
        "/catalog-import", {"url": redirector.url("/repo.git"), "action": "preview"}
    )
    html = response.content.decode()
    assert "The repository could not be read" in html
    assert_classified(html.split("could not be read:", 1)[1].split("<", 1)[0], internal)
    assert "internal-secret" not in html
    assert_never_read(internal)


def test_the_api_dry_run_and_analyze_location(redirector, internal, editor_client):
    url = redirector.url("/repo.git")
    dry = editor_client.post(
        "/api/catalog/locations?dryRun=true",
        {"type": "url", "target": url},
        content_type="application/json",
    )
    analyze = editor_client.post(
        "/api/catalog/analyze-location",
        {"location": {"type": "url", "target": url}},
        content_type="application/json",
    )
    assert dry.status_code == 400
    assert_classified(dry.json()["error"]["message"], internal)
    # The policy allowed the URL; git could not read it: Backstage's proposal,
    # with a note saying why in our words (issue 16 §6).
    assert analyze.status_code == 200
    assert analyze.json()["existingEntityFiles"] == []
    assert_classified(analyze.json()["note"], internal)
    assert_never_read(internal)
    assert not Location.objects.exists()


@pytest.fixture
def public(redirector, internal, tmp_path, settings) -> Iterator[Location]:
    """A real repository on an allowed git daemon that names the redirecting URL as
    a Location target and as its TechDocs `url:` ref."""
    (tmp_path / "served").mkdir()
    daemon = GitDaemon(tmp_path / "served")
    repo = Repo(tmp_path / "served" / "public")
    target = redirector.url("/repo.git")
    repo.commit({"catalog-info.yaml": PUBLIC.format(docs=target, target=target)})
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [daemon.host, redirector.host]
    location, _ = register_location(daemon.url(repo))
    yield crawl(location)
    daemon.stop()


def test_a_location_target_naming_a_redirecting_repository(public, internal):
    assert public.status == Location.Status.OK, public.last_error
    child = public.children.get()
    child = crawl(child)
    assert child.status == Location.Status.FAILED
    assert_classified(child.last_error, internal)
    assert_never_read(internal)


def test_a_techdocs_url_ref_to_a_redirecting_repository(public, internal, redirector):
    with pytest.raises(gitio.GitError) as caught:
        mirrors.update(DocsSource(redirector.url("/repo.git"), "", external=True))
    assert_classified(str(caught.value), internal)
    assert docs_changed(public) == []
    failed = DocsBuild.objects.get()
    assert failed.status == DocsBuild.Status.FAILED
    assert_classified(failed.error, internal)
    assert_never_read(internal)


# --- git's error text is not a port scanner --------------------------------------


@pytest.fixture
def probes(internal: Server) -> Iterator[dict[str, str]]:
    """host:port of things that are not git servers, and of nothing at all."""
    text = Server(fixed(200, b"<html>an internal wiki</html>"))
    missing = Server(fixed(404, b"<html>no such page</html>"))
    moved = Server(redirect_to(internal.url("/secret.git"), "/x.git"))
    banner = BannerServer()
    yield {
        "closed": f"127.0.0.1:{free_port()}",
        "http-200": text.host,
        "http-404": missing.host,
        "http-302": moved.host,
        "ssh-banner": f"127.0.0.1:{banner.port}",
    }
    for server in (text, missing, moved):
        server.stop()
    banner.stop()


@pytest.mark.parametrize("scheme", ["http", "git"])
def test_closed_and_open_non_git_ports_read_the_same(
    probes, internal, settings, scheme
):
    settings.GREENROOM_ALLOW_LOCAL_REPOS = False
    settings.GREENROOM_ALLOWED_GIT_HOSTS = list(probes.values())
    settings.GREENROOM_GIT_TIMEOUT = 3  # an HTTP server waits for git:// forever
    errors = {}
    for name, host in probes.items():
        location, _ = register_location(f"{scheme}://{host}/x.git")
        location = crawl(location)
        assert location.status == Location.Status.FAILED, name
        assert host.rpartition(":")[2] not in location.last_error
        errors[name] = location.last_error
    assert len(set(errors.values())) == 1, errors
    assert_classified(errors["closed"], internal)
    assert_never_read(internal)


def test_git_stderr_is_logged_for_the_operator(redirector, internal, caplog):
    repo = check_url(redirector.url("/repo.git"))
    with pytest.raises(gitio.GitError):
        gitio.remote_head(repo, "", timeout=20, allow_local=False)
    logged = [r for r in caplog.records if r.name == "catalog.ingest.git"]
    assert logged
    assert any(redirector.host in r.getMessage() for r in logged)


# --- the vetted address is the one git connects to -------------------------------


def test_the_policy_returns_the_addresses_it_vetted():
    def public_dns(host: str, port: int | None) -> list[str]:
        return ["140.82.112.3", "2606:50c0:8000::154"]

    repo = check_repo_url("https://git.example.com/acme/x", resolve=public_dns)
    assert repo.addresses == ("140.82.112.3", "2606:50c0:8000::154")
    literal = check_repo_url("https://140.82.112.4/acme/x", resolve=public_dns)
    assert literal.addresses == ("140.82.112.4",)
    # An operator's allowlisted name is trusted as a name: nothing to pin.
    listed = check_repo_url(
        "https://git.internal/x", allowed_hosts=["git.internal"], resolve=public_dns
    )
    assert listed.addresses == ()


def test_the_git_configuration_pins_the_vetted_address():
    https = RepoUrl(
        "https://git.example.com/acme/x",
        "https",
        "git.example.com",
        None,
        "/acme/x",
        addresses=("140.82.112.3", "2606:50c0:8000::154"),
    )
    options = gitio.network_options(https)
    assert "http.followRedirects=false" in options
    resolve = "git.example.com:443:140.82.112.3,[2606:50c0:8000::154]"
    assert f"http.curloptResolve={resolve}" in options
    assert gitio.network_env(https, allow_local=True)["GIT_ALLOW_PROTOCOL"] == "https"

    daemon = dataclasses.replace(
        https, url="git://git.example.com:9419/acme/x", scheme="git", port=9419
    )
    assert gitio.transport_url(daemon) == "git://140.82.112.3:9419/acme/x"
    assert gitio.network_env(daemon, allow_local=False)["GIT_ALLOW_PROTOCOL"] == "git"

    ssh = dataclasses.replace(
        https, url="git@git.example.com:acme/x", scheme="ssh", port=None
    )
    command = gitio.network_env(ssh, allow_local=False)["GIT_SSH_COMMAND"]
    assert "HostName=140.82.112.3" in command
    assert "HostKeyAlias=git.example.com" in command
    assert gitio.transport_url(ssh) == "git@git.example.com:acme/x"


def _named(url: str, host: str, address: str) -> RepoUrl:
    """``url`` with its host renamed to one no resolver knows, pinned to
    ``address``: only the pin can take git there."""
    repo = check_repo_url(url, allowed_hosts=[urlsplit(url).netloc])
    port = repo.port
    renamed = repo.url.replace(f"//{repo.host}:", f"//{host}:", 1)
    return dataclasses.replace(repo, url=renamed, host=host, port=port,
                               addresses=(address,))  # fmt: skip


def test_git_connects_to_the_pinned_address_over_http(internal, tmp_path):
    repo = _named(internal.url("/secret.git"), "git.greenroom.invalid", "127.0.0.1")
    bare, head = gitio.clone(
        tmp_path / "m.git", repo, "", timeout=20, allow_local=False
    )
    bare.close()
    assert head.branch == "main"


def test_git_connects_to_the_pinned_address_over_git(tmp_path):
    (tmp_path / "served").mkdir()
    daemon = GitDaemon(tmp_path / "served")
    try:
        served = Repo(tmp_path / "served" / "r")
        commit = served.commit({"catalog-info.yaml": SECRET})
        repo = _named(daemon.url(served), "git.greenroom.invalid", "127.0.0.1")
        head = gitio.remote_head(repo, "", timeout=20, allow_local=False)
        assert head.commit == commit
    finally:
        daemon.stop()


def test_git_does_not_resolve_the_name_again(internal, tmp_path):
    """localhost resolves to 127.0.0.1, where the server is; the pin says
    127.0.0.2, where nothing listens: git must go there, and fail."""
    repo = _named(internal.url("/secret.git"), "localhost", "127.0.0.2")
    with pytest.raises(gitio.GitError):
        gitio.remote_head(repo, "", timeout=20, allow_local=False)
    assert internal.seen == []


def test_subprocess_sees_no_proxy_or_git_config_from_our_environment(
    internal, tmp_path, monkeypatch, settings
):
    """A proxy or config in the worker's environment would route git elsewhere."""
    proxy = Server(fixed(502, b"proxy"))
    try:
        monkeypatch.setenv("http_proxy", proxy.url(""))
        monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
        monkeypatch.setenv("GIT_CONFIG_KEY_0", "http.proxy")
        monkeypatch.setenv("GIT_CONFIG_VALUE_0", proxy.url(""))
        settings.GREENROOM_ALLOWED_GIT_HOSTS = [internal.host]
        repo = check_url(internal.url("/secret.git"))
        head = gitio.remote_head(repo, "", timeout=20, allow_local=False)
        assert head.branch == "main"
        assert proxy.seen == []
    finally:
        proxy.stop()


def test_closed_port_message_is_stable(tmp_path):
    with pytest.raises(gitio.TransientGitError) as caught:
        gitio.remote_head(
            check_repo_url(
                f"git://127.0.0.1:{free_port()}/x", allowed_hosts=["127.0.0.1"]
            ),
            "",
            timeout=20,
            allow_local=False,
        )
    assert str(caught.value) == gitio.UNREADABLE
