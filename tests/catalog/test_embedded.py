"""The embedded default: no settings gives SQLite and eager tasks, via the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOOD = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: laptop-service, tags: [python]}
spec: {type: service, lifecycle: production, owner: team-a}
"""


def manage(
    data_dir: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "SECRET_KEY",
            "DJANGO_SETTINGS_MODULE",
        )
    }
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
    assert [e["metadata"]["name"] for e in exported] == ["laptop-service"]
    assert exported[0]["relations"] == [
        {"type": "ownedBy", "targetRef": "group:default/team-a"}
    ]
    assert exported[0]["metadata"]["etag"]

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
