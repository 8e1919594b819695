"""The production recipe, running: the image's build step and compose's commands
(web, worker, beat) on PostgreSQL and Redis, behind nginx with deploy/nginx.conf,
every process with production settings and nothing in DEBUG.

The commands are read from docker-compose.yml and the Dockerfile, not written
here, so what the smoke test proves is what an operator runs. Only addresses and
paths move: compose's `0.0.0.0:8000` and `/data`, the image's `/app`, and the
proxy's ports, upstream and certificate paths.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import IO, Any

from tests.support.containerfiles import (
    ROOT,
    Instruction,
    command_words,
    compose,
    copied_files,
    dockerfile,
    env_assignments,
    image_env,
    interpolate,
    service_environment,
)
from tests.support.gitrepos import free_port

BIN = Path(sys.executable).parent
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # Debian's, in sbin
# The operator's own values, as README's recipe has them set.
OPERATOR = {"SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "localhost"}


def instructions() -> list[Instruction]:
    return dockerfile(ROOT / "Dockerfile")


def service_commands(service: str) -> list[list[str]]:
    """A compose service's command, as the commands it runs one after another
    (`${VAR:-default}` as compose fills it in with nothing set)."""
    words = command_words(
        compose(ROOT / "docker-compose.yml")["services"][service]["command"]
    )
    words = [interpolate(word, {}) for word in words]
    commands: list[list[str]] = [[]]
    for word in words:
        if word == "&&":
            commands.append([])
        else:
            commands[-1].append(word)
    return commands


def build_command() -> tuple[dict[str, str], list[str]]:
    """The Dockerfile's collectstatic step: its own variables and its command."""
    run = next(
        i.args
        for i in instructions()
        if i.keyword == "RUN" and "collectstatic" in i.args
    )
    assignments = env_assignments(run)
    words = run.split()[len(assignments) :]
    return assignments, words


@dataclass
class Places:
    """Where this run keeps what the container keeps in /app and /data."""

    app: Path
    data: Path
    http_port: int = field(default_factory=free_port)
    gunicorn_port: int = field(default_factory=free_port)
    https_port: int = field(default_factory=free_port)

    def local(self, word: str) -> str:
        """A compose or image word with its container address or path moved here."""
        if word == "0.0.0.0:8000":
            return f"127.0.0.1:{self.gunicorn_port}"
        option, equals, value = word.rpartition("=")  # `--schedule=/data/...`
        for container, here in (("/data", self.data), ("/app", self.app)):
            if value == container or value.startswith(container + "/"):
                return f"{option}{equals}{here}{value.removeprefix(container)}"
        return word

    def command(self, words: list[str]) -> list[str]:
        program, *rest = (self.local(word) for word in words)
        executable = sys.executable if program == "python" else str(BIN / program)
        return [executable, *rest]


def service_env(places: Places, service: str, **overrides: str) -> dict[str, str]:
    """What the service's container sees: the image's ENV, then compose's
    environment with the operator's values, paths moved here."""
    env = image_env(instructions()) | service_environment(
        compose(ROOT / "docker-compose.yml"), service, OPERATOR
    )
    env = {name: places.local(value) for name, value in env.items()}
    return env | {"PATH": os.environ["PATH"], "HOME": str(places.data)} | overrides


def copy_image_tree(destination: Path) -> None:
    """The tree as the image's COPY instructions put it in /app."""
    for name in copied_files(ROOT, instructions()):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)


def proxy_config(places: Places, certs: Path, logs: Path) -> str:
    """deploy/nginx.conf in a minimal nginx main file, its addresses moved here."""
    text = NGINX_CONF.read_text()
    moves = {
        "listen 80;": f"listen 127.0.0.1:{places.http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{places.https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "http://web:8000": f"http://127.0.0.1:{places.gunicorn_port}",
        "/etc/nginx/certs/": f"{certs}/",
    }
    for old, new in moves.items():
        assert old in text, f"deploy/nginx.conf no longer has {old!r}"
        text = text.replace(old, new)
    user = "user root;" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"{kind}_temp_path {logs}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}
daemon off;
pid {logs}/nginx.pid;
error_log {logs}/nginx-error.log;
events {{}}
http {{
    access_log {logs}/nginx-access.log;
    {temp}
    {text}
}}
"""


def self_signed_certificate(folder: Path) -> Path:
    """fullchain.pem and privkey.pem for localhost, as README's trial step makes."""
    folder.mkdir(parents=True)
    key, chain = folder / "privkey.pem", folder / "fullchain.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(chain)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return folder / "fullchain.pem"


class Processes:
    """Long-running processes, each logging to a file, stopped together."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self._files: list[IO[bytes]] = []

    def start(
        self, name: str, command: list[str], env: dict[str, str], cwd: Path
    ) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self._files.append(log)
        self.running[name] = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def alive(self, name: str) -> bool:
        return self.running[name].poll() is None

    def stop(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in self.running.items():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                print(f"{name} did not stop on SIGTERM")  # noqa: T201
        for file in self._files:
            file.close()


def run(command: list[str], env: dict[str, str], cwd: Path, stdin: str = "") -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, input=stdin, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


def wait_until(condition: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Answer:
    status: int
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class Browser:
    """What a person's browser does over https: cookies, the CA it trusts, the
    Origin and Referer it sends with a form."""

    def __init__(self, base: str, cafile: Path, *, follow: bool = True) -> None:
        self.base = base
        context = ssl.create_default_context(cafile=str(cafile))
        handlers: list[Any] = [
            urllib.request.HTTPSHandler(context=context),
            urllib.request.HTTPCookieProcessor(CookieJar()),
        ]
        if not follow:
            handlers.append(_NoRedirects())
        self.opener = urllib.request.build_opener(*handlers)

    def request(
        self,
        path: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        method: str | None = None,
    ) -> Answer:
        url = path if "://" in path else self.base + path
        request = urllib.request.Request(
            url, data=data, headers=headers or {}, method=method
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(
                    response.status,
                    response.url,
                    dict(response.headers),
                    response.read(),
                )
        except urllib.error.HTTPError as error:
            return Answer(error.code, url, dict(error.headers), error.read())

    def status(self, path: str) -> int:
        """The status of a GET, or 0 while nothing listens yet."""
        try:
            return self.request(path).status
        except urllib.error.URLError:
            return 0

    def submit(self, path: str, fields: dict[str, str]) -> Answer:
        """GET the page with the form, then POST it with its CSRF token."""
        page = self.request(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, f"no form on {path}: {page.status}"
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), **fields})
        return self.request(
            path,
            body.encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.base,
                "Referer": self.base + path,
            },
        )
