"""The embedded default: no settings gives SQLite and eager tasks, via the CLI."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: laptop-service, tags: [python]}
spec: {type: service, lifecycle: production, owner: team-a}
"""


ENV_DROPPED = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "DJANGO_SETTINGS_MODULE",
)


def manage(
    data_dir: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_DROPPED}
    env |= {"GREENROOM_DATA_DIR": str(data_dir), "GREENROOM_ALLOW_LOCAL_REPOS": "1"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=check,
    )


def test_embedded_default_runs_the_whole_path(repos, tmp_path):
    repo = repos.create(
        "laptop", {"catalog-info.yaml": GOOD, "broken.yaml": "kind: [\n"}
    )
    data = tmp_path / "embedded"
    manage(data, "migrate", "--noinput")
    assert (data / "greenroom.sqlite3").exists()

    registered = manage(data, "register", repo.url)
    location_id = registered.stdout.strip()
    assert location_id.isdigit()

    crawled = manage(data, "crawl", "--all")
    assert f"{location_id} ok" in crawled.stdout

    exported = [json.loads(line) for line in manage(data, "export").stdout.splitlines()]
    by_kind = {e["kind"]: e for e in exported}
    assert len(exported) == len(by_kind) == 2
    generated, component = by_kind["Location"], by_kind["Component"]
    assert generated["spec"] == {"type": "url", "target": repo.url}
    assert component["metadata"]["name"] == "laptop-service"
    assert component["relations"] == [
        {"type": "ownedBy", "targetRef": "group:default/team-a"}
    ]
    assert component["metadata"]["etag"]

    listed = manage(data, "entities").stdout
    assert "component:default/laptop-service\tgroup:default/team-a" in listed

    # Pointing at a missing file fails the crawl command with a non-zero status.
    manage(data, "register", repo.url, "--path", "missing.yaml")
    failed = manage(data, "crawl", "--all", "--force", check=False)
    assert (
        failed.returncode == 0
    )  # a missing file is a processing error, not a failed crawl
    assert "missing.yaml not found" in manage(data, "errors").stdout

    manage(data, "register", repo.url, "--branch", "gone")
    failed = manage(data, "crawl", "--all", check=False)
    assert failed.returncode != 0
    assert "branch 'gone' not found" in failed.stdout


def test_validate_command_names_file_document_and_reason(tmp_path):
    good = tmp_path / "catalog-info.yaml"
    good.write_text(GOOD)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        GOOD
        + "---\napiVersion: backstage.io/v1alpha1\nkind: Component\n"
        + "metadata: {name: -x}\nspec: {}\n"
    )
    ok = manage(tmp_path / "d", "validate", str(good))
    assert ok.returncode == 0
    assert "component:default/laptop-service" in ok.stdout
    result = manage(tmp_path / "d", "validate", str(good), str(bad), check=False)
    assert result.returncode != 0
    assert (
        f"{bad}: error: document 2 (component:default/-x): "
        "metadata.name '-x' is not valid" in result.stdout
    )


def test_demo_command_builds_registers_and_crawls_the_demo_organisation(tmp_path):
    data = tmp_path / "demo"
    manage(data, "migrate", "--noinput")
    result = manage(data, "demo")
    assert "31 demo repositories" in result.stdout
    assert "admin login: admin / " in result.stdout
    assert " failed " not in result.stdout
    entities = manage(data, "entities").stdout.splitlines()
    kinds = {line.split(":", 1)[0] for line in entities}
    assert {
        "component",
        "api",
        "resource",
        "system",
        "domain",
        "group",
        "user",
    } <= kinds
    # Search on the embedded default (SQLite): name matches first.
    found = manage(data, "entities", "--search", "payments").stdout.splitlines()
    assert found
    assert "payments" in found[0].split("\t")[0]
    # The one dangling owner the demo carries on purpose, for compliance views.
    dangling = manage(data, "relations", "--dangling", "--type", "ownedBy").stdout
    assert "group:default/team-personalization" in dangling
    viewer = re.search(r"viewer login: viewer / (\S+)", result.stdout)
    assert viewer
    with serving(data) as base:
        browse_as_viewer(base, viewer.group(1), len(entities))


@contextmanager
def serving(data_dir: Path) -> Iterator[str]:
    """The portal on the embedded default, served by Django's own server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ENV_DROPPED}
    env |= {"GREENROOM_DATA_DIR": str(data_dir)}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def browse_as_viewer(base: str, password: str, count: int) -> None:
    """Sign in through the form, then read the pages a viewer reads (SQLite paths)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login)
    assert token
    form = {"username": "viewer", "password": password, "next": "/catalog"}
    form["csrfmiddlewaretoken"] = token.group(1)
    body = urllib.parse.urlencode(form).encode()
    catalog = opener.open(f"{base}/accounts/login/", body).read().decode()
    assert f"{count} entities" in catalog
    listed = opener.open(f"{base}/catalog?kind=component&tag=python").read().decode()
    assert 'href="/catalog/default/component/auth-client-python"' in listed
    misspelt = opener.open(f"{base}/search?query=biling").read().decode()
    assert 'href="/catalog/default/component/billing-service"' in misspelt
    page = opener.open(f"{base}/catalog/default/component/billing-service").read()
    assert b"Invoices, credit notes" in page
    graph = opener.open(f"{base}/catalog/default/system/payments/graph?depth=2").read()
    assert b'href="/catalog/default/component/billing-service"' in graph
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(f"{base}/catalog-import")
    assert refused.value.code == 403
    # The viewer is Lena Fischer of the demo organisation: her own home page.
    home = opener.open(f"{base}/").read().decode()
    assert "Hello, Lena Fischer" in home
    assert 'href="/catalog/default/group/team-checkout"' in home
    # ...and, a viewer, she may refresh what her team owns, and only that.
    assert "Refresh now" in location_page(opener, base, "cart-service")
    assert "Refresh now" not in location_page(opener, base, "billing-service")


def location_page(opener: Any, base: str, component: str) -> str:
    """The page of the location publishing `component`, linked from its page."""
    page = opener.open(f"{base}/catalog/default/component/{component}").read()
    found = re.search(rb'href="(/locations/\d+)"', page)
    assert found, component
    return str(opener.open(base + found.group(1).decode()).read().decode())
