"""The production smoke test (README, "Production"): the operator's commands from
a copy of the image's tree, and then what people and git hosts do with the portal.

One portal serves the whole module: PostgreSQL (a new database), Redis (the
broker and the cache), the Dockerfile's collectstatic, compose's web (migrate,
gunicorn), worker and beat commands with compose's environment, and nginx with
deploy/nginx.conf terminating TLS in front. Nothing runs in DEBUG, and nothing
here reaches into the portal's processes: every check goes over the network.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings

from tests.support.deliveries import github_push
from tests.support.gitrepos import GitDaemon, Repo, free_port
from tests.support.postgres import database_url, new_database
from tests.support.production import (
    NGINX,
    Answer,
    Browser,
    Places,
    Processes,
    build_command,
    copy_image_tree,
    proxy_config,
    run,
    self_signed_certificate,
    service_commands,
    service_env,
    wait_until,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="production runs on PostgreSQL",
    ),
]

ADMIN = "olivia-operator"
COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
  description: {description}
  annotations:
    backstage.io/techdocs-ref: dir:.
spec: {{type: service, lifecycle: production, owner: team-platform}}
"""
MKDOCS = "site_name: Payments\nnav:\n  - Home: index.md\nplugins:\n  - techdocs-core\n"
DOCS = "# Payments\n\nThe payments service settles card transactions nightly.\n"


def redis_urls() -> tuple[str, str]:
    """A broker and a cache database of the test broker's Redis, not its own."""
    broker = urllib.parse.urlsplit(settings.CELERY_BROKER_URL)
    number = int(broker.path.strip("/") or 0)
    base = f"{broker.scheme}://{broker.netloc}"
    return f"{base}/{(number - 1) % 16}", f"{base}/{(number - 2) % 16}"


@dataclass
class Portal:
    base: str  # https://localhost:<port>, through the proxy
    cafile: Path
    places: Places
    processes: Processes
    daemon: GitDaemon
    repos: Path
    token: str  # an editor's API token, made by the operator's command
    password: str
    given: dict[str, str]  # the operator's environment beyond compose's defaults

    def browser(self, *, follow: bool = True) -> Browser:
        return Browser(self.base, self.cafile, follow=follow)

    def api(self, path: str, body: object = None, method: str | None = None) -> Answer:
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        return self.browser().request(path, data, headers, method)

    def json(self, path: str) -> Any:
        answer = self.api(path)
        return json.loads(answer.body) if answer.status == 200 else None

    def repository(self, name: str, files: dict[str, Any]) -> tuple[Repo, str]:
        repo = Repo(self.repos / name)
        repo.commit(files, "first")
        return repo, self.daemon.url(repo)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    base = tmp_path_factory.mktemp("production")
    places = Places(app=base / "app", data=base / "data")
    logs = base / "logs"
    for folder in (places.data, logs, base / "repos"):
        folder.mkdir()
    broker, cache = redis_urls()
    for url in (broker, cache):
        redis.Redis.from_url(url).flushdb()
    daemon = GitDaemon(base / "repos")
    processes = Processes(logs)
    with new_database("greenroom_production") as name:
        try:
            yield start(places, processes, daemon, name, broker, cache)
        finally:
            processes.stop()
            daemon.stop()


