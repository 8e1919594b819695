"""Host connections: the credential sealed, shown nowhere, sent only where it
belongs; the `hosts` command and the client's answers to a misbehaving host."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from tempfile import NamedTemporaryFile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from audit.models import AuditEntry
from catalog.ingest import git as gitio
from catalog.urlpolicy import check_repo_url
from discovery import credentials, hostclient
from discovery.models import HostConnection

TOKEN = "ghp_theTokenThatMustNotLeak0123456789"


@pytest.fixture(autouse=True)
def public_hosts(settings) -> None:
    # No DNS here: the names are allowlisted, as an operator's own hosts would be.
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [
        "api.github.com", "github.com", "gitlab.com", "gitlab.example.com"
    ]  # fmt: skip


def add(name: str = "acme", kind: str = "github", token: str = TOKEN, **extra):
    out = StringIO()
    with NamedTemporaryFile("w") as secret:
        secret.write(token)
        secret.flush()
        call_command(
            "hosts", "add", name, "--kind", kind, "--token-file", secret.name,
            *[f"--{k.replace('_', '-')}={v}" for k, v in extra.items()],
            stdout=out,
        )  # fmt: skip
    return HostConnection.objects.get(name=name), out.getvalue()


@pytest.mark.django_db
def test_a_token_is_sealed_audited_and_shown_nowhere(capsys):
    connection, said = add(git_url="https://github.com/acme")
    assert TOKEN not in connection.sealed_token
    assert TOKEN not in said
    assert connection.api_url == "https://api.github.com"
    assert credentials.token(connection) == TOKEN
    listing = StringIO()
    call_command("hosts", "list", stdout=listing)
    assert "acme\tgithub\thttps://api.github.com\thttps://github.com/acme" in (
        listing.getvalue()
    )
    assert TOKEN not in listing.getvalue()
    entry = AuditEntry.objects.get(action="host.add")
    assert entry.target == "acme"
    assert TOKEN not in json.dumps(entry.details)
    call_command("hosts", "remove", "acme", stdout=StringIO())
    assert AuditEntry.objects.filter(action="host.remove", target="acme").exists()
    assert not HostConnection.objects.exists()


@pytest.mark.django_db
def test_rotating_replaces_the_credential_and_is_audited(tmp_path):
    connection, _ = add()
    new = tmp_path / "token"
    new.write_text("glpat-another-token\n")
    call_command("hosts", "rotate", "acme", "--token-file", str(new), stdout=StringIO())
    connection.refresh_from_db()
    assert credentials.token(connection) == "glpat-another-token"
    assert connection.rotated_at is not None
    assert AuditEntry.objects.filter(action="host.rotate").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--kind", "github"], "give --token-file, --token-env"),
        (["--kind", "github", "--token-env", "NOT_SET_ANYWHERE"], "has no NOT_SET"),
        (
            ["--kind", "gitlab", "--token-env", "PATH"],
            "the API address must be an http(s) address",
        ),
        (
            ["--kind", "gitea", "--api-url", "http://169.254.169.254/api/v1",
             "--token-env", "PATH"],
            "the API address is refused",
        ),
        (
            ["--kind", "github", "--api-url", "https://user:pw@api.github.com",
             "--token-env", "PATH"],
            "must not hold a user, a password",
        ),
        (
            ["--kind", "gitlab", "--api-url", "https://gitlab.com/api/v4",
             "--app-id", "3", "--private-key-file", "/dev/null"],
            "only GitHub connections can be a GitHub App",
        ),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_error_and_saves_nothing(arguments, message):
    with pytest.raises(
        CommandError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        call_command("hosts", "add", "acme", *arguments, stdout=StringIO())
    assert not HostConnection.objects.exists()
    assert not AuditEntry.objects.filter(action="host.add").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["has space", "new\nline", "nul\x00", "é", ""])
def test_a_token_that_cannot_be_a_header_is_refused(token):
    with pytest.raises(CommandError, match="the token must be"):
        add(token=token)
    assert not HostConnection.objects.exists()


@pytest.mark.django_db
def test_a_duplicate_name_is_refused():
    add()
    with pytest.raises(CommandError, match="exists already"):
        add()


# --- which git URLs get the credential ----------------------------------------

hosts_ = st.sampled_from(
    ["github.com", "github.com.evil.example", "gitlab.com", "GitHub.com",
     "api.github.com", "evilgithub.com"]
)  # fmt: skip
paths = st.lists(
    st.sampled_from(["acme", "acme-evil", "ACME", "other", "..", "acme.git", "x"]),
    min_size=0,
    max_size=3,
).map(lambda parts: "/" + "/".join(parts))


@pytest.mark.django_db
@hsettings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(["https", "http", "ssh", "git"]),
    host=hosts_,
    port=st.sampled_from([None, 443, 8443, 80]),
    path=paths,
)
def test_the_credential_goes_only_to_git_urls_under_the_connection(
    scheme, host, port, path
):
    HostConnection.objects.all().delete()
    add(git_url="https://github.com/acme")
    header = credentials.git_header(scheme, host.lower(), port, path)
    parts = [p for p in path.lower().split("/") if p]
    under = bool(parts) and parts[0] == "acme"
    expected = (
        scheme == "https" and host.lower() == "github.com" and port in (None, 443)
        and under
    )  # fmt: skip
    assert bool(header) == expected
    if header:
        assert header.startswith("Basic ")
        assert TOKEN not in header  # base64


@pytest.mark.django_db
def test_the_longest_prefix_wins_and_git_gets_it_in_its_environment_only():
    add("whole", kind="gitlab", api_url="https://gitlab.example.com/api/v4")
    add("team", kind="gitlab", api_url="https://gitlab.example.com/api/v4",
        git_url="https://gitlab.example.com/platform", token="glpat-team")  # fmt: skip
    team = check_repo_url(
        "https://gitlab.example.com/platform/billing.git",
        allowed_hosts=["gitlab.example.com"],
        allow_local=False,
    )
    env = gitio.network_env(team, allow_local=False)
    assert env["GIT_CONFIG_KEY_0"] == "http.extraHeader"
    assert env["GIT_CONFIG_VALUE_0"] == "Authorization: " + credentials._basic(
        "oauth2", "glpat-team"
    )
    other = check_repo_url(
        "https://gitlab.example.com/other/repo.git",
        allowed_hosts=["gitlab.example.com"],
        allow_local=False,
    )
    assert gitio.network_env(other, allow_local=False)[
        "GIT_CONFIG_VALUE_0"
    ] == "Authorization: " + credentials._basic("oauth2", TOKEN)
    assert all("glpat" not in arg for arg in gitio.network_options(team))
    assert "glpat" not in gitio.transport_url(team)


@pytest.mark.django_db
def test_a_credential_sealed_under_another_key_reads_anonymously(settings):
    add(git_url="https://github.com/acme")
    settings.GREENROOM_SECRETS_KEY = "another key altogether"
    assert credentials.git_header("https", "github.com", None, "/acme/x") == ""
    call = StringIO()
    with pytest.raises(CommandError, match="1 of 1 connections failed"):
        call_command("hosts", "check", stdout=call)
    assert "sealed under another key: rotate it" in call.getvalue()


# --- a host that misbehaves ----------------------------------------------------


class _Host(http.server.BaseHTTPRequestHandler):
    answers: dict[str, tuple[int, dict[str, str], bytes]] = {}
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.seen.append(dict(self.headers))
        status, headers, body = self.answers[self.path]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def host(settings) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Host)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"127.0.0.1:{server.server_port}"
    settings.GREENROOM_ALLOWED_GIT_HOSTS = [address]
    _Host.seen.clear()
    yield f"http://{address}"
    server.shutdown()


@pytest.mark.django_db
def test_redirects_are_answers_and_the_credential_is_not_carried(host):
    _Host.answers = {
        "/api/v1/user": (302, {"Location": f"{host}/elsewhere"}, b""),
        "/elsewhere": (200, {}, b'{"login": "stolen"}'),
    }
    connection, _ = add(kind="gitea", api_url=f"{host}/api/v1")
    call = StringIO()
    with pytest.raises(CommandError):
        call_command("hosts", "check", "acme", stdout=call)
    assert "302 Found (a redirect, which is not followed)" in call.getvalue()
    assert len(_Host.seen) == 1
    assert _Host.seen[0]["Authorization"] == f"token {TOKEN}"
    connection.refresh_from_db()
    assert connection.check_result.startswith("failed: the host answered 302")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((200, {}, b"<html>hello</html>"), "the host's answer is not JSON"),
        ((200, {}, b"[1, 2]"), "names no user"),
        ((401, {}, b'{"message": "Bad credentials"}'), "401 Unauthorized: the cred"),
        ((500, {}, b"secret internal words"), "the host answered 500 Internal Server"),
        ((429, {"Retry-After": "120"}, b""), "rate limited until"),
    ],
)
def test_a_host_answering_badly_gives_a_clear_error(host, answer, message):
    _Host.answers = {"/api/v1/user": answer}
    add(kind="gitea", api_url=f"{host}/api/v1")
    call = StringIO()
    with pytest.raises(CommandError):
        call_command("hosts", "check", stdout=call)
    assert message in call.getvalue()
    assert "secret internal words" not in call.getvalue()


@pytest.mark.django_db
def test_a_good_check_says_who_and_the_rate_left(host):
    _Host.answers = {
        "/api/v4/user": (
            200,
            {"RateLimit-Remaining": "1999", "RateLimit-Limit": "2000"},
            b'{"id": 1, "username": "discovery-bot"}',
        )
    }
    add(kind="gitlab", api_url=f"{host}/api/v4")
    call = StringIO()
    call_command("hosts", "check", "acme", stdout=call)
    assert call.getvalue() == (
        "acme: signed in as discovery-bot; 1999 of 2000 requests left\n"
    )
    assert _Host.seen[0]["Authorization"] == f"Bearer {TOKEN}"


@hsettings(max_examples=500)
@given(
    status=st.sampled_from([200, 301, 403, 404, 429, 500]),
    headers=st.dictionaries(
        st.sampled_from(
            ["retry-after", "x-ratelimit-remaining", "x-ratelimit-reset",
             "ratelimit-reset"]
        ),
        st.one_of(
            st.text(max_size=40),
            st.integers(-(10**20), 10**20).map(str),
            st.datetimes(timezones=st.just(UTC)).map(
                lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT")
            ),
        ),
    ),
)  # fmt: skip
def test_any_rate_limit_headers_give_a_bounded_wait_or_none(status, headers):
    answer = hostclient.Answer(status, headers, b"")
    before = datetime.now(UTC)
    found = hostclient.retry_at_of(answer)
    limited = status == 429 or (
        status == 403 and headers.get("x-ratelimit-remaining", "").strip() == "0"
    )
    assert (found is not None) == limited
    if found is not None:
        assert before + timedelta(seconds=1) <= found + timedelta(seconds=1)
        assert found <= datetime.now(UTC) + hostclient.MAX_WAIT
