"""Starts the test OpenID Connect provider (this folder's Django project) in a
process of its own, served by gunicorn on 127.0.0.1.

It cannot run inside Greenroom's test process, which has Greenroom's settings:
`running_provider` prepares a temporary folder (a copy of a SQLite database
migrated once per test process, a fresh RSA key, the users and the client
application), starts gunicorn on a socket it has already bound to a free port, waits
for the discovery document, and ends the process on the way out.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = Path(__file__).resolve().parents[3]
SETTINGS = "tests.support.oidc.settings"
STARTUP_TIMEOUT = 30.0


@dataclasses.dataclass(frozen=True)
class ProviderUser:
    """A person with an account at the provider; `sub` is set once it exists."""

    username: str
    password: str
    email: str
    given_name: str
    family_name: str
    email_verified: bool = True
    sub: str = ""

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


DEFAULT_USERS = (
    ProviderUser("alice", "alice-password-1", "alice@example.com", "Alice", "Liddell"),
    ProviderUser("bob", "bob-password-1", "bob@example.com", "Bob", "Marley"),
    # The provider says her address is unverified (email_verified: false).
    ProviderUser(
        "eve",
        "eve-password-1",
        "eve@example.com",
        "Eve",
        "Moneypenny",
        email_verified=False,
    ),  # fmt: skip
)


@dataclasses.dataclass(frozen=True)
class ProviderInfo:
    """A running provider: where it is, the client registered there, its users."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    users: Mapping[str, ProviderUser]

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def mozilla_django_oidc_settings(self) -> dict[str, str]:
        """The mozilla-django-oidc settings of a relying party using this provider."""
        return {
            "OIDC_RP_CLIENT_ID": self.client_id,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
            "OIDC_RP_SIGN_ALGO": "RS256",
            "OIDC_RP_SCOPES": "openid email profile",
            "OIDC_OP_AUTHORIZATION_ENDPOINT": self.authorization_endpoint,
            "OIDC_OP_TOKEN_ENDPOINT": self.token_endpoint,
            "OIDC_OP_USER_ENDPOINT": self.userinfo_endpoint,
            "OIDC_OP_JWKS_ENDPOINT": self.jwks_uri,
        }


@contextlib.contextmanager
def running_provider(
    redirect_uris: str | Sequence[str],
    users: Sequence[ProviderUser] = DEFAULT_USERS,
) -> Iterator[ProviderInfo]:
    """A provider with `users` and one confidential client whose callbacks are
    `redirect_uris` (http://127.0.0.1/... or http://localhost/... match any port)."""
    uris = (redirect_uris,) if isinstance(redirect_uris, str) else tuple(redirect_uris)
    if not uris or any(not uri or " " in uri for uri in uris):
        raise ValueError(f"redirect URIs must be non-empty, without spaces: {uris!r}")
    state = Path(tempfile.mkdtemp(prefix="greenroom-oidc-"))
    try:
        shutil.copyfile(_migrated_database(), state / "db.sqlite3")
        _write_key(state / "key.pem")
        client_id = secrets.token_hex(16)
        client_secret = secrets.token_urlsafe(32)
        subjects = json.loads(
            _provision(state, "seed", stdin=json.dumps({
                "users": [dataclasses.asdict(user) for user in users],
                "client": {"client_id": client_id, "client_secret": client_secret,
                           "redirect_uris": uris},
            }))
        )  # fmt: skip
        with _served(state) as issuer:
            endpoints = _endpoints(_discovery(issuer), issuer)
            yield ProviderInfo(
                issuer=issuer,
                client_id=client_id,
                client_secret=client_secret,
                redirect_uris=uris,
                users={
                    user.username: dataclasses.replace(
                        user, sub=subjects[user.username]
                    )
                    for user in users
                },
                authorization_endpoint=endpoints["authorization_endpoint"],
                token_endpoint=endpoints["token_endpoint"],
                userinfo_endpoint=endpoints["userinfo_endpoint"],
                jwks_uri=endpoints["jwks_uri"],
            )
    finally:
        shutil.rmtree(state, ignore_errors=True)


def _environment(state: Path, issuer: str = "") -> dict[str, str]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS
    env["GREENROOM_OIDC_PROVIDER_DIR"] = str(state)
    env["GREENROOM_OIDC_PROVIDER_ISSUER"] = issuer
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO), env.get("PYTHONPATH")])
    )
    return env


def _provision(state: Path, command: str, stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.oidc.provision", command],
        cwd=REPO, env=_environment(state), input=stdin,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"provider {command} failed:\n{done.stderr[-3000:]}")
    return done.stdout


@functools.cache
def _migrated_database() -> Path:
    """A migrated SQLite file, made once per test process (migrate takes seconds,
    a copy milliseconds) and removed when the process ends."""
    state = Path(tempfile.mkdtemp(prefix="greenroom-oidc-migrated-"))
    atexit.register(shutil.rmtree, state, ignore_errors=True)
    _provision(state, "migrate")
    return state / "db.sqlite3"


def _write_key(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@contextlib.contextmanager
def _served(state: Path) -> Iterator[str]:
    """gunicorn serving the provider; yields its issuer URL once it answers."""
    # Bound here and handed over (fd://), so no other process can take the port
    # between choosing and binding it.
    with socket.socket() as listener, (state / "provider.log").open("wb") as log:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        issuer = f"http://127.0.0.1:{listener.getsockname()[1]}"
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"fd://{listener.fileno()}",
             "--workers", "1", "--threads", "4", "--graceful-timeout", "2",
             "--no-control-socket", "tests.support.oidc.wsgi:application"],
            cwd=REPO, env=_environment(state, issuer), pass_fds=[listener.fileno()],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_until_ready(process, issuer, state / "provider.log")
        yield issuer
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(process: subprocess.Popen[bytes], issuer: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"the OIDC provider exited ({process.returncode}):\n"
                + log.read_text(errors="replace")[-3000:]
            )
        try:
            _discovery(issuer)
            return
        except (OSError, RuntimeError):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the OIDC provider did not answer within {STARTUP_TIMEOUT}s:\n"
                    + log.read_text(errors="replace")[-3000:]
                ) from None
            time.sleep(0.1)


def _discovery(issuer: str) -> dict[str, Any]:
    url = f"{issuer}/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=5) as response:
        data = response.read(1_000_000)
    try:
        document = json.loads(data)
    except ValueError:
        raise RuntimeError(f"{url} did not answer JSON") from None
    if not isinstance(document, dict):
        raise RuntimeError(f"{url} did not answer a JSON object")
    return document


def _endpoints(document: dict[str, Any], issuer: str) -> dict[str, str]:
    if document.get("issuer") != issuer:
        raise RuntimeError(f"discovery names issuer {document.get('issuer')!r}")
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint",
                 "jwks_uri"):  # fmt: skip
        url = document.get(name)
        if not isinstance(url, str) or not url.startswith(issuer + "/"):
            raise RuntimeError(f"discovery's {name} is not on {issuer}: {url!r}")
        endpoints[name] = url
    return endpoints