def start(
    places: Places,
    processes: Processes,
    daemon: GitDaemon,
    database: str,
    broker: str,
    cache: str,
) -> Portal:
    copy_image_tree(places.app)
    app = places.app
    # The image's build: collectstatic with the build's own variables only.
    build_env, build = build_command()
    run(places.command(build), {**service_env(places, "web"), **build_env}, app)

    given = {
        "DATABASE_URL": database_url(database),
        "CELERY_BROKER_URL": broker,
        "CACHE_URL": cache,
        "GREENROOM_ALLOWED_GIT_HOSTS": daemon.host,
        # Beat's refresh tick, shortened so the smoke test sees it reach a worker.
        "GREENROOM_REFRESH_TICK_SECONDS": "1",
        # gunicorn believes X-Forwarded-Proto from 127.0.0.1 on its own; in compose
        # the proxy is another container, so here too only the portal's setting
        # (GREENROOM_TRUSTED_PROXIES) may make a request https.
        "FORWARDED_ALLOW_IPS": "192.0.2.1",
    }
    env = {
        name: service_env(places, name, **given) for name in ("web", "worker", "beat")
    }
    assert all("DEBUG" not in e for e in env.values())

    *setup, gunicorn = service_commands("web")
    for command in setup:  # migrate
        run(places.command(command), env["web"], app)
    processes.start("web", places.command(gunicorn), env["web"], app)
    (worker,) = service_commands("worker")
    processes.start("worker", places.command(worker), env["worker"], app)
    (beat,) = service_commands("beat")
    processes.start("beat", places.command(beat), env["beat"], app)

    certs = places.data.parent / "certs"
    cafile = self_signed_certificate(certs)
    conf = places.data.parent / "nginx.conf"
    conf.write_text(proxy_config(places, certs, processes.logs))
    processes.start("proxy", [NGINX, "-c", str(conf)], env["web"], app)

    # The operator's first steps (README): an admin account, an API token.
    manage = [app / "manage.py"]
    password = secrets.token_urlsafe(16)
    adduser = ["adduser", ADMIN, "--role", "admin", "--password-stdin"]
    run(
        places.command(["python", *map(str, manage), *adduser]),
        env["web"],
        app,
        stdin=password + "\n",
    )
    token = run(
        places.command(["python", *map(str, manage), "create_token", ADMIN, "--write"]),
        env["web"],
        app,
    ).strip()

    portal = Portal(
        base=f"https://localhost:{places.https_port}",
        cafile=cafile,
        places=places,
        processes=processes,
        daemon=daemon,
        repos=daemon.base,
        token=token,
        password=password,
        given=given,
    )
    ready = lambda: portal.browser().status("/readyz") == 200  # noqa: E731
    wait_until(ready, "the portal to be ready behind the proxy")
    return portal


def test_every_process_runs_with_production_settings(portal: Portal) -> None:
    ready = json.loads(portal.browser().request("/readyz").body)
    assert ready == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "broker": "ok",
            "storage": "ok",
        },
    }
    # Beat's schedule reaches a worker through the broker.
    wait_until(
        lambda: "refresh_due_task" in portal.processes.log("worker"),
        "beat's refresh task to run on the worker",
        timeout=30,
    )
    for name in ("web", "worker", "beat", "proxy"):
        assert portal.processes.alive(name), portal.processes.log(name)
    # LOG_FORMAT=json from compose: the worker's lines are JSON objects.
    lines = [line for line in portal.processes.log("worker").splitlines() if line]
    objects = [json.loads(line) for line in lines if line.startswith("{")]
    assert objects
    assert {"time", "level", "logger", "message"} <= objects[0].keys()


def test_plain_http_is_sent_to_https_and_errors_show_no_debug_page(
    portal: Portal,
) -> None:
    plain = Browser(
        f"http://localhost:{portal.places.http_port}", portal.cafile, follow=False
    )
    redirect = plain.request("/catalog")
    assert redirect.status == 301
    assert (
        redirect.headers["Location"] == "https://localhost/catalog"  # the standard port
    )

    # gunicorn reached without the proxy: the portal itself insists on https
    # (X-Forwarded-Proto is believed from the proxy only), probes excepted.
    direct = Browser(
        f"http://127.0.0.1:{portal.places.gunicorn_port}", portal.cafile, follow=False
    )
    assert direct.request("/healthz").status == 200
    assert direct.request("/catalog", headers={"Host": "localhost"}).status == 301

    missing = portal.browser().request("/no/such/page")
    assert missing.status == 404
    assert "Traceback" not in missing.text
    assert "DEBUG" not in missing.text
    page = portal.browser(follow=False).request("/accounts/login/")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_person_signs_in_registers_a_repository_and_reads_its_docs(
    portal: Portal,
) -> None:
    repo, url = portal.repository(
        "payments",
        {
            "catalog-info.yaml": COMPONENT.format(name="payments", description="v1"),
            "mkdocs.yml": MKDOCS,
            "docs/index.md": DOCS,
        },
    )
    person = portal.browser()
    # Signed out, the catalog sends people to the sign-in form.
    assert "/accounts/login/" in person.request("/catalog").url
    signed_in = person.submit(
        "/accounts/login/", {"username": ADMIN, "password": portal.password}
    )
    assert signed_in.status == 200, signed_in.text
    # The home page, theirs: the admin is no one in the catalog, and it says so.
    assert urllib.parse.urlsplit(signed_in.url).path == "/"
    assert "We could not find you in the catalog" in signed_in.text
    # The page's stylesheet is collectstatic's hashed copy, served.
    stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', signed_in.text)
    assert stylesheet
    assert person.request(stylesheet.group(1)).status == 200

    registered = person.submit(
        "/catalog-import",
        {"url": url, "branch": "", "path": "catalog-info.yaml", "action": "register"},
    )
    assert registered.status == 200, registered.text
    assert "/locations/" in registered.url

    entity = "/api/catalog/entities/by-name/component/default/payments"
    found = wait_until(
        lambda: portal.json(entity), "the worker's crawl to reach the API"
    )
    assert found["metadata"]["description"] == "v1"
    assert "payments" in person.request("/catalog").text

    docs = wait_until(
        lambda: (
            (page := person.request("/docs/default/component/payments/")).status == 200
            and "settles card transactions" in page.text
            and page
        ),
        "the docs build",
    )
    assert "<script" not in docs.text.split("<main", 1)[-1].split("</main>")[0]


