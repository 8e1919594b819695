"""Creating the hook on the git host, against a real local fake of its REST API.

The fake host answers GitHub (Enterprise, `/api/v3`) and GitLab (`/api/v4`) hook
creation, plus a redirect and a non-JSON answer, and records every request it
gets, so the tests see exactly what Greenroom sent, and where.
"""

from __future__ import annotations

import datetime
import http.client
import io
import json
import logging
import re
import socketserver
import ssl
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from django.urls import reverse

from catalog.models import Location
from catalog.urlpolicy import RepoUrl
from tests.support.gitrepos import free_port
from webhooks import hostapi, registry
from webhooks.models import Delivery, Webhook

pytestmark = pytest.mark.django_db

GOOD_TOKEN = "good-token"
BAD_TOKEN = "wrong-token-7f3a9c"  # distinctive, so it can be searched for
PORTAL = "https://portal.example"

GITHUB_REPO = re.compile(r"/api/v3/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/hooks")
GITHUB_ORG = re.compile(r"/api/v3/orgs/(?P<owner>[^/]+)/hooks")
# GitLab's project and group paths are URL-encoded: one segment, no raw "/".
GITLAB = re.compile(r"/api/v4/(?:projects|groups)/(?P<owner>[^/]+)/hooks")
ELSEWHERE = "/elsewhere/hooks"  # where the redirect points


@dataclass
class Seen:
    """One request the fake host got, and what it answered."""

    method: str
    path: str  # raw, as sent on the request line (still percent-encoded)
    headers: dict[str, str]  # names in lower case
    body: Any
    status: int = 0
    answer: Any = None