def test_a_signed_push_delivery_refreshes_the_catalog(portal: Portal) -> None:
    repo, url = portal.repository(
        "ledger",
        {"catalog-info.yaml": COMPONENT.format(name="ledger", description="v1")},
    )
    assert (
        portal.api("/api/catalog/locations", {"type": "url", "target": url}).status
        == 201
    )
    entity = "/api/catalog/entities/by-name/component/default/ledger"
    wait_until(lambda: portal.json(entity), "the first crawl")
    locations = portal.json("/api/catalog/locations")
    (location,) = [
        item["data"]["id"] for item in locations if item["data"]["target"] == url
    ]
    created = portal.api("/api/webhooks", {"kind": "github", "location": location})
    assert created.status == 201, created.text
    hook = json.loads(created.body)
    assert hook["payloadUrl"].startswith(portal.base + "/webhooks/github/")

    before = repo.head()
    after = repo.commit(
        {"catalog-info.yaml": COMPONENT.format(name="ledger", description="v2")}
    )
    body = github_push(
        url, ref="refs/heads/main", before=before, after=after,
        files=["catalog-info.yaml"],
    )  # fmt: skip
    signature = hmac.new(hook["secret"].encode(), body, hashlib.sha256).hexdigest()
    host = Browser(portal.base, portal.cafile)
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": "smoke-1",
    }

    forged = host.request(
        hook["payloadUrl"],
        body,
        {**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64},
    )
    assert forged.status == 403
    delivered = host.request(
        hook["payloadUrl"],
        body,
        {**headers, "X-Hub-Signature-256": "sha256=" + signature},
    )
    assert delivered.status == 202, delivered.text
    wait_until(
        lambda: (e := portal.json(entity)) and e["metadata"]["description"] == "v2",
        "the delivery's crawl",
        timeout=30,
    )


def test_plain_http_mode_serves_a_trusted_network(portal: Portal) -> None:
    """GREENROOM_PLAIN_HTTP=1 (README): gunicorn reached directly over http, with
    no redirect and cookies a browser sends back over http."""
    places = portal.places
    port = free_port()
    env = service_env(
        places,
        "web",
        **portal.given,
        GREENROOM_PLAIN_HTTP="1",
        GREENROOM_TRUSTED_PROXIES="0",
        ALLOWED_HOSTS="127.0.0.1",
    )
    gunicorn = service_commands("web")[-1]
    command = [f"127.0.0.1:{port}" if w == "0.0.0.0:8000" else w for w in gunicorn]
    portal.processes.start("plain-web", places.command(command), env, places.app)
    person = Browser(f"http://127.0.0.1:{port}", portal.cafile)
    wait_until(lambda: person.status("/healthz") == 200, "plain-http gunicorn")

    signed_in = person.submit(
        "/accounts/login/", {"username": ADMIN, "password": portal.password}
    )
    assert signed_in.status == 200, signed_in.text
    assert signed_in.url == f"http://127.0.0.1:{port}/"
    assert "Strict-Transport-Security" not in signed_in.headers