@dataclass
class FakeHost:
    host: str = ""  # "127.0.0.1:<port>"
    requests: list[Seen] = field(default_factory=list)
    next_id: int = 4100
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    def only_request(self) -> Seen:
        assert len(self.requests) == 1, self.paths()
        return self.requests[0]

    def answer(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        path = seen.path
        if path == ELSEWHERE:  # would "work", had the redirect been followed
            return _json(201, {"id": 666})
        if seen.method != "POST":
            return _json(405, {"message": "Method Not Allowed"})
        if match := GITHUB_REPO.fullmatch(path) or GITHUB_ORG.fullmatch(path):
            given = seen.headers.get("authorization")
            good = given == f"Bearer {GOOD_TOKEN}"
            bad = (401, {"message": "Bad credentials"})
        elif match := GITLAB.fullmatch(path):
            given = seen.headers.get("private-token")
            good = given == GOOD_TOKEN
            bad = (401, {"message": "401 Unauthorized"})
        else:
            return _json(404, {"message": "Not Found"})
        owner = unquote(match["owner"]).split("/")[0]
        if owner == "moved":
            return 302, {"Location": self.url(ELSEWHERE)}, b""
        if owner == "garbled":
            return 201, {"Content-Type": "text/html"}, b"<html>Created!</html>"
        if not good:
            return _json(*bad)
        if owner == "noid":
            return _json(201, {"message": "created"})
        if owner == "longid":
            return _json(201, {"id": "h" * 150})
        with self.lock:
            self.next_id += 1
            hook_id = self.next_id
        return _json(201, {"id": hook_id, "type": "Repository", "active": True})


def _json(status: int, data: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(data).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the requests are recorded instead

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        fake = self.server.fake
        headers = {name.lower(): value for name, value in self.headers.items()}
        seen = Seen(self.command, urlsplit(self.path).path, headers, body)
        seen.status, headers, data = fake.answer(seen)
        seen.answer = json.loads(data) if data.startswith(b"{") else data
        with fake.lock:
            fake.requests.append(seen)
        self.send_response(seen.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET = do_PUT = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeHost


@pytest.fixture
def fake_host(settings) -> Iterator[FakeHost]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = FakeHost(host=f"127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [server.fake.host]
    try:
        yield server.fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def no_public_url(settings) -> None:
    # The payload URL then comes from base_url (the portal's request), as tested.
    settings.GREENROOM_PUBLIC_URL = ""


@pytest.fixture
def dials(monkeypatch) -> list[tuple[str, int]]:
    """Every TCP connection the HTTP client opens; only the fake host is reachable,
    so a request that slipped through fails fast instead of waiting on a timeout."""
    made: list[tuple[str, int]] = []
    original = hostapi._dial

    def dial(host: str, port: int, addresses: tuple[str, ...], timeout: float):
        made.append((host, port))
        if host != "127.0.0.1":
            raise OSError("test: only the fake host may be dialled")
        return original(host, port, addresses, timeout)

    monkeypatch.setattr(hostapi, "_dial", dial)
    return made


def location(url: str) -> Location:
    return Location.objects.create(url=url, path="catalog-info.yaml")


def all_rows() -> str:
    """Every row of every table, as JSON."""
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    return out.getvalue()


def assert_token_nowhere(token: str, caplog, *texts: str) -> None:
    for text in texts:
        assert token not in text
    assert token not in caplog.text
    for record in caplog.records:
        assert token not in record.getMessage()
    assert token not in all_rows()
    assert not Delivery.objects.exists()
    for webhook in Webhook.objects.all():
        assert token not in json.dumps(
            {f.attname: str(getattr(webhook, f.attname)) for f in Webhook._meta.fields}
        )
        assert token not in webhook.secrets()


# --- GitHub ----------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".git", "/"])
def test_github_repository_hook(fake_host, caplog, suffix):
    caplog.set_level(logging.DEBUG)
    billing = location(fake_host.url("/acme/billing" + suffix))

    created = registry.create_webhook(
        "github", location=billing, host_token=GOOD_TOKEN, base_url=PORTAL
    )

    seen = fake_host.only_request()
    assert (seen.method, seen.path) == ("POST", "/api/v3/repos/acme/billing/hooks")
    assert seen.status == 201
    assert seen.headers["authorization"] == f"Bearer {GOOD_TOKEN}"
    assert seen.headers["content-type"] == "application/json"
    assert "private-token" not in seen.headers
    webhook = Webhook.objects.get()
    assert webhook.pk == created.webhook.pk
    assert webhook.location == billing
    assert webhook.kind == "github"
    assert webhook.owner_url == ""
    body = seen.body
    assert body["name"] == "web"
    assert body["events"] == ["push"]
    assert body["active"] is True
    config = body["config"]
    assert config["url"] == registry.payload_url(webhook, PORTAL)
    assert config["url"] == f"{PORTAL}/webhooks/github/{webhook.uid}"
    assert config["content_type"] == "json"
    assert config["secret"] == created.secret
    assert config["insecure_ssl"] == "0"
    assert GOOD_TOKEN not in json.dumps(body)
    # What the host answered is kept; the secret verifies deliveries.
    hook_id = str(seen.answer["id"])
    assert created.host_hook == hook_id
    assert created.webhook.host_hook_id == hook_id
    assert webhook.host_hook_id == hook_id
    assert webhook.secrets() == [created.secret]
    assert_token_nowhere(GOOD_TOKEN, caplog)


def test_github_organisation_hook(fake_host, caplog):
    caplog.set_level(logging.DEBUG)
    created = registry.create_webhook(
        "github",
        owner_url=fake_host.url("/acme/"),
        host_token=GOOD_TOKEN,
        base_url=PORTAL + "/",
    )

    seen = fake_host.only_request()
    assert (seen.method, seen.path) == ("POST", "/api/v3/orgs/acme/hooks")
    assert seen.headers["authorization"] == f"Bearer {GOOD_TOKEN}"
    webhook = Webhook.objects.get()
    assert webhook.location is None
    assert webhook.owner_url == fake_host.url("/acme")
    assert seen.body["events"] == ["push"]
    assert seen.body["config"]["url"] == registry.payload_url(webhook, PORTAL)
    assert seen.body["config"]["secret"] == created.secret
    assert webhook.host_hook_id == created.host_hook == str(seen.answer["id"])
    assert_token_nowhere(GOOD_TOKEN, caplog)


def test_without_a_token_nothing_is_sent_to_the_host(fake_host, dials):
    billing = location(fake_host.url("/acme/billing"))

    created = registry.create_webhook("github", location=billing, base_url=PORTAL)

    assert fake_host.requests == []
    assert dials == []
    assert created.host_hook == ""
    assert Webhook.objects.get().host_hook_id == ""


# --- GitLab ----------------------------------------------------------------


def test_gitlab_project_hook_in_a_subgroup(fake_host, caplog):
    caplog.set_level(logging.DEBUG)
    billing = location(fake_host.url("/group/sub/billing.git"))

    created = registry.create_webhook(
        "gitlab", location=billing, host_token=GOOD_TOKEN, base_url=PORTAL
    )

    seen = fake_host.only_request()
    assert seen.method == "POST"
    assert seen.path == "/api/v4/projects/group%2Fsub%2Fbilling/hooks"
    assert seen.headers["private-token"] == GOOD_TOKEN
    assert "authorization" not in seen.headers
    webhook = Webhook.objects.get()
    assert seen.body["url"] == registry.payload_url(webhook, PORTAL)
    assert seen.body["url"] == f"{PORTAL}/webhooks/gitlab/{webhook.uid}"
    assert seen.body["token"] == created.secret
    assert seen.body["push_events"] is True
    assert seen.body["enable_ssl_verification"] is True
    assert GOOD_TOKEN not in json.dumps(seen.body)
    assert webhook.host_hook_id == created.host_hook == str(seen.answer["id"])
    assert webhook.secrets() == [created.secret]
    assert_token_nowhere(GOOD_TOKEN, caplog)


@pytest.mark.parametrize(
    ("group", "route"),
    [
        ("/group", "/api/v4/groups/group/hooks"),
        ("/group/sub", "/api/v4/groups/group%2Fsub/hooks"),
    ],
)
def test_gitlab_group_hook(fake_host, caplog, group, route):
    caplog.set_level(logging.DEBUG)
    created = registry.create_webhook(
        "gitlab",
        owner_url=fake_host.url(group),
        host_token=GOOD_TOKEN,
        base_url=PORTAL,
    )

    seen = fake_host.only_request()
    assert (seen.method, seen.path) == ("POST", route)
    assert seen.headers["private-token"] == GOOD_TOKEN
    webhook = Webhook.objects.get()
    assert webhook.location is None
    assert webhook.owner_url == fake_host.url(group)
    assert seen.body["url"] == registry.payload_url(webhook, PORTAL)
    assert seen.body["token"] == created.secret
    assert seen.body["push_events"] is True
    assert webhook.host_hook_id == created.host_hook == str(seen.answer["id"])
    assert_token_nowhere(GOOD_TOKEN, caplog)


# --- refusals --------------------------------------------------------------


SCOPES = [
    pytest.param("github", "/acme/billing", False, id="github-repo"),
    pytest.param("github", "/acme", True, id="github-org"),
    pytest.param("gitlab", "/group/sub/billing", False, id="gitlab-project"),
    pytest.param("gitlab", "/group", True, id="gitlab-group"),
]


def create(fake_host: FakeHost, kind: str, path: str, org: bool, token: str):
    scope = fake_host.url(path)
    return registry.create_webhook(
        kind,
        location=None if org else location(scope),
        owner_url=scope if org else "",
        host_token=token,
        base_url=PORTAL,
    )


@pytest.mark.parametrize(("kind", "path", "org"), SCOPES)
def test_a_bad_token_leaves_nothing_behind_and_is_never_repeated(
    fake_host, caplog, kind, path, org
):
    caplog.set_level(logging.DEBUG)

    with pytest.raises(registry.WebhookError) as caught:
        create(fake_host, kind, path, org, BAD_TOKEN)

    message = str(caught.value)
    assert "401" in message
    assert message.startswith("the hook could not be made on the host:")
    # The host did see the (wrong) token: the 401 is its verdict on it.
    seen = fake_host.only_request()
    assert seen.status == 401
    assert BAD_TOKEN in json.dumps(seen.headers)
    # The transaction rolled back: no half-made webhook without a host hook.
    assert not Webhook.objects.exists()
    assert_token_nowhere(
        BAD_TOKEN,
        caplog,
        message,
        repr(caught.value),
        "".join(traceback.format_exception(caught.value)),
    )


@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_a_redirect_is_not_followed(fake_host, caplog, kind):
    caplog.set_level(logging.DEBUG)
    moved = location(fake_host.url("/moved/billing"))

    with pytest.raises(registry.WebhookError, match="302") as caught:
        registry.create_webhook(
            kind, location=moved, host_token=GOOD_TOKEN, base_url=PORTAL
        )

    assert fake_host.only_request().status == 302
    assert ELSEWHERE not in fake_host.paths()  # neither the token nor anything else
    assert not Webhook.objects.exists()
    assert_token_nowhere(GOOD_TOKEN, caplog, str(caught.value))


def test_an_answer_that_is_not_json(fake_host):
    garbled = location(fake_host.url("/garbled/billing"))

    with pytest.raises(registry.WebhookError, match="not JSON"):
        registry.create_webhook(
            "github", location=garbled, host_token=GOOD_TOKEN, base_url=PORTAL
        )

    assert fake_host.only_request().status == 201
    assert not Webhook.objects.exists()


def test_an_answer_without_a_hook_id(fake_host):
    noid = location(fake_host.url("/noid/billing"))

    with pytest.raises(registry.WebhookError, match="without a usable hook id"):
        registry.create_webhook(
            "github", location=noid, host_token=GOOD_TOKEN, base_url=PORTAL
        )

    assert fake_host.only_request().status == 201
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("org", [False, True], ids=["location", "organisation"])
@pytest.mark.parametrize(
    "scope",
    [
        "http://10.0.0.1/acme/x",  # private, and not in the allowlist
        "https://169.254.169.254/acme/x",  # cloud metadata
        "http://localhost:{port}/acme/x",  # the fake host itself, by another name
        "http://127.0.0.1/acme/x",  # the right address, not the listed port
    ],
)
def test_an_api_address_the_url_policy_refuses_is_never_called(
    fake_host, dials, org, scope
):
    scope = scope.format(port=fake_host.host.rpartition(":")[2])

    with pytest.raises(registry.WebhookError, match="refused"):
        registry.create_webhook(
            "github",
            location=None if org else location(scope),
            owner_url=scope if org else "",
            host_token=GOOD_TOKEN,
            base_url=PORTAL,
        )

    assert dials == []
    assert fake_host.requests == []
    assert not Webhook.objects.exists()


def test_an_api_address_refused_with_no_allowlist_at_all(fake_host, dials, settings):
    settings.GREENROOM_ALLOWED_GIT_HOSTS = []  # loopback and http are then refused
    billing = location(fake_host.url("/acme/billing"))

    with pytest.raises(registry.WebhookError, match="refused"):
        registry.create_webhook(
            "gitlab", location=billing, host_token=GOOD_TOKEN, base_url=PORTAL
        )

    assert dials == []
    assert fake_host.requests == []
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("kind", ["gitea", "bitbucket-cloud", "bitbucket-server"])
def test_other_hosts_cannot_have_their_hook_made(fake_host, dials, kind):
    billing = location(fake_host.url("/acme/billing"))

    with pytest.raises(registry.WebhookError, match="GitHub and GitLab only"):
        registry.create_webhook(
            kind, location=billing, host_token=GOOD_TOKEN, base_url=PORTAL
        )

    assert dials == []
    assert fake_host.requests == []
    assert not Webhook.objects.exists()
    # Without a token the webhook is made as usual, to be pasted into the host.
    created = registry.create_webhook(kind, location=billing, base_url=PORTAL)
    assert created.host_hook == ""
    assert Webhook.objects.get().kind == kind


# --- through the portal ----------------------------------------------------


NEW = reverse("webhooks:new")


def test_the_portal_form_creates_the_hook_on_the_host(
    fake_host, editor_client, editor, caplog
):
    caplog.set_level(logging.DEBUG)
    billing = location(fake_host.url("/acme/billing"))

    response = editor_client.post(
        NEW,
        {
            "kind": "github",
            "location": str(billing.uid),
            "owner_url": "",
            "host_token": GOOD_TOKEN,
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    seen = fake_host.only_request()
    assert seen.path == "/api/v3/repos/acme/billing/hooks"
    webhook = Webhook.objects.get()
    assert webhook.location == billing
    assert webhook.created_by == editor
    hook_id = str(seen.answer["id"])
    assert webhook.host_hook_id == hook_id
    secret = seen.body["config"]["secret"]
    assert webhook.secrets() == [secret]
    # The payload URL is the portal's own address, as the request reached it.
    assert seen.body["config"]["url"] == registry.payload_url(
        webhook, "http://testserver/"
    )
    assert seen.body["config"]["url"] in html
    # The secret is shown once, on this page only; the token not at all.
    assert "Webhook created" in html
    assert html.count(secret) == 1
    assert "The hook was also created on the host" in html
    assert f">{hook_id}</span>" in html
    assert GOOD_TOKEN not in html
    detail = editor_client.get(reverse("webhooks:detail", args=[webhook.uid]))
    assert detail.status_code == 200
    assert secret not in detail.content.decode()
    assert_token_nowhere(GOOD_TOKEN, caplog)


def test_the_portal_form_without_a_token_does_not_call_the_host(
    fake_host, editor_client, dials
):
    billing = location(fake_host.url("/acme/billing"))

    response = editor_client.post(
        NEW, {"kind": "github", "location": str(billing.uid), "host_token": ""}
    )

    assert response.status_code == 200
    assert fake_host.requests == []
    assert dials == []
    html = response.content.decode()
    assert "Webhook created" in html
    assert "created on the host" not in html
    assert Webhook.objects.get().host_hook_id == ""


def test_the_portal_form_shows_the_hosts_refusal_without_the_token(
    fake_host, editor_client, caplog
):
    caplog.set_level(logging.DEBUG)

    response = editor_client.post(
        NEW,
        {
            "kind": "gitlab",
            "owner_url": fake_host.url("/group"),
            "host_token": BAD_TOKEN,
        },
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "the hook could not be made on the host" in html
    assert "401" in html
    assert fake_host.only_request().path == "/api/v4/groups/group/hooks"
    assert not Webhook.objects.exists()
    assert_token_nowhere(BAD_TOKEN, caplog, html)


def test_the_portal_form_refuses_a_token_for_other_hosts(fake_host, editor_client):
    billing = location(fake_host.url("/acme/billing"))

    response = editor_client.post(
        NEW,
        {"kind": "gitea", "location": str(billing.uid), "host_token": GOOD_TOKEN},
    )

    assert response.status_code == 400
    assert "GitHub and GitLab only" in response.content.decode()
    assert fake_host.requests == []
    assert not Webhook.objects.exists()


def test_a_viewer_cannot_create_a_hook(fake_host, viewer_client):
    billing = location(fake_host.url("/acme/billing"))

    response = viewer_client.post(
        NEW,
        {"kind": "github", "location": str(billing.uid), "host_token": GOOD_TOKEN},
    )

    assert response.status_code == 403
    assert fake_host.requests == []
    assert not Webhook.objects.exists()


# --- tokens and answers that cannot be used -------------------------------


@pytest.mark.parametrize("kind", ["github", "gitlab"])
@pytest.mark.parametrize("token", ["good\ninjected-7f3a9c", "good\u2026tok-7f3a9c"])
def test_a_token_that_cannot_be_a_header_is_a_clean_error(
    fake_host, dials, kind, token
):
    billing = location(fake_host.url("/acme/billing"))

    with pytest.raises(registry.WebhookError) as caught:
        registry.create_webhook(
            kind, location=billing, host_token=token, base_url=PORTAL
        )

    assert "7f3a9c" not in str(caught.value)
    assert fake_host.requests == []
    assert not Webhook.objects.exists()


def test_a_hook_id_too_long_to_keep_is_a_clean_error(fake_host):
    longid = location(fake_host.url("/longid/billing"))

    with pytest.raises(registry.WebhookError):
        registry.create_webhook(
            "github", location=longid, host_token=GOOD_TOKEN, base_url=PORTAL
        )


def test_the_portal_form_with_a_token_that_cannot_be_a_header(
    fake_host, editor_client, caplog
):
    caplog.set_level(logging.DEBUG)
    billing = location(fake_host.url("/acme/billing"))
    editor_client.raise_request_exception = False

    response = editor_client.post(
        NEW,
        {
            "kind": "github",
            "location": str(billing.uid),
            "host_token": "good\r\ninjected-7f3a9c",
        },
    )

    assert response.status_code == 400
    assert "7f3a9c" not in caplog.text
    assert not Webhook.objects.exists()


# --- the connection: pinned, and no port scanner ------------------------------


class _Banner(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"SSH-2.0-OpenSSH_9.2p1 internal-build-host\r\n")


@pytest.fixture
def banner() -> Iterator[str]:
    """host:port of an open port that does not speak HTTP."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Banner)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_a_closed_port_and_one_that_is_not_http_read_the_same(banner, settings):
    closed = f"127.0.0.1:{free_port()}"
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [closed, banner]
    messages = []
    for host in (closed, banner):
        with pytest.raises(registry.WebhookError) as caught:
            registry.create_webhook(
                "github",
                owner_url=f"http://{host}/acme",
                host_token=GOOD_TOKEN,
                base_url=PORTAL,
            )
        message = str(caught.value)
        assert host.rpartition(":")[2] not in message
        messages.append(message)
    assert messages[0] == messages[1]
    assert hostapi.UNREACHABLE in messages[0]


def pinned(name: str, port: int, scheme: str = "http") -> RepoUrl:
    """An API address under a name no resolver knows, vetted as 127.0.0.1."""
    return RepoUrl(
        f"{scheme}://{name}:{port}/api/v3",
        scheme,
        name,
        port,
        "/api/v3",
        addresses=("127.0.0.1",),
    )


def call(connection: http.client.HTTPConnection) -> int:
    try:
        connection.request(
            "POST",
            "/api/v3/repos/acme/billing/hooks",
            body=b"{}",
            headers={"Authorization": f"Bearer {GOOD_TOKEN}"},
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_connection_goes_to_the_vetted_address_under_the_hosts_name(fake_host):
    port = int(fake_host.host.rpartition(":")[2])
    assert call(hostapi._connection(pinned("api.greenroom.invalid", port))) == 201
    assert fake_host.only_request().headers["host"] == f"api.greenroom.invalid:{port}"


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``name``: (certificate, key) files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_host(tmp_path: Path) -> Iterator[tuple[FakeHost, ssl.SSLContext]]:
    """The fake host over TLS as api.greenroom.invalid, and a client context
    that trusts its certificate (and nothing else)."""
    cert, key = _certificate(tmp_path, "api.greenroom.invalid")
    server = _Server(("127.0.0.1", 0), _Handler)
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    server.socket = served.wrap_socket(server.socket, server_side=True)
    server.fake = FakeHost(host=f"127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.fake, ssl.create_default_context(cafile=str(cert))
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_tls_keeps_the_hosts_name_for_sni_and_the_certificate(tls_host):
    fake, trusted = tls_host
    port = int(fake.host.rpartition(":")[2])
    good = pinned("api.greenroom.invalid", port, "https")
    assert call(hostapi._connection(good, trusted)) == 201
    assert fake.only_request().headers["host"] == f"api.greenroom.invalid:{port}"
    # The same address under another name: the certificate check still applies.
    other = pinned("other.greenroom.invalid", port, "https")
    with pytest.raises(ssl.SSLCertVerificationError):
        call(hostapi._connection(other, trusted))
    assert len(fake.requests) == 1
